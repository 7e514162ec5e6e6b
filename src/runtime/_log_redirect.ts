/**
 * `{ appendTo }` stdio for spawners that only take pipe/inherit/null (`Deno.Command`).
 *
 * The child is started as `/bin/sh -c 'exec "$@" >>"$1"' …`: the shell opens the log
 * file with O_APPEND and `exec`s the real command, so the pid, exit status, session
 * and signals are the command's own, and the file descriptor belongs to the child (a
 * detached daemon keeps logging after we exit, which a pump through our process could
 * not do). Paths travel as positional arguments, never spliced into the script.
 */
import * as fs from "node:fs";
import { toRuntimeError } from "./_map_error.ts";
import type { StdioSpec } from "./types.ts";

export interface Redirected {
  command: string;
  args: string[];
  /** What to ask the spawner for: an appended stream becomes "inherit" (the shell redirects). */
  stdout: "pipe" | "null" | "inherit";
  stderr: "pipe" | "null" | "inherit";
}

/** Create the log file as 0600 (or check it can be appended to) before the child runs. */
export function openLogFile(path: string): number {
  try {
    return fs.openSync(path, "a", 0o600);
  } catch (err) {
    throw toRuntimeError(err, `Cannot open log file "${path}"`);
  }
}

export function redirectThroughShell(
  command: string,
  args: string[],
  stdout: StdioSpec,
  stderr: StdioSpec,
): Redirected {
  const out = typeof stdout === "object" ? stdout.appendTo : null;
  const err = typeof stderr === "object" ? stderr.appendTo : null;
  if (out === null && err === null) {
    return {
      command,
      args,
      stdout: stdout as Redirected["stdout"],
      stderr: stderr as Redirected["stderr"],
    };
  }
  for (const path of [out, err]) if (path !== null) fs.closeSync(openLogFile(path));
  const paths: string[] = [];
  let script = "";
  let redirects = "";
  if (out !== null) {
    paths.push(out);
    script += `o=$${paths.length}; `;
    redirects += ` >>"$o"`;
  }
  if (err !== null && err === out) redirects += " 2>&1";
  else if (err !== null) {
    paths.push(err);
    script += `e=$${paths.length}; `;
    redirects += ` 2>>"$e"`;
  }
  script += `shift ${paths.length}; exec "$@"${redirects}`;
  return {
    command: "/bin/sh",
    args: ["-c", script, "shoal-spawn", ...paths, command, ...args],
    stdout: out === null ? stdout as Redirected["stdout"] : "inherit",
    stderr: err === null ? stderr as Redirected["stderr"] : "inherit",
  };
}
