/**
 * Starting a daemon for a proxy: the same binary, `daemon --foreground`, detached, its
 * output appended to the key's log. A daemon that exits 0 lost the election (another
 * serves the key); one killed by a signal was stopped by someone (a new one may start).
 * Any other exit before a hello means no daemon can start here, and the proxy should
 * stop waiting for one at once rather than at its deadline.
 */
import type { Runtime } from "../runtime/types.ts";
import { type ServerSpec, specArgs } from "../cli/server_spec.ts";

/** Start a daemon; `onFailure` gets a one-line reason if it exits with an error. */
export function startDaemon(runtime: Runtime, spec: ServerSpec, log: string, onFailure: (reason: string) => void): void {
  const child = runtime.spawn(
    runtime.execPath(),
    [...runtime.selfArgs(), "daemon", "--foreground", ...specArgs(spec)],
    {
      cwd: "/",
      env: spec.env,
      stdin: "null",
      stdout: { appendTo: log },
      stderr: { appendTo: log },
      detached: true,
    },
  );
  child.unref();
  child.exited.then(async (status) => {
    if (status.code === 0 || status.code === null) return;
    onFailure(await describeFailure(runtime, status.code, log));
  });
}

/** "the daemon could not start (exit code 1): <its last error line>; log: <path>" */
async function describeFailure(runtime: Runtime, code: number, log: string): Promise<string> {
  const text = await runtime.fs.readTextFile(log).catch(() => "");
  const last = text.split("\n").reverse().find((line) => line.startsWith("error: "))?.trim();
  const detail = last === undefined ? "" : `: ${last.length > 300 ? `${last.slice(0, 300)}…` : last}`;
  return `the daemon could not start (exit code ${code})${detail}; log: ${log}`;
}
