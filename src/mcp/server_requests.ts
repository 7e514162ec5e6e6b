/**
 * Server→client requests in the legacy era (`sampling/createMessage`,
 * `elicitation/create`, `roots/list`, …) and their answers.
 *
 * The wire carries no link from such a request to the host request that caused it,
 * so the target is chosen by evidence, strongest first:
 * 1. the owner of the task named in `_meta["io.modelcontextprotocol/related-task"]`
 *    (or, for `tasks/*` sent to a client, the host that created that client task);
 * 2. the only host with requests in flight on the lane;
 * 3. the most recently active host that declared the needed capability.
 * Each candidate must have declared the capability the method needs. No candidate →
 * elicitation is declined, roots are empty, anything else gets −32601. `ping` is
 * answered by the router itself and never reaches a host.
 *
 * The host sees a fresh per-host id (a restarted server starts its ids over, a host
 * must never see one twice); its reply is mapped back to the server's exact id. A
 * host leaving with such a request unanswered → −32000 to the server.
 */
import { ErrorCode } from "../rpc/error_codes.ts";
import {
  isJsonObject,
  type JsonObject,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  objectParams,
  type RequestId,
} from "../rpc/message.ts";
import { errorResponse, resultResponse } from "../rpc/responses.ts";
import type { Emitter } from "./emitter.ts";
import type { Lane } from "./lane.ts";
import { metaOf, RELATED_TASK_KEY } from "./meta_keys.ts";
import type { ServerRequest } from "./pending.ts";
import type { RouterState } from "./router_state.ts";
import type { Session } from "./session.ts";

/**
 * Answers for requests no attached host can serve, as a host without a human or without
 * roots would give them (the daemon declares these capabilities for all its hosts).
 */
const UNROUTABLE_ANSWERS: Readonly<Record<string, JsonObject>> = {
  "elicitation/create": { action: "decline" },
  "roots/list": { roots: [] },
};

/** A request from a server. */
export function routeServerRequest(
  state: RouterState,
  lane: Lane,
  message: JsonRpcRequest,
  out: Emitter,
): void {
  const method = message.method;
  if (method === "ping") {
    state.serverRequestsServed++;
    out.upstreamNow(lane, resultResponse(message.id, {}));
    return;
  }
  const params = objectParams(message);
  const target = lane.era === "modern" ? undefined : pickHost(lane, method, params);
  if (target === undefined) {
    state.serverRequestsServed++;
    out.log("info", "server_request_unroutable", { lane: lane.id, method });
    const fallback = lane.era === "modern" ? undefined : UNROUTABLE_ANSWERS[method];
    out.upstreamNow(
      lane,
      fallback !== undefined ? resultResponse(message.id, fallback) : errorResponse(
        message.id,
        ErrorCode.MethodNotFound,
        `Method not found: no attached host can answer ${method}`,
      ),
    );
    return;
  }
  const record: ServerRequest = {
    lane,
    session: target,
    upstreamId: message.id,
    downstreamId: target.nextDownstreamId++,
    method,
  };
  lane.serverRequests.set(message.id, record);
  target.serverRequests.set(record.downstreamId, record);
  if (
    method === "elicitation/create" && params?.mode === "url" &&
    typeof params.elicitationId === "string"
  ) {
    lane.elicitations.set(params.elicitationId, target);
  }
  message.id = record.downstreamId;
  out.client(target, message);
}

/** A host's response: the answer to a server→client request it holds. */
export function onHostResponse(
  state: RouterState,
  session: Session,
  response: JsonRpcResponse,
  out: Emitter,
): void {
  const record = typeof response.id === "number"
    ? session.serverRequests.get(response.id)
    : undefined;
  if (record === undefined) {
    out.log("debug", "host_response_dropped", { client: session.id, id: response.id });
    return;
  }
  forget(record);
  state.serverRequestsServed++;
  const result = (response as { result?: unknown }).result;
  if (isJsonObject(result) && isJsonObject(result.task) && typeof result.task.taskId === "string") {
    record.lane.clientTasks.set(result.task.taskId, session);
  }
  response.id = record.upstreamId;
  // Not held during a replay: a server blocked on this answer would never finish
  // its handshake. (Records die with their server process, so the lane is not down.)
  out.upstreamNow(record.lane, response);
}

/**
 * `notifications/cancelled` from a server for a request it sent to a host: rewritten
 * to the id the host saw. Returns false when the id is not one of those.
 */
export function cancelServerRequest(
  lane: Lane,
  message: JsonRpcNotification,
  out: Emitter,
): boolean {
  const params = objectParams(message);
  const record = params === undefined
    ? undefined
    : lane.serverRequests.get(params.requestId as RequestId);
  if (record === undefined || params === undefined) return false;
  forget(record);
  params.requestId = record.downstreamId;
  out.client(record.session, message);
  return true;
}

