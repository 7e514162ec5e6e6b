/**
 * {@link ChildProcess} over `Bun.spawn`.
 *
 * - `detached: true` is Bun's own option: setsid() in the child.
 * - `{ appendTo }`: we open the log file (O_APPEND, 0600) and pass the fd.
 * - Child stdin is Bun's FileSink, which misbehaves on Bun 1.4.5 (measured): after the
 *   child exited, `write()` returns `true` and drops the bytes; after one write failed
 *   with EPIPE, later writes resolve `true` and drop theirs too. So a write counts only
 *   when the sink reports a byte count; anything else is EPIPE, and the first failure
 *   is latched. Each write is flushed and awaited, so the sink never holds more than
 *   the caller's chunk.
 */
import * as fs from "node:fs";
import process from "node:process";
import { openLogFile } from "./_log_redirect.ts";
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import { signalProcess } from "./_node_spawn.ts";
import { readerFromWebStream } from "./_web_streams.ts";
import type {
  ByteWriter,
  ChildProcess,
  ExitStatus,
  RuntimeError,
  Signal,
  SpawnOptions,
  StdioSpec,
} from "./types.ts";

type BunStdio = "pipe" | "ignore" | "inherit" | number;

function stdio(spec: StdioSpec, opened: number[]): BunStdio {
  if (typeof spec === "object") {
    const fd = openLogFile(spec.appendTo);
    opened.push(fd);
    return fd;
  }
  return spec === "null" ? "ignore" : spec;
}

/**
 * {@link ByteWriter} over a Bun FileSink (child stdin, and our own stdout/stderr).
 * `end: false` leaves the fd open on `closeWrite()` (our stdio: see `withNodeProcess`).
 */
export function writerFromFileSink(
  sink: Bun.FileSink,
  what = "child stdin",
  options: { end?: boolean } = {},
): ByteWriter {
  const action = `Cannot write to ${what}`;
  let failure: RuntimeError | null = null;
  let closing: Promise<void> | null = null;
  let tail: Promise<void> = Promise.resolve();
  const writeAll = async (data: Uint8Array): Promise<void> => {
    if (failure) throw failure;
    if (closing) throw runtimeError("ECLOSED", action);
    try {
      const taken: unknown = await sink.write(data);
      if (typeof taken !== "number") throw runtimeError("EPIPE", action);
      await sink.flush();
    } catch (err) {
      failure = toRuntimeError(err, action);
      throw failure;
    }
  };
  return {
    write(data) {
      const run = tail.then(() => writeAll(data));
      tail = run.catch(() => {});
      return run;
    },
    closeWrite() {
      closing ??= tail.then(async () => {
        if (options.end === false) return;
        // Benign: the child may be gone already; EOF is then moot.
        await Promise.resolve().then(() => sink.end()).catch(() => {});
      });
      return closing;
    },
  };
}

export function spawnBun(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): ChildProcess {
  const opened: number[] = [];
  let proc: Bun.Subprocess;
  try {
    proc = Bun.spawn([command, ...args], {
      cwd: options.cwd,
      // Bun's default is the environment as it was at start-up; node and Deno pass the
      // current one, so do the same.
      env: options.env ?? process.env,
      stdin: stdio(options.stdin ?? "inherit", opened),
      stdout: stdio(options.stdout ?? "inherit", opened),
      stderr: stdio(options.stderr ?? "inherit", opened),
      detached: options.detached ?? false,
    });
  } catch (err) {
    throw toRuntimeError(err, `Cannot spawn "${command}"`);
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
  const pid = proc.pid;
  const exited: Promise<ExitStatus> = proc.exited.then(() => {
    const signal = proc.signalCode === null ? null : String(proc.signalCode);
    return { code: signal ? null : proc.exitCode, signal };
  });
  const pipe = (s: unknown) => s instanceof ReadableStream ? s as ReadableStream<Uint8Array> : null;
  const out = pipe(proc.stdout);
  const err = pipe(proc.stderr);
  return {
    pid,
    stdin: options.stdin === "pipe" ? writerFromFileSink(proc.stdin as Bun.FileSink) : null,
    stdout: out ? readerFromWebStream(out, "child stdout") : null,
    stderr: err ? readerFromWebStream(err, "child stderr") : null,
    exited,
    kill(signal: Signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) signalProcess(pid, signal);
    },
    killGroup(signal: Signal = "SIGTERM") {
      signalProcess(-pid, signal);
    },
    unref() {
      proc.unref();
    },
  };
}
