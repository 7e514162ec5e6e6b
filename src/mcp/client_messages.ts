/**
 * Everything a host sends: framing errors, batches, requests, notifications and its
 * answers to server→client requests.
 */
import { ErrorCode } from "../rpc/error_codes.ts";
import { recoverFields } from "../rpc/id_recovery.ts";
import type { OversizedLine } from "../rpc/line_splitter.ts";
import {
  isJsonObject,
  isRequestId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  objectParams,
} from "../rpc/message.ts";
import { ParseFailure, parseLine } from "../rpc/parse_line.ts";
import { errorResponse, resultResponse } from "../rpc/responses.ts";
import { classifyMessage } from "../rpc/validate.ts";
import { BatchCollector } from "./batch.ts";
import type { Emitter } from "./emitter.ts";
import { forwardRequest, settle } from "./forward.ts";
import { handleInitialize } from "./initialize.ts";
import { chooseModernLane, chooseProbeLane } from "./lane_choice.ts";
import { setLevel } from "./logging.ts";
import { CLIENT_INFO_KEY, metaOf, modernClaim } from "./meta_keys.ts";
import type { RouterState } from "./router_state.ts";
import { onHostResponse } from "./server_requests.ts";
import type { Session } from "./session.ts";
import { subscribe, unsubscribe } from "./subscriptions.ts";
import { isTaskMethod, refuseForeignTask } from "./tasks.ts";

/** One framed line from a host. */
export function fromClient(
  state: RouterState,
  session: Session,
  input: Uint8Array | string | OversizedLine,
  out: Emitter,
): void {
  session.lastActive = ++state.tick;
  if (typeof input !== "string" && !(input instanceof Uint8Array)) {
    clientOversized(session, input, out);
    return;
  }
  const value = parseLine(input);
  if (value instanceof ParseFailure) {
    out.log("warn", "client_parse_error", { client: session.id, bytes: input.length });
    out.reply(session, undefined, errorResponse(undefined, ErrorCode.ParseError, value.reason));
    return;
  }
  handleValue(state, session, value, out);
}

/** One parsed line (object or batch); also used to replay lines queued during `initialize`. */
export function handleValue(
  state: RouterState,
  session: Session,
  value: unknown,
  out: Emitter,
): void {
  // A host that pipelines requests behind its `initialize` waits for the answer in
  // the router, as it would at a server that answers in order.
  if (session.init === "pending" && (session.queued?.length ?? 0) < state.maxHeldMessages) {
    (session.queued ??= []).push(value);
    return;
  }
  if (!Array.isArray(value)) {
    handleElement(state, session, value, out, undefined);
    return;
  }
  if (value.length === 0) {
    out.reply(
      session,
      undefined,
      errorResponse(undefined, ErrorCode.InvalidRequest, "Invalid request: empty batch"),
    );
    return;
  }
  const batch = new BatchCollector();
  for (const element of value) handleElement(state, session, element, out, batch);
  const complete = batch.seal();
  if (complete !== undefined) out.client(session, complete);
}

function handleElement(
  state: RouterState,
  session: Session,
  value: unknown,
  out: Emitter,
  batch: BatchCollector | undefined,
): void {
  const kind = classifyMessage(value);
  if (typeof kind !== "string") {
    out.log("warn", "client_invalid_message", { client: session.id, reason: kind.reason });
    if (kind.looksLikeResponse) return;
    if (batch !== undefined) batch.expected++;
    out.reply(
      session,
      batch,
      errorResponse(kind.id, ErrorCode.InvalidRequest, `Invalid request: ${kind.reason}`),
    );
    return;
  }
  if (kind === "request") {
    if (batch !== undefined) batch.expected++;
    handleRequest(state, session, value as JsonRpcRequest, out, batch);
  } else if (kind === "notification") {
    handleNotification(session, value as JsonRpcNotification, out);
  } else {
    onHostResponse(state, session, value as JsonRpcResponse, out);
  }
}

function handleRequest(
  state: RouterState,
  session: Session,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): void {
  const method = message.method;
  if (method === "initialize") {
    handleInitialize(state, session, message, out, batch);
    return;
  }
  const lane = session.lane;
  if (session.era === "unknown" || lane === undefined) {
    unpinnedRequest(state, session, message, out, batch);
    return;
  }
  if (session.era === "legacy") {
    if (session.init !== "ready") {
      out.reply(
        session,
        batch,
        errorResponse(
          message.id,
          ErrorCode.InvalidRequest,
          "Invalid request: wait for the initialize response before sending requests",
        ),
      );
      return;
    }
    if (method === "resources/subscribe" && subscribe(session, lane, message, out, batch)) return;
    if (method === "resources/unsubscribe" && unsubscribe(session, lane, message, out, batch)) {
      return;
    }
    if (method === "logging/setLevel" && setLevel(state, session, lane, message, out, batch)) {
      return;
    }
  }
  if (isTaskMethod(method) && refuseForeignTask(session, lane, message, out, batch)) return;
  forwardRequest(state, session, lane, message, out, batch);
}

