/**
 * Per-upstream state: one {@link Lane} per server process the router talks to.
 */
import { IdTable } from "../rpc/id_table.ts";
import type { JsonObject, JsonRpcMessage, RequestId } from "../rpc/message.ts";
import type { LogLevel } from "./log_levels.ts";
import type { PendingRequest, ServerRequest, Waiter } from "./pending.ts";
import type { Session } from "./session.ts";
import type { LaneId } from "./types.ts";

/** The cached legacy handshake of a lane (single-flight, then served from cache). */
export interface InitState {
  state: "none" | "pending" | "ready";
  /** Params sent upstream (the first host's), replayed after a restart. */
  params: JsonObject | undefined;
  /** The server's InitializeResult, answered to every later host. */
  result: unknown;
  requestedVersion: string | undefined;
  negotiatedVersion: string | undefined;
  waiters: Waiter[];
}

/** One URI's shared upstream subscription (legacy `resources/subscribe`). */
export interface UriSubscription {
  readonly subscribers: Set<Session>;
  upstream: "none" | "pending" | "active";
  /** Hosts whose subscribe waits for the single upstream subscribe. */
  waiters: Waiter[];
}

/** A task (2025-11-25) the server created for a host. */
export interface TaskRecord {
  owner: Session;
  /** The creating request, while its progress token stays valid. */
  progress: PendingRequest | undefined;
  terminal: boolean;
}

/** The longest a request is held for a server that is restarting; beyond, −32011 at once. */
export const MAX_HOLD_MS = 5000;

export class Lane {
  /** Set by the first era-specific message it carries; `fresh` until then. */
  era: "fresh" | "legacy" | "modern" = "fresh";
  /** `down` after the server exited; `replaying` while the handshake is redone. */
  phase: "up" | "down" | "replaying" = "up";
  /** While down: how long until the daemon starts the next process (null: never). */
  retryInMs: number | null = null;
  readonly ids = new IdTable<PendingRequest>();
  readonly init: InitState = {
    state: "none",
    params: undefined,
    result: undefined,
    requestedVersion: undefined,
    negotiatedVersion: undefined,
    waiters: [],
  };
  /** `notifications/initialized` went to the current server process. */
  initializedSent = false;
  /** Hosts served by this lane. */
  readonly members = new Set<Session>();
  /** Hosts with forwarded requests in flight, and how many. */
  readonly busy = new Map<Session, number>();
  /** Upstream progress token (= upstream request id) → the request that asked. */
  readonly progress = new Map<number, PendingRequest>();
  readonly subscriptions = new Map<string, UriSubscription>();
  /** Level last sent with `logging/setLevel`; undefined = never set (server default). */
  upstreamLevel: LogLevel | undefined = undefined;
  readonly tasks = new Map<string, TaskRecord>();
  /** Tasks a host created for a server→client request (client-side tasks). */
  readonly clientTasks = new Map<string, Session>();
  /** URL-mode elicitations: elicitationId → the host that must see its completion. */
  readonly elicitations = new Map<string, Session>();
  /** Server→client requests out at hosts, by the server's id. */
  readonly serverRequests = new Map<RequestId, ServerRequest>();
  /** Messages for a server that is down or replaying its handshake. */
  held: JsonRpcMessage[] = [];

  constructor(readonly id: LaneId) {}

  /** Count a host request in flight (for the "only busy host" rule). */
  markBusy(session: Session): void {
    this.busy.set(session, (this.busy.get(session) ?? 0) + 1);
  }

  markIdle(session: Session): void {
    const count = this.busy.get(session);
    if (count === undefined) return;
    if (count <= 1) this.busy.delete(session);
    else this.busy.set(session, count - 1);
  }

  /** Capabilities the server advertised in its InitializeResult. */
  serverCapabilities(): JsonObject | undefined {
    const result = this.init.result as JsonObject | undefined;
    const capabilities = result?.capabilities;
    return typeof capabilities === "object" && capabilities !== null
      ? capabilities as JsonObject
      : undefined;
  }
}