/** `notifications/elicitation/complete`: to the host that got the URL elicitation. */
export function deliverElicitationComplete(
  lane: Lane,
  message: JsonRpcNotification,
  out: Emitter,
): boolean {
  const elicitationId = objectParams(message)?.elicitationId;
  const session = typeof elicitationId === "string"
    ? lane.elicitations.get(elicitationId)
    : undefined;
  if (session === undefined) return false;
  lane.elicitations.delete(elicitationId as string);
  out.client(session, message);
  return true;
}

/** Remember who saw a −32042 (URL elicitation required) error: its completions go there. */
export function noteUrlElicitations(lane: Lane, session: Session, data: unknown): void {
  if (!isJsonObject(data) || !Array.isArray(data.elicitations)) return;
  for (const elicitation of data.elicitations) {
    if (isJsonObject(elicitation) && typeof elicitation.elicitationId === "string") {
      lane.elicitations.set(elicitation.elicitationId, session);
    }
  }
}

/** A departing host: the server gets −32000 for every request the host still held. */
export function failHeldRequests(session: Session, out: Emitter): void {
  for (const record of session.serverRequests.values()) {
    forget(record);
    out.upstreamNow(
      record.lane,
      errorResponse(
        record.upstreamId,
        ErrorCode.ConnectionClosed,
        `Connection closed: the host left before answering ${record.method}`,
      ),
    );
  }
}

/** A departing host: its URL elicitations will never be completed anywhere. */
export function releaseElicitations(session: Session, lane: Lane): void {
  for (const [id, owner] of lane.elicitations) if (owner === session) lane.elicitations.delete(id);
}

/** The server exited: hosts are told its requests are void (they may be showing UI). */
export function cancelAllForLane(lane: Lane, out: Emitter): void {
  for (const record of lane.serverRequests.values()) {
    record.session.serverRequests.delete(record.downstreamId);
    out.client(record.session, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: record.downstreamId, reason: "Server exited" },
    });
  }
  lane.serverRequests.clear();
}

function forget(record: ServerRequest): void {
  record.session.serverRequests.delete(record.downstreamId);
  if (record.lane.serverRequests.get(record.upstreamId) === record) {
    record.lane.serverRequests.delete(record.upstreamId);
  }
}

function pickHost(lane: Lane, method: string, params: JsonObject | undefined): Session | undefined {
  const related = metaOf(params)?.[RELATED_TASK_KEY];
  if (isJsonObject(related) && typeof related.taskId === "string") {
    const owner = lane.tasks.get(related.taskId)?.owner;
    if (owner !== undefined && eligible(owner, lane, method, params)) return owner;
  }
  if (method.startsWith("tasks/") && typeof params?.taskId === "string") {
    const owner = lane.clientTasks.get(params.taskId);
    return owner !== undefined && eligible(owner, lane, method, params) ? owner : undefined;
  }
  if (lane.busy.size === 1) {
    const [only] = lane.busy.keys();
    if (eligible(only, lane, method, params)) return only;
  }
  let best: Session | undefined;
  for (const member of lane.members) {
    if (
      eligible(member, lane, method, params) &&
      (best === undefined || member.lastActive > best.lastActive)
    ) {
      best = member;
    }
  }
  return best;
}

function eligible(
  session: Session,
  lane: Lane,
  method: string,
  params: JsonObject | undefined,
): boolean {
  return !session.closed && session.init === "ready" && session.lane === lane &&
    hasCapability(session.capabilities, method, params);
}

/** Does a host's declared capability set cover this server→client request? */
export function hasCapability(
  capabilities: JsonObject | undefined,
  method: string,
  params: JsonObject | undefined,
): boolean {
  const has = (key: string): JsonObject | undefined => {
    const value = capabilities?.[key];
    return isJsonObject(value) ? value : undefined;
  };
  switch (method) {
    case "sampling/createMessage": {
      const sampling = has("sampling");
      if (sampling === undefined) return false;
      const wantsTools = params?.tools !== undefined || params?.toolChoice !== undefined;
      return !wantsTools || isJsonObject(sampling.tools);
    }
    case "elicitation/create": {
      const elicitation = has("elicitation");
      if (elicitation === undefined) return false;
      const mode = params?.mode ?? "form";
      if (mode === "url") return isJsonObject(elicitation.url);
      // `{}` predates modes and means form support.
      return isJsonObject(elicitation.form) || elicitation.url === undefined;
    }
    case "roots/list":
      return has("roots") !== undefined;
    case "tasks/list":
      return has("tasks") !== undefined;
    default:
      return true;
  }
}
