/**
 * The router's public vocabulary: who talks (clients, lanes), what it emits, how it
 * is configured and what it reports.
 */
import type { JsonObject, JsonRpcMessage } from "../rpc/message.ts";

/** One attached host connection (a proxy), numbered by the daemon. */
export type ClientId = number;

/** One upstream server process. The router decides which lanes exist. */
export type LaneId = string;

/**
 * The lane the daemon starts with. Any other lane id the router emits is spawned by
 * the daemon on the first output addressed to it.
 */
export const DEFAULT_LANE: LaneId = "main";

/** Log severities the router uses for its own events (not MCP logging levels). */
export type RouterLogLevel = "debug" | "info" | "warn" | "error";

/**
 * What the router asks the daemon to do. Messages are read-only once emitted: one
 * object may appear in several outputs (a broadcast), and ids inside were rewritten
 * in place. Serialization (`JSON.stringify` + `"\n"`) is the daemon's job.
 */
export type RouterOutput =
  /** Write `message` to the stdin of lane `lane`'s server (spawning it if needed). */
  | { kind: "upstream"; lane: LaneId; message: JsonRpcMessage }
  /** Stop lane `lane`'s server: the router has forgotten the lane. */
  | { kind: "stop"; lane: LaneId }
  /** Write to host `client`; an array is a re-batched reply to a JSON-RPC batch. */
  | { kind: "client"; client: ClientId; message: JsonRpcMessage | JsonRpcMessage[] }
  /** A log line: one event with `key=value` fields, never a message body. */
  | { kind: "log"; level: RouterLogLevel; event: string; fields: Record<string, unknown> };

/** Name and version as MCP's `Implementation` carries them. */
export interface Implementation extends JsonObject {
  name: string;
  version: string;
}

export interface RouterOptions {
  /**
   * `clientInfo` sent upstream in `initialize`. Default: the first host's own
   * clientInfo (servers sometimes adapt to the host, and the first host's view is
   * what that server would have seen without shoal).
   */
  upstreamClientInfo?: Implementation;
  /**
   * Requests held for a lane whose server is down or being re-initialized. Beyond
   * this, requests fail at once with −32000 instead of queueing. Default 1024.
   */
  maxHeldMessages?: number;
}

/** Protocol era of a host connection. */
export type Era = "unknown" | "legacy" | "modern";

/** Per-host facts for `status` and for invariant checks. */
export interface ClientSnapshot {
  client: ClientId;
  name?: string;
  version?: string;
  era: Era;
  protocolVersion?: string;
  lane?: LaneId;
  /** True once the host's `initialize` was answered (legacy) or it is pinned modern. */
  initialized: boolean;
  /** Requests of this host forwarded upstream and not yet answered. */
  inFlight: number;
  /** URIs this host is subscribed to (legacy `resources/subscribe`). */
  subscriptions: number;
  /** Server→client requests this host holds and has not answered. */
  serverRequests: number;
  logLevel?: string;
}

/** Per-lane facts. */
export interface LaneSnapshot {
  lane: LaneId;
  era: "fresh" | "legacy" | "modern";
  /** `up`, `down` (exited, not restarted yet) or `replaying` (handshake being replayed). */
  phase: "up" | "down" | "replaying";
  /** The negotiated protocol version (legacy lanes). */
  protocolVersion?: string;
  /** Hosts attached to this lane. */
  clients: number;
  /** Upstream requests awaiting a response (client and router-originated). */
  pending: number;
  /** Progress tokens being mapped back. */
  progressTokens: number;
  /** Messages queued while the lane is down or replaying. */
  held: number;
  /** Upstream subscriptions: URI, subscriber count and upstream state. */
  subscriptions: Array<
    { uri: string; subscribers: number; upstream: "none" | "pending" | "active" }
  >;
  /** Tasks with a recorded owner. */
  tasks: number;
  /** Server→client requests handed to hosts and not answered yet. */
  serverRequests: number;
  /** Level last sent upstream with `logging/setLevel`. */
  logLevel?: string;
}

export interface RouterSnapshot {
  clients: ClientSnapshot[];
  lanes: LaneSnapshot[];
  totals: {
    /** Host requests answered (from upstream or locally), since start. */
    requestsServed: number;
    /** Server→client requests answered by hosts or by the router, since start. */
    serverRequestsServed: number;
  };
}