/**
 * A request from a host whose era is not known yet. `ping` is answered here (allowed
 * before `initialize`); `server/discover` is a probe and pins nothing; a request with
 * a 2026-07-28 envelope pins the host to the modern era. Anything else needs
 * `initialize` first (MCP: "SHOULD NOT send requests other than pings" before it).
 */
function unpinnedRequest(
  state: RouterState,
  session: Session,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): void {
  if (message.method === "ping") {
    out.reply(session, batch, resultResponse(message.id, {}));
    return;
  }
  if (message.method === "server/discover") {
    const target = chooseProbeLane(state);
    if ("code" in target) {
      out.reply(session, batch, { jsonrpc: "2.0", id: message.id, error: target });
    } else forwardRequest(state, session, target, message, out, batch);
    return;
  }
  const params = objectParams(message);
  const claim = modernClaim(params);
  if (claim === undefined) {
    const why = session.initFailure === undefined
      ? "send initialize first"
      : `initialize failed (${session.initFailure}); send initialize again`;
    out.reply(session, batch, errorResponse(message.id, ErrorCode.InvalidRequest, `Invalid request: ${why}`));
    return;
  }
  const lane = chooseModernLane(state);
  session.era = "modern";
  session.lane = lane;
  session.protocolVersion = claim;
  const info = metaOf(params)?.[CLIENT_INFO_KEY];
  if (isJsonObject(info)) session.clientInfo = info;
  lane.members.add(session);
  if (isTaskMethod(message.method) && refuseForeignTask(session, lane, message, out, batch)) return;
  forwardRequest(state, session, lane, message, out, batch);
}

function handleNotification(session: Session, message: JsonRpcNotification, out: Emitter): void {
  const method = message.method;
  if (method === "notifications/cancelled") {
    cancelFromHost(session, message, out);
    return;
  }
  // The router sends its own `initialized`, exactly once per server process.
  if (method === "notifications/initialized") return;
  const lane = session.lane;
  if (lane === undefined || (session.era === "legacy" && session.init !== "ready")) {
    out.log("debug", "notification_before_initialize", { client: session.id, method });
    return;
  }
  out.upstream(lane, message);
}

/** `notifications/cancelled` from a host: rewritten to the upstream id, request forgotten. */
function cancelFromHost(session: Session, message: JsonRpcNotification, out: Emitter): void {
  const params = objectParams(message);
  const requestId = params?.requestId;
  const pending = isRequestId(requestId) ? session.inflight.get(requestId) : undefined;
  if (pending === undefined || params === undefined) {
    out.log("debug", "cancel_unknown_request", { client: session.id });
    return;
  }
  pending.lane.ids.delete(pending.upstreamId);
  settle(pending);
  if (pending.batch !== undefined) {
    const complete = pending.batch.forget();
    if (complete !== undefined) out.client(session, complete);
  }
  params.requestId = pending.upstreamId;
  out.upstream(pending.lane, message);
}

/** A host line over the size limit: an error with the recovered id; the host stays. */
function clientOversized(session: Session, line: OversizedLine, out: Emitter): void {
  const fields = recoverFields(line.head, line.tail);
  out.log("warn", "client_message_too_large", {
    client: session.id,
    bytes: line.totalBytes,
    limit: line.limit,
    method: fields.method,
  });
  const detail = `${line.totalBytes} bytes exceeds the ${line.limit}-byte limit`;
  if (fields.method === undefined && fields.isResponse) {
    // Its answer to a server→client request: the server must not wait forever.
    const record = typeof fields.id === "number"
      ? session.serverRequests.get(fields.id)
      : undefined;
    if (record === undefined) return;
    session.serverRequests.delete(record.downstreamId);
    record.lane.serverRequests.delete(record.upstreamId);
    out.upstreamNow(
      record.lane,
      errorResponse(record.upstreamId, ErrorCode.MessageTooLarge, `Response too large: ${detail}`),
    );
    return;
  }
  if (fields.method !== undefined && fields.id === undefined) return;
  out.reply(
    session,
    undefined,
    errorResponse(fields.id, ErrorCode.MessageTooLarge, `Message too large: ${detail}`),
  );
}
