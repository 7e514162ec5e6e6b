/**
 * {@link ChildProcess} over node:child_process (runs on Node, Deno and Bun).
 *
 * - `{ appendTo }` opens the log file ourselves (O_APPEND, 0600) and hands the fd to
 *   the child; our copy is closed right after the spawn.
 * - node reports a failed spawn only in a later `'error'` event (pid undefined): we
 *   throw synchronously instead, with the code a PATH lookup gives, like the other
 *   adapters do.
 * - `detached: true` makes node call setsid() in the child.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import process from "node:process";
import { whyNotExecutable } from "./_find_executable.ts";
import { openLogFile } from "./_log_redirect.ts";
import { runtimeError } from "./_map_error.ts";
import { NodeWriter, readerFromNodeStream } from "./_node_streams.ts";
import type { ChildProcess, ExitStatus, Signal, SpawnOptions, StdioSpec } from "./types.ts";

type NodeStdio = "pipe" | "ignore" | "inherit" | number;

function stdio(spec: StdioSpec, opened: number[]): NodeStdio {
  if (typeof spec === "object") {
    const fd = openLogFile(spec.appendTo);
    opened.push(fd);
    return fd;
  }
  return spec === "null" ? "ignore" : spec;
}

/** Signal `pid` (negative: a process group); false when there is no such process. */
export function signalProcess(pid: number, signal: Signal | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    // EPERM: it exists, it just is not ours to signal.
    return (err as { code?: string }).code === "EPERM";
  }
}

export function spawnNode(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): ChildProcess {
  const opened: number[] = [];
  let child: childProcess.ChildProcess;
  try {
    const io: NodeStdio[] = [
      stdio(options.stdin ?? "inherit", opened),
      stdio(options.stdout ?? "inherit", opened),
      stdio(options.stderr ?? "inherit", opened),
    ];
    child = childProcess.spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: io,
      detached: options.detached ?? false,
    });
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
  // Without a listener, the failed spawn's 'error' event would crash the process.
  child.on("error", () => {});
  const pid = child.pid;
  if (pid === undefined) {
    const pathVar = options.env ? options.env.PATH : process.env.PATH;
    throw whyNotExecutable(command, pathVar, options.cwd ?? process.cwd()) ??
      runtimeError("EOTHER", `Cannot spawn "${command}"`);
  }
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code: signal ? null : code, signal }));
  });
  return {
    pid,
    stdin: child.stdin ? new NodeWriter(child.stdin, "child stdin") : null,
    stdout: child.stdout ? readerFromNodeStream(child.stdout, "child stdout") : null,
    stderr: child.stderr ? readerFromNodeStream(child.stderr, "child stderr") : null,
    exited,
    kill(signal: Signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) signalProcess(pid, signal);
    },
    killGroup(signal: Signal = "SIGTERM") {
      signalProcess(-pid, signal);
    },
    unref() {
      child.unref();
    },
  };
}
