/**
 * The "this process" half of a {@link Runtime} through node:process, shared by the Bun
 * and node:net adapters (Bun implements node:process natively). Stdio wrappers are
 * created on first use: wrapping stdin starts reading it.
 */
import process from "node:process";
import { collectGarbage, type Engine, selfArgs } from "./_engine.ts";
import { NodeWriter, readerFromNodeStream } from "./_node_streams.ts";
import { signalProcess } from "./_node_spawn.ts";
import { nodeFs } from "./fs_node.ts";
import type { ByteReader, ByteWriter, Runtime } from "./types.ts";

/** What an adapter brings of its own; the rest comes from node:process. */
export type AdapterCore = Pick<
  Runtime,
  "name" | "engine" | "listenUnix" | "connectUnix" | "spawn"
>;

/** Native stdio an adapter may bring instead of node's streams (Bun: 30 → 20 µs per round trip). */
export interface NativeStdio {
  stdin(): ByteReader;
  stdout(): ByteWriter;
  stderr(): ByteWriter;
}

export function withNodeProcess(core: AdapterCore, engine: Engine, native?: NativeStdio): Runtime {
  let stdin: ByteReader | null = null;
  let stdout: ByteWriter | null = null;
  let stderr: ByteWriter | null = null;
  return {
    ...core,
    kill: (pid, signal = "SIGTERM") => signalProcess(pid, signal),
    onSignal(signal, handler) {
      const listener = () => handler();
      process.on(signal, listener);
      return () => void process.off(signal, listener);
    },
    pid: process.pid,
    ppid: () => process.ppid,
    execPath: () => process.execPath,
    selfArgs: () => selfArgs(engine),
    args: () => process.argv.slice(2),
    env: () => {
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(process.env)) {
        if (value !== undefined) env[name] = value;
      }
      return env;
    },
    getEnv: (name) => process.env[name],
    cwd: () => process.cwd(),
    uid: () => process.getuid?.() ?? -1,
    exit: (code) => process.exit(code),
    collectGarbage,
    get stdin() {
      return stdin ??= native?.stdin() ?? readerFromNodeStream(process.stdin, "stdin");
    },
    get stdout() {
      return stdout ??= native?.stdout() ?? new NodeWriter(process.stdout, "stdout", { endStream: false });
    },
    get stderr() {
      return stderr ??= native?.stderr() ?? new NodeWriter(process.stderr, "stderr", { endStream: false });
    },
    fs: nodeFs,
  };
}
