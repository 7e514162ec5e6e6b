/**
 * Forwarding a host request upstream and settling it: id and progress-token rewriting
 * into the lane's single monotonic id space, and the exact restoration on the way back.
 */
import { ErrorCode } from "../rpc/error_codes.ts";
import { isJsonObject, isRequestId, type JsonRpcRequest, objectParams } from "../rpc/message.ts";
import { errorResponse } from "../rpc/responses.ts";
import type { BatchCollector } from "./batch.ts";
import type { Emitter } from "./emitter.ts";
import { type Lane, MAX_HOLD_MS } from "./lane.ts";
import { LOG_LEVEL_KEY } from "./meta_keys.ts";
import { PendingRequest } from "./pending.ts";
import type { RouterState } from "./router_state.ts";
import type { Session } from "./session.ts";

/**
 * Send `message` (a host request) to `lane` under a fresh upstream id. The message
 * object is rewritten in place: `id`, and `params._meta.progressToken` (SDK clients
 * use their request id as token, so tokens of different hosts collide). The upstream
 * token is the upstream id, unique for as long as the request lives.
 */
export function forwardRequest(
  state: RouterState,
  session: Session,
  lane: Lane,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): PendingRequest | undefined {
  const id = message.id;
  if (session.inflight.has(id)) {
    out.reply(
      session,
      batch,
      errorResponse(
        id,
        ErrorCode.InvalidRequest,
        `Invalid request: id ${JSON.stringify(id)} is already in flight`,
      ),
    );
    return undefined;
  }
  if (lane.phase === "down" && (lane.retryInMs === null || lane.retryInMs > MAX_HOLD_MS)) {
    const when = lane.retryInMs === null ? "it will not be restarted" : `the next restart is in ${Math.round(lane.retryInMs / 1000)} s`;
    out.reply(
      session,
      batch,
      errorResponse(id, ErrorCode.ServerUnavailable, `Server unavailable: it keeps crashing; ${when}`),
    );
    return undefined;
  }
  if (lane.phase !== "up" && lane.held.length >= state.maxHeldMessages) {
    out.reply(
      session,
      batch,
      errorResponse(
        id,
        ErrorCode.ConnectionClosed,
        "Server is restarting: too many requests are waiting for it",
      ),
    );
    return undefined;
  }
  const pending = new PendingRequest(lane, session, id, message.method, "forward");
  pending.batch = batch;
  const upstreamId = lane.ids.allocate(pending);
  pending.upstreamId = upstreamId;
  session.inflight.set(id, pending);
  lane.markBusy(session);
  message.id = upstreamId;
  const params = objectParams(message);
  if (params !== undefined) {
    const meta = params._meta;
    if (isJsonObject(meta)) {
      const token = meta.progressToken;
      if (isRequestId(token)) {
        pending.progressToken = token;
        meta.progressToken = upstreamId;
        lane.progress.set(upstreamId, pending);
      }
      const level = meta[LOG_LEVEL_KEY];
      if (typeof level === "string" && session.era === "modern") {
        pending.logLevel = level;
        trackLogging(session, level, 1);
      }
    }
    if (isJsonObject(params.task)) pending.taskAugmented = true;
  }
  out.upstream(lane, message);
  return pending;
}

/**
 * Bookkeeping when a forwarded request ends (answered, cancelled, or lost with its
 * server). `keepProgress` leaves the progress token mapped (a task outlives its
 * creating request, and so does its token).
 */
export function settle(pending: PendingRequest, keepProgress = false): void {
  const session = pending.session;
  if (session === undefined) return;
  if (pending.id !== undefined && session.inflight.get(pending.id) === pending) {
    session.inflight.delete(pending.id);
  }
  pending.lane.markIdle(session);
  if (pending.progressToken !== undefined && !keepProgress) {
    pending.lane.progress.delete(pending.upstreamId);
  }
  if (pending.logLevel !== undefined) trackLogging(session, pending.logLevel, -1);
}

/** Send the router's own request upstream; its answer is handled by `purpose`. */
export function sendOwnRequest(
  lane: Lane,
  method: string,
  params: Record<string, unknown>,
  purpose: PendingRequest["purpose"],
  out: Emitter,
  now = false,
): PendingRequest {
  const pending = new PendingRequest(lane, undefined, undefined, method, purpose);
  pending.upstreamId = lane.ids.allocate(pending);
  const message = { jsonrpc: "2.0" as const, id: pending.upstreamId, method, params };
  if (now) out.upstreamNow(lane, message);
  else out.upstream(lane, message);
  return pending;
}

function trackLogging(session: Session, level: string, delta: number): void {
  const counts = session.loggingRequests ??= new Map();
  const count = (counts.get(level) ?? 0) + delta;
  if (count > 0) counts.set(level, count);
  else counts.delete(level);
}
