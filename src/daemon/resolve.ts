/**
 * Resolving the inputs of the server key: the command's absolute path (PATH lookup, as
 * the shell would) and the scope root (realpath of cwd, or the enclosing git root).
 */
import type { Fs } from "../runtime/types.ts";
import type { Scope } from "./server_key.ts";

/** Absolute path of `command` via PATH, or `command` unchanged when not found. */
export async function resolveCommand(fs: Fs, command: string, cwd: string, path = ""): Promise<string> {
  if (command.includes("/")) {
    const absolute = command.startsWith("/") ? command : `${cwd}/${command}`;
    return await fs.realPath(absolute).catch(() => absolute);
  }
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${command}`;
    const info = await fs.stat(candidate).catch(() => null);
    if (info?.isFile && (info.mode & 0o111) !== 0) return candidate;
  }
  return command;
}

/** The directory a scope shares by: realpath(cwd), its git root, or "" for global. */
export async function scopeRoot(fs: Fs, cwd: string, scope: Scope): Promise<string> {
  if (scope === "global") return "";
  const real = await fs.realPath(cwd).catch(() => cwd);
  if (scope === "cwd") return real;
  for (let dir = real;;) {
    if (await fs.lstat(`${dir}/.git`).then(() => true, () => false)) return dir;
    const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
    if (parent === dir) return real; // not in a repository: behave like cwd
    dir = parent;
  }
}
