/**
 * JSON-RPC error codes shoal answers with.
 *
 * The standard codes come from JSON-RPC 2.0. The others sit in the range MCP leaves to
 * implementations (−32000…−32019 since 2026-07-28; −32020…−32099 is reserved for the
 * specification, so nothing of ours may go there).
 */
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
  ConnectionClosed: -32000,
  /** A message above the configured size limit. */
  MessageTooLarge: -32010,
} as const;

/** One of the codes above. */
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode];
