/**
 * Socket path rules shared by every adapter.
 *
 * 1. Length is checked here, before the OS sees the path: Deno and Bun fail with
 *    EINVAL past sockaddr_un's size and node:net on Node silently truncates (and would
 *    bind a different file).
 * 2. Deno, Bun and node:net all unlink the path they bound when the listener closes,
 *    by name and without checking it is still theirs (measured: rename the socket away,
 *    put another file at the path, close — the other file is gone). A daemon closing
 *    after a successor published its socket would delete the successor's socket. So
 *    listeners bind a private sibling name, hard-link it to the public path (atomic:
 *    EEXIST when the path is taken, live or stale) and unlink the sibling; the runtime
 *    later unlinks a name nobody uses and the public path stays the caller's.
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import { MAX_SOCKET_PATH, RuntimeError } from "./types.ts";

const encoder = new TextEncoder();

/** Throw ENAMETOOLONG (or EOTHER for an empty or NUL-bearing path) before any syscall. */
export function checkSocketPath(path: string, action: string): void {
  const bytes = encoder.encode(path).byteLength;
  if (bytes > MAX_SOCKET_PATH) {
    throw new RuntimeError(
      "ENAMETOOLONG",
      `${action}: socket path is ${bytes} bytes, the limit is ${MAX_SOCKET_PATH}`,
    );
  }
  if (bytes === 0 || path.includes("\0")) {
    throw new RuntimeError(
      "EOTHER",
      `${action}: socket path must be non-empty and free of NUL bytes`,
    );
  }
}

/** Random sibling name of `path` that fits the length limit (at least 3 random chars). */
function siblingPath(path: string, action: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "" : path.slice(0, slash + 1);
  const room = MAX_SOCKET_PATH - encoder.encode(dir).byteLength - 1; // minus the leading "."
  if (room < 3) {
    throw new RuntimeError(
      "ENAMETOOLONG",
      `${action}: the directory leaves no room for a temporary socket name`,
    );
  }
  return `${dir}.${randomBytes(8).toString("hex").slice(0, Math.min(room, 12))}`;
}

/** How an adapter binds and drops a raw listener on some path. */
export interface RawBind<L> {
  bind(path: string): L | Promise<L>;
  /** Close without caring about the path (the runtime may unlink it). */
  close(listener: L): void;
}

/**
 * Bind `path` through a sibling name (see the file comment). EADDRINUSE when `path`
 * exists, whether a live listener or a stale file holds it: nothing is ever unlinked
 * here, replacing a stale socket is the caller's decision.
 */
export async function bindPublished<L>(path: string, raw: RawBind<L>): Promise<L> {
  const action = `Cannot listen on "${path}"`;
  checkSocketPath(path, action);
  let listener: L | undefined;
  let temp = "";
  for (let attempt = 0; listener === undefined; attempt++) {
    temp = siblingPath(path, action);
    try {
      listener = await raw.bind(temp);
    } catch (err) {
      const mapped = toRuntimeError(err, action);
      if (mapped.code !== "EADDRINUSE" || attempt >= 4) throw mapped;
    }
  }
  try {
    await fsp.link(temp, path);
  } catch (err) {
    raw.close(listener);
    const mapped = toRuntimeError(err, action);
    throw mapped.code === "EEXIST" ? runtimeError("EADDRINUSE", action, err) : mapped;
  } finally {
    await fsp.unlink(temp).catch(() => {});
  }
  return listener;
}
