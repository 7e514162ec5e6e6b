/**
 * Per-host state: one {@link Session} per attached proxy connection.
 */
import type { JsonObject, RequestId } from "../rpc/message.ts";
import type { Lane } from "./lane.ts";
import type { LogLevel } from "./log_levels.ts";
import type { PendingRequest, ServerRequest } from "./pending.ts";
import type { ClientId, Era } from "./types.ts";

export class Session {
  era: Era = "unknown";
  /** The lane serving this host once its era is known. */
  lane: Lane | undefined = undefined;
  /** Legacy handshake: `initialize` not sent, waiting for its answer, or answered. */
  init: "none" | "pending" | "ready" = "none";
  /** Why this host's last `initialize` failed: named when it asks for more before retrying. */
  initFailure: string | undefined = undefined;
  /** Requested, then negotiated (legacy) or claimed (modern) protocol version. */
  protocolVersion: string | undefined = undefined;
  clientInfo: JsonObject | undefined = undefined;
  /** Capabilities from `initialize` (legacy): decide who gets server→client requests. */
  capabilities: JsonObject | undefined = undefined;
  /** Level from this host's `logging/setLevel`; undefined = never set. */
  logLevel: LogLevel | undefined = undefined;
  /** Host requests forwarded upstream, by the host's own id. */
  readonly inflight = new Map<RequestId, PendingRequest>();
  /** Legacy resource subscriptions of this host. */
  readonly subscriptions = new Set<string>();
  /** Server→client requests this host holds, by the id the host saw. */
  readonly serverRequests = new Map<number, ServerRequest>();
  nextDownstreamId = 1;
  /** Router tick of the last message from this host ("most recently active"). */
  lastActive = 0;
  /** Modern era: log levels of in-flight requests that asked for logging, with counts. */
  loggingRequests: Map<string, number> | undefined = undefined;
  /** Parsed lines received while `initialize` was still being answered, replayed after. */
  queued: unknown[] | undefined = undefined;
  closed = false;

  constructor(readonly id: ClientId) {}
}
