/**
 * {@link ChildProcess} over `Deno.Command`.
 *
 * - `detached: true` is Deno's own option (2.x): the child calls setsid(), so it leads
 *   a new session and process group (checked by the conformance suite through
 *   /proc/<pid>/stat).
 * - `Deno.Command` only takes piped/inherit/null stdio, so `{ appendTo }` goes through
 *   a `/bin/sh` exec wrapper (see `_log_redirect.ts`).
 * - `env` replaces our environment entirely (`clearEnv`).
 * - A killed child reports `{ code: null, signal }` like the other adapters (Deno
 *   itself reports code 128+n).
 */
import { whyNotExecutable } from "./_find_executable.ts";
import { redirectThroughShell } from "./_log_redirect.ts";
import { toRuntimeError } from "./_map_error.ts";
import { readerFromWebStream, writerFromWebStream } from "./_web_streams.ts";
import type { ChildProcess, ExitStatus, Signal, SpawnOptions } from "./types.ts";

const STDIO = { pipe: "piped", null: "null", inherit: "inherit" } as const;

function signalGroup(pid: number, signal: Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // No such group any more: nothing to signal (contract: never throws).
  }
}

export function spawnDeno(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): ChildProcess {
  const stdin = options.stdin ?? "inherit";
  const plan = redirectThroughShell(
    command,
    args,
    options.stdout ?? "inherit",
    options.stderr ?? "inherit",
  );
  const cwd = options.cwd ?? Deno.cwd();
  if (plan.command !== command) {
    const pathVar = options.env ? options.env.PATH : Deno.env.get("PATH");
    const why = whyNotExecutable(command, pathVar, cwd);
    if (why) throw why;
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(plan.command, {
      args: plan.args,
      cwd,
      env: options.env,
      clearEnv: options.env !== undefined,
      stdin: STDIO[stdin],
      stdout: STDIO[plan.stdout],
      stderr: STDIO[plan.stderr],
      detached: options.detached ?? false,
    }).spawn();
  } catch (err) {
    throw toRuntimeError(err, `Cannot spawn "${command}"`);
  }
  const pid = child.pid;
  const exited: Promise<ExitStatus> = child.status.then((s) => ({
    code: s.signal ? null : s.code,
    signal: s.signal,
  }));
  return {
    pid,
    stdin: stdin === "pipe" ? writerFromWebStream(child.stdin, "to child stdin") : null,
    stdout: plan.stdout === "pipe" ? readerFromWebStream(child.stdout, "child stdout") : null,
    stderr: plan.stderr === "pipe" ? readerFromWebStream(child.stderr, "child stderr") : null,
    exited,
    kill(signal: Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already exited: the contract says never throw for a dead process.
      }
    },
    killGroup(signal: Signal = "SIGTERM") {
      signalGroup(pid, signal);
    },
    unref() {
      child.unref();
    },
  };
}
