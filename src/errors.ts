/**
 * The one domain error of shoal: conditions callers handle. Each code maps to exactly
 * one CLI exit code and one JSON-RPC error code (`tests/errors_test.ts` checks the
 * tables are complete). Programmer errors stay built-in Error classes.
 */

/** Every domain error code. */
export type ErrorCodeName =
  | "ERR_USAGE"
  | "ERR_UNSAFE_STATE_DIR"
  | "ERR_NO_DAEMON"
  | "ERR_DAEMON_UNRESPONSIVE"
  | "ERR_DAEMON_REFUSED"
  | "ERR_HELLO"
  | "ERR_SOCKET_PATH"
  | "ERR_LOCK"
  | "ERR_DAEMON_LOST"
  | "ERR_SERVER_EXITED"
  | "ERR_SERVER_UNAVAILABLE"
  | "ERR_MESSAGE_TOO_LARGE"
  | "ERR_NOT_SENT"
  | "ERR_INTERNAL";

interface CodeInfo {
  /** Process exit status when this error ends a CLI command. */
  exit: number;
  /** JSON-RPC error code when this error answers a request (−32000…−32019 are ours). */
  rpc: number;
}

/** Exit 2 = usage, 3 = nothing running (as `status` documents), 1 = anything else. */
export const ERROR_CODES: Readonly<Record<ErrorCodeName, CodeInfo>> = {
  ERR_USAGE: { exit: 2, rpc: -32602 },
  ERR_UNSAFE_STATE_DIR: { exit: 4, rpc: -32001 },
  ERR_NO_DAEMON: { exit: 3, rpc: -32002 },
  ERR_DAEMON_UNRESPONSIVE: { exit: 5, rpc: -32003 },
  ERR_DAEMON_REFUSED: { exit: 1, rpc: -32004 },
  ERR_HELLO: { exit: 1, rpc: -32005 },
  ERR_SOCKET_PATH: { exit: 1, rpc: -32006 },
  ERR_LOCK: { exit: 1, rpc: -32007 },
  // A request the proxy had forwarded when its daemon went away; the proxy reconnects.
  // Deliberately not −32000 (the SDKs' "connection closed"): the host's connection is fine.
  ERR_DAEMON_LOST: { exit: 1, rpc: -32008 },
  ERR_SERVER_EXITED: { exit: 1, rpc: -32000 },
  ERR_SERVER_UNAVAILABLE: { exit: 1, rpc: -32011 },
  ERR_MESSAGE_TOO_LARGE: { exit: 1, rpc: -32010 },
  // A stopping daemon hands back a request its server never saw (it waited for a
  // restart); the proxy sends it to the next daemon instead of showing this error.
  ERR_NOT_SENT: { exit: 1, rpc: -32012 },
  ERR_INTERNAL: { exit: 1, rpc: -32603 },
};

/** A condition the caller is expected to handle; `code` selects exit and JSON-RPC codes. */
export class ShoalError extends Error {
  readonly code: ErrorCodeName;
  constructor(code: ErrorCodeName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ShoalError";
    this.code = code;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  get rpcCode(): number {
    return ERROR_CODES[this.code].rpc;
  }
}
