import type { LogLevel } from "./log.ts";
import type { Scope, ServerKey } from "./server_key.ts";

/** Everything a daemon needs to serve one server key. */
export interface DaemonOptions {
  stateDir: string;
  key: ServerKey;
  scope: Scope;
  /** The server command as the host gave it, and its resolved form (for status). */
  command: string;
  args: string[];
  /** The launching host's cwd and environment: the server starts with these. */
  cwd: string;
  env: Record<string, string>;
  /** Linger after the last client leaves; 0 = never exit when idle. */
  idleMs: number;
  /** Largest JSON-RPC message accepted from a host or the server. */
  maxMessageBytes: number;
  /** Bytes queued for one slow host before it is disconnected. */
  maxQueueBytes: number;
  logLevel: LogLevel;
  /** The log is rotated to `<log>.1` past this size: at most two such files exist. */
  logMaxBytes: number;
  /** Build id (normally BUILD; tests override it to simulate an upgrade). */
  build: string;
  /** The command line that started this daemon (first log line). */
  launchedBy: string;
}

export const DEFAULT_IDLE_SECONDS = 300;
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_LOG_MAX_BYTES = 8 * 1024 * 1024;
/** A connection that has not said hello by then is closed. */
export const HELLO_TIMEOUT_MS = 5000;
/** How often the daemon checks it still owns its lock, socket and state dir. */
export const SELF_CHECK_MS = 3000;
