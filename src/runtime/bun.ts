/**
 * The Bun adapter: sockets over `Bun.listen`/`Bun.connect`, processes over `Bun.spawn`,
 * the rest over node:process and node:fs (native in Bun). `Bun` is only read inside
 * functions, so this module loads anywhere (it is bundled with the Deno adapter).
 *
 * @example
 * ```ts
 * import { bunRuntime } from "./bun.ts";
 * const runtime = bunRuntime(); // only on Bun
 * const listener = await runtime.listenUnix("/tmp/shoal-0/a.sock");
 * ```
 */
import { connectBun, listenBun } from "./_bun_conn.ts";
import { spawnBun, writerFromFileSink } from "./_bun_spawn.ts";
import { readerFromWebStream } from "./_web_streams.ts";
import { hostEngine } from "./_engine.ts";
import { withNodeProcess } from "./_node_process.ts";
import type { Runtime } from "./types.ts";

export function bunRuntime(): Runtime {
  if (hostEngine() !== "bun") throw new Error("Cannot use the bun adapter: not running on Bun");
  return withNodeProcess({
    name: "bun",
    engine: "bun",
    listenUnix: listenBun,
    connectUnix: connectBun,
    spawn: spawnBun,
  }, "bun", {
    // Bun's own stdio: node-style streams cost about 10 µs more per proxied round trip
    // and 7-9 ms of start-up. Created on first use (reading stdin starts with it).
    stdin: () => readerFromWebStream(Bun.stdin.stream(), "stdin"),
    stdout: () => writerFromFileSink(Bun.stdout.writer(), "stdout", { end: false }),
    stderr: () => writerFromFileSink(Bun.stderr.writer(), "stderr", { end: false }),
  });
}
