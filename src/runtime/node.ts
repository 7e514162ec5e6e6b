/**
 * The node:net adapter: sockets over node:net, processes over node:child_process, the
 * rest over node:process and node:fs. Runs on Node, Deno and Bun alike (a reference
 * point for the native adapters, and the path to Windows named pipes later).
 *
 * @example
 * ```ts
 * import { nodeRuntime } from "./node.ts";
 * const runtime = nodeRuntime();
 * const conn = await runtime.connectUnix("/tmp/shoal-0/a.sock");
 * ```
 */
import { connectNode, listenNode } from "./_node_conn.ts";
import { hostEngine } from "./_engine.ts";
import { withNodeProcess } from "./_node_process.ts";
import { spawnNode } from "./_node_spawn.ts";
import type { Runtime } from "./types.ts";

export function nodeRuntime(): Runtime {
  const engine = hostEngine();
  return withNodeProcess({
    name: "node",
    engine,
    listenUnix: listenNode,
    connectUnix: connectNode,
    spawn: spawnNode,
  }, engine);
}
