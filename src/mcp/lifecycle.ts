/**
 * Hosts leaving and servers dying: nothing may be left waiting, and nothing a
 * departed party asked for may linger upstream.
 */
import { ErrorCode } from "../rpc/error_codes.ts";
import { errorResponse } from "../rpc/responses.ts";
import { isJsonObject, type JsonRpcMessage, type JsonRpcRequest } from "../rpc/message.ts";
import type { Emitter } from "./emitter.ts";
import { settle } from "./forward.ts";
import { failInitialize, startReplay } from "./initialize.ts";
import type { Lane } from "./lane.ts";
import { recomputeLevel } from "./logging.ts";
import type { RouterState } from "./router_state.ts";
import { cancelAllForLane, failHeldRequests, releaseElicitations } from "./server_requests.ts";
import type { Session } from "./session.ts";
import { markAllLost, onSubscribeResponse, releaseSession } from "./subscriptions.ts";
import { releaseTasks } from "./tasks.ts";

/** How a server process ended, as the daemon saw it. */
export interface ExitDetail {
  code: number | null;
  signal: string | null;
  /** The last line the server wrote to stderr, if any. */
  lastStderr?: string;
  /**
   * When the daemon will start the next process (null: never). Requests arriving while
   * it is further away than `MAX_HOLD_MS` (lane.ts) fail at once instead of waiting.
   */
  retryInMs?: number | null;
}

/**
 * A host disconnected: cancel its in-flight requests upstream (their late answers
 * will find nothing and be dropped), fail the server→client requests it held,
 * release its subscriptions, tasks and log level.
 */
export function removeSession(state: RouterState, session: Session, out: Emitter): void {
  session.closed = true;
  state.sessions.delete(session.id);
  for (const pending of [...session.inflight.values()]) {
    pending.lane.ids.delete(pending.upstreamId);
    settle(pending);
    out.upstream(pending.lane, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: pending.upstreamId, reason: "Client disconnected" },
    });
  }
  failHeldRequests(session, out);
  const lane = session.lane;
  if (lane !== undefined) {
    lane.init.waiters = lane.init.waiters.filter((waiter) => waiter.session !== session);
    releaseSession(session, lane, out);
    releaseTasks(session, lane, out);
    releaseElicitations(session, lane);
    lane.members.delete(session);
    lane.busy.delete(session);
    if (session.era === "legacy" && lane.phase !== "down") recomputeLevel(lane, out);
  }
  session.queued = undefined;
  out.log("info", "client_removed", { client: session.id, name: session.clientInfo?.name });
}

/**
 * The daemon is stopping: hand back the requests the lane holds for a server that is
 * restarting. The server never saw them, so the host's proxy can send them to the next
 * daemon: each is answered with −32012 carrying the host's own request (its id and
 * progress token restored) in `data.request`. Batch members stay held (the proxy never
 * resends those), as does everything that is not a host's request.
 */
export function handBackHeld(lane: Lane, out: Emitter): void {
  const kept: JsonRpcMessage[] = [];
  for (const message of lane.held) {
    const pending = "method" in message && "id" in message ? lane.ids.get(message.id) : undefined;
    if (pending?.purpose !== "forward" || pending.session === undefined || pending.batch !== undefined) {
      kept.push(message);
      continue;
    }
    lane.ids.delete(pending.upstreamId);
    settle(pending);
    const request = message as JsonRpcRequest;
    request.id = pending.id!;
    const meta = request.params !== undefined && !Array.isArray(request.params) ? request.params._meta : undefined;
    if (pending.progressToken !== undefined && isJsonObject(meta)) meta.progressToken = pending.progressToken;
    out.reply(
      pending.session,
      undefined,
      errorResponse(pending.id!, ErrorCode.NotSent, "Not sent: the shoal daemon stopped before the server was back", {
        request,
      }),
    );
  }
  lane.held = kept;
}

/**
 * A lane's server exited. Every request in flight on it is answered with −32000
 * naming the exit status and the last stderr line; the lane holds new requests until
 * {@link restartLane}, whose replay restores what hosts had set up.
 */
export function exitLane(lane: Lane, detail: ExitDetail, out: Emitter): void {
  const message = describeExit(detail);
  const data = { exitCode: detail.code, signal: detail.signal, lastStderr: detail.lastStderr };
  out.log("warn", "lane_exited", {
    lane: lane.id,
    code: detail.code,
    signal: detail.signal,
    pending: lane.ids.size,
    lastStderr: detail.lastStderr,
  });
  lane.phase = "down";
  // Unknown (undefined) counts as soon: hold, as before the daemon told us.
  lane.retryInMs = detail.retryInMs === undefined ? 0 : detail.retryInMs;
  lane.initializedSent = false;
  for (const [upstreamId, pending] of lane.ids.drain()) {
    switch (pending.purpose) {
      case "forward":
        settle(pending);
        if (pending.session !== undefined) {
          out.reply(
            pending.session,
            pending.batch,
            errorResponse(pending.id, ErrorCode.ConnectionClosed, message, data),
          );
        }
        break;
      case "initialize":
        failInitialize(lane, { code: ErrorCode.ConnectionClosed, message, data }, out);
        break;
      case "subscribe":
        onSubscribeResponse(
          lane,
          pending,
          errorResponse(upstreamId, ErrorCode.ConnectionClosed, message, data),
          out,
        );
        break;
        // A lost replay is redone on the next restart; own housekeeping needs no answer.
    }
  }
  // What was held had its requests answered above; the rest is void for a new process.
  lane.held = [];
  markAllLost(lane);
  lane.upstreamLevel = undefined;
  lane.progress.clear();
  lane.tasks.clear();
  lane.clientTasks.clear();
  lane.elicitations.clear();
  cancelAllForLane(lane, out);
}

/**
 * The daemon started a new server process for the lane: replay the legacy handshake
 * (then subscriptions, log level, `list_changed`), or simply release held messages.
 */
export function restartLane(lane: Lane, out: Emitter): void {
  if (lane.phase !== "down") {
    out.log("warn", "lane_restart_ignored", { lane: lane.id, phase: lane.phase });
    return;
  }
  lane.initializedSent = false;
  lane.retryInMs = null;
  // A new process is pinned to nothing; keep the era only if somebody depends on it.
  if (lane.members.size === 0 && lane.init.state !== "ready" && lane.init.state !== "pending") {
    lane.era = "fresh";
  }
  out.log("info", "lane_restarted", { lane: lane.id, replay: lane.init.state === "ready" });
  if (startReplay(lane, out)) return;
  lane.phase = "up";
  out.flushHeld(lane);
}

function describeExit(detail: ExitDetail): string {
  const how = detail.signal !== null
    ? `Server exited on signal ${detail.signal}`
    : detail.code !== null
    ? `Server exited with code ${detail.code}`
    : "Server exited";
  const stderr = detail.lastStderr?.trim();
  return stderr ? `${how}: ${stderr}` : how;
}
