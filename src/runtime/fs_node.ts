/**
 * {@link Fs} over `node:fs/promises`. `node:fs` behaves the same on Deno, Bun and Node
 * (it stands in for the card's @std/fs), so every adapter may share this one; errors
 * are mapped to portable {@link RuntimeError} codes at this edge.
 */
import * as fsp from "node:fs/promises";
import * as fs from "node:fs";
import process from "node:process";
import { type ErrorCode, type FileInfo, type Fs, RuntimeError } from "./types.ts";

const KNOWN: ReadonlySet<string> = new Set([
  "ENOENT",
  "EEXIST",
  "EACCES",
  "ENOTDIR",
  "ECONNREFUSED",
  "EADDRINUSE",
  "EPIPE",
  "ECONNRESET",
  "EAGAIN",
  "ENAMETOOLONG",
]);

/** Map any thrown value to a RuntimeError with a portable code. */
export function mapError(err: unknown, what: string): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const raw = (err as { code?: unknown })?.code;
  let code: ErrorCode = typeof raw === "string" && KNOWN.has(raw) ? raw as ErrorCode : "EOTHER";
  if (code === "EOTHER" && raw === "EPERM") code = "EACCES";
  const message = err instanceof Error ? err.message : String(err);
  return new RuntimeError(code, `${what}: ${message}`, { cause: err });
}

function info(s: fs.Stats): FileInfo {
  return {
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymlink: s.isSymbolicLink(),
    isSocket: s.isSocket(),
    mode: Number(s.mode),
    uid: Number(s.uid),
    gid: Number(s.gid),
    size: Number(s.size),
    mtimeMs: Number(s.mtimeMs),
  };
}

async function wrap<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw mapError(err, what);
  }
}

/** The shared node:fs implementation of {@link Fs}. */
export const nodeFs: Fs = {
  lstat: (p) => wrap(`lstat "${p}"`, async () => info(await fsp.lstat(p))),
  stat: (p) => wrap(`stat "${p}"`, async () => info(await fsp.stat(p))),
  mkdir: (p, mode) => wrap(`mkdir "${p}"`, () => fsp.mkdir(p, { mode })),
  chmod: (p, mode) => wrap(`chmod "${p}"`, () => fsp.chmod(p, mode)),
  link: (a, b) => wrap(`link "${a}" -> "${b}"`, () => fsp.link(a, b)),
  rename: (a, b) => wrap(`rename "${a}" -> "${b}"`, () => fsp.rename(a, b)),
  unlink: (p) => wrap(`unlink "${p}"`, () => fsp.unlink(p)),
  writeFileExclusive: (p, data, mode) =>
    wrap(`create "${p}"`, () => fsp.writeFile(p, data, { flag: "wx", mode })),
  writeFile: (p, data, mode) =>
    wrap(`write "${p}"`, () => fsp.writeFile(p, data, mode === undefined ? {} : { mode })),
  appendFile: (p, data) => wrap(`append "${p}"`, () => fsp.appendFile(p, data)),
  readFile: (p) => wrap(`read "${p}"`, async () => new Uint8Array(await fsp.readFile(p))),
  readTextFile: (p) => wrap(`read "${p}"`, () => fsp.readFile(p, "utf8")),
  readDir: (p) => wrap(`readdir "${p}"`, () => fsp.readdir(p)),
  realPath: (p) => wrap(`realpath "${p}"`, () => fsp.realpath(p)),
  umask: (mask) => process.umask(mask),
};
