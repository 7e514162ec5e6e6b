/**
 * PATH lookup done the way execvp does it, used where a spawner cannot tell us
 * synchronously why a spawn failed (node:child_process only reports it in a later
 * `'error'` event) or would not fail at all (a `/bin/sh` wrapper exits 127 instead).
 * It lets every adapter's `spawn()` throw ENOENT/EACCES synchronously and alike.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runtimeError } from "./_map_error.ts";
import type { RuntimeError } from "./types.ts";

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

function executable(file: string): "ok" | "ENOENT" | "EACCES" {
  try {
    if (!fs.statSync(file).isFile()) return "EACCES";
    fs.accessSync(file, fs.constants.X_OK);
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code === "ENOENT" ? "ENOENT" : "EACCES";
  }
}

/** Why `command` cannot be executed, or null when it can. */
export function whyNotExecutable(
  command: string,
  pathVar: string | undefined,
  cwd: string,
): RuntimeError | null {
  const action = `Cannot spawn "${command}"`;
  if (command.includes("/")) {
    const verdict = executable(path.resolve(cwd, command));
    return verdict === "ok" ? null : runtimeError(verdict, action);
  }
  let denied = false;
  for (const dir of (pathVar ?? DEFAULT_PATH).split(":")) {
    const verdict = executable(path.resolve(cwd, dir || ".", command));
    if (verdict === "ok") return null;
    if (verdict === "EACCES") denied = true;
  }
  return runtimeError(denied ? "EACCES" : "ENOENT", action);
}
