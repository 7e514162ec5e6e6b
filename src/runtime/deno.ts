/**
 * The Deno adapter: sockets over `Deno.listen`/`Deno.connect`, processes over
 * `Deno.Command`, signals over `Deno.addSignalListener`, stdio over `Deno.stdin` /
 * `Deno.stdout`; fs is the shared node:fs implementation (same error codes). `Deno` is
 * only read inside functions, so this module loads anywhere (it is bundled with the
 * Bun adapter).
 *
 * @example
 * ```ts
 * import { denoRuntime } from "./deno.ts";
 * const runtime = denoRuntime(); // only on Deno
 * const conn = await runtime.connectUnix("/tmp/shoal-0/a.sock");
 * ```
 */
import { connectDeno, listenDeno } from "./_deno_conn.ts";
import { spawnDeno } from "./_deno_spawn.ts";
import { denoOutput, denoStdin } from "./_deno_stdio.ts";
import { collectGarbage, hostEngine, selfArgs } from "./_engine.ts";
import { nodeFs } from "./fs_node.ts";
import type { ByteReader, ByteWriter, Runtime, Signal } from "./types.ts";

/** Signal `pid` (negative: a process group); false when there is no such process. */
function signalDeno(pid: number, signal: Signal | 0): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch (err) {
    // PermissionDenied (EPERM): it exists, it just is not ours to signal.
    return err instanceof Error && err.name === "PermissionDenied";
  }
}

export function denoRuntime(): Runtime {
  if (hostEngine() !== "deno") throw new Error("Cannot use the deno adapter: not running on Deno");
  let stdin: ByteReader | null = null;
  let stdout: ByteWriter | null = null;
  let stderr: ByteWriter | null = null;
  return {
    name: "deno",
    engine: "deno",
    listenUnix: listenDeno,
    connectUnix: connectDeno,
    spawn: spawnDeno,
    kill: (pid, signal = "SIGTERM") => signalDeno(pid, signal),
    onSignal(signal, handler) {
      const listener = () => handler();
      Deno.addSignalListener(signal, listener);
      return () => Deno.removeSignalListener(signal, listener);
    },
    pid: Deno.pid,
    // A getter on Deno 2.9 that asks the OS each time (checked: it changes on reparenting).
    ppid: () => Deno.ppid,
    execPath: () => Deno.execPath(),
    selfArgs: () => selfArgs("deno"),
    args: () => [...Deno.args],
    env: () => Deno.env.toObject(),
    getEnv: (name) => {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // an invalid variable name is simply not set
      }
    },
    cwd: () => Deno.cwd(),
    uid: () => Deno.uid() ?? -1,
    exit: (code) => Deno.exit(code),
    collectGarbage,
    get stdin() {
      return stdin ??= denoStdin();
    },
    get stdout() {
      return stdout ??= denoOutput(Deno.stdout, "stdout");
    },
    get stderr() {
      return stderr ??= denoOutput(Deno.stderr, "stderr");
    },
    fs: nodeFs,
  };
}
