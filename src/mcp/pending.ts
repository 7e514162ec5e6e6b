/**
 * Records of work in flight between hosts and servers.
 */
import type { RequestId } from "../rpc/message.ts";
import type { BatchCollector } from "./batch.ts";
import type { Lane } from "./lane.ts";
import type { Session } from "./session.ts";

/**
 * Why the router sent an upstream request: on behalf of a host (`forward`), or on
 * its own for the handshake, its replay, a shared subscription, or housekeeping
 * whose answer nobody waits for (`internal`).
 */
export type Purpose = "forward" | "initialize" | "replay" | "subscribe" | "internal";

/** One upstream request awaiting its response, keyed by its upstream id. */
export class PendingRequest {
  upstreamId = 0;
  /** The host's own progress token, when it asked for progress. */
  progressToken: RequestId | undefined = undefined;
  /** The batch the host request came in, if any. */
  batch: BatchCollector | undefined = undefined;
  /** The request asked for a task (2025-11-25 `params.task`). */
  taskAugmented = false;
  /** Modern era: the per-request log level the host asked for. */
  logLevel: string | undefined = undefined;
  /** `resources/subscribe` done for the router's shared subscription. */
  uri: string | undefined = undefined;

  constructor(
    readonly lane: Lane,
    /** The host waiting for the answer; undefined for the router's own requests. */
    readonly session: Session | undefined,
    /** The host's id, restored exactly (type and value) on the way back. */
    readonly id: RequestId | undefined,
    readonly method: string,
    readonly purpose: Purpose,
  ) {}
}

/** A server→client request handed to one host. */
export interface ServerRequest {
  lane: Lane;
  session: Session;
  /** The server's id, restored on the host's reply. */
  upstreamId: RequestId;
  /** The id the host saw (a per-host counter: a restarted server reuses ids). */
  downstreamId: number;
  method: string;
}

/** A host request answered later from a shared upstream exchange. */
export interface Waiter {
  session: Session;
  id: RequestId;
  batch: BatchCollector | undefined;
}
