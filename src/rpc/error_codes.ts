/**
 * JSON-RPC error codes shoal answers with.
 *
 * The standard codes come from JSON-RPC 2.0. The others sit in the range MCP leaves to
 * implementations (−32000…−32019 since 2026-07-28; −32020…−32099 is reserved for the
 * specification, so nothing of ours may go there).
 */
import { ERROR_CODES } from "../errors.ts";

/** Ours are taken from the one domain table in `src/errors.ts`, so the two never disagree. */
export const ErrorCode = {
  /** Invalid JSON or invalid UTF-8. */
  ParseError: -32700,
  /** Valid JSON that is not an acceptable request here. */
  InvalidRequest: -32600,
  /** No attached host can answer a server→client request. */
  MethodNotFound: -32601,
  /** A request naming something the sender does not own (another host's task). */
  InvalidParams: -32602,
  /** Something inside shoal went wrong. */
  InternalError: -32603,
  /**
   * The other end went away: the server exited (to hosts) or the host disconnected
   * (to the server). Both TypeScript SDKs use −32000 for "connection closed".
   */
  ConnectionClosed: ERROR_CODES.ERR_SERVER_EXITED.rpc,
  /** A message above the configured size limit. */
  MessageTooLarge: ERROR_CODES.ERR_MESSAGE_TOO_LARGE.rpc,
  /** The server is down and its next restart is further away than a request may wait. */
  ServerUnavailable: ERROR_CODES.ERR_SERVER_UNAVAILABLE.rpc,
  /** The daemon is stopping and the request never reached the server: send it again. */
  NotSent: ERROR_CODES.ERR_NOT_SENT.rpc,
} as const;

/** One of the codes above. */
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode];
