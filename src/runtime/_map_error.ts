/**
 * Runtime errors mapped to portable {@link RuntimeError} codes at the edge, so the core
 * sees the same code whether Deno (`Deno.errors.*` classes), Bun or node:net failed.
 */
import { mapError } from "./fs_node.ts";
import { type ErrorCode, RuntimeError } from "./types.ts";

/** What each code means, in words a user can act on. */
const MEANING: Partial<Record<ErrorCode, string>> = {
  ENOENT: "no such file or directory",
  ECONNREFUSED: "nobody is listening (stale socket file)",
  EADDRINUSE: "address already in use (a live listener or a stale socket file)",
  EPIPE: "the peer has gone away",
  ECONNRESET: "the peer reset the connection",
  EAGAIN: "the listener is busy (its backlog is full)",
  ECLOSED: "this side has already closed it",
};

/** Deno error class names whose `code` is missing or not portable. */
const DENO_NAMES: Record<string, ErrorCode> = {
  BadResource: "ECLOSED",
  Interrupted: "ECLOSED",
  BrokenPipe: "EPIPE",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNRESET",
  NotConnected: "EPIPE",
  ConnectionRefused: "ECONNREFUSED",
  WouldBlock: "EAGAIN",
  AddrInUse: "EADDRINUSE",
  NotFound: "ENOENT",
  AlreadyExists: "EEXIST",
  PermissionDenied: "EACCES",
};

/** node stream errors that mean "this stream is already closed". */
const STREAM_CLOSED = new Set([
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
  "ERR_SOCKET_CLOSED",
  "EBADF",
]);

/** A RuntimeError for `code`, worded `<action>: <meaning>`. */
export function runtimeError(code: ErrorCode, action: string, cause?: unknown): RuntimeError {
  const meaning = MEANING[code] ?? (cause instanceof Error ? cause.message : code);
  return new RuntimeError(code, `${action}: ${meaning}`, cause === undefined ? {} : { cause });
}

/** Map anything thrown by a runtime API to a RuntimeError; `action` says what failed. */
export function toRuntimeError(err: unknown, action: string): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const raw = (err as { code?: unknown } | null)?.code;
  if (typeof raw === "string" && STREAM_CLOSED.has(raw)) {
    return runtimeError("ECLOSED", action, err);
  }
  const byName = err instanceof Error ? DENO_NAMES[err.name] : undefined;
  const mapped = byName ?? mapError(err, action).code;
  if (mapped === "EOTHER") return mapError(err, action);
  return runtimeError(mapped, action, err);
}
