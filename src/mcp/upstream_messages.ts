/**
 * Everything a server writes: responses (mapped back to the host's exact id),
 * server→client requests, and notifications (routed to their one owner, filtered, or
 * broadcast to the lane's hosts). Lines that are not JSON-RPC are logged and dropped:
 * noisy servers print banners on stdout, and no host must ever see them.
 */
import { ErrorCode } from "../rpc/error_codes.ts";
import { recoverFields } from "../rpc/id_recovery.ts";
import type { OversizedLine } from "../rpc/line_splitter.ts";
import {
  isErrorResponse,
  isJsonObject,
  type JsonObject,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  objectParams,
} from "../rpc/message.ts";
import { ParseFailure, parseLine } from "../rpc/parse_line.ts";
import { errorResponse } from "../rpc/responses.ts";
import { classifyMessage } from "../rpc/validate.ts";
import type { Emitter } from "./emitter.ts";
import { DEFAULT_LANE } from "./types.ts";
import { settle } from "./forward.ts";
import { onInitializeResponse } from "./initialize.ts";
import type { Lane } from "./lane.ts";
import { cancelHostRequest, deliverToListener, restoreSubscriptionId } from "./listen_streams.ts";
import { deliverLegacyLog, deliverModernLog } from "./logging.ts";
import {
  metaOf,
  MODERN_PROTOCOL_VERSION,
  SUBSCRIPTION_ID_KEY,
  URL_ELICITATION_REQUIRED,
} from "./meta_keys.ts";
import type { PendingRequest } from "./pending.ts";
import type { RouterState } from "./router_state.ts";
import {
  cancelServerRequest,
  deliverElicitationComplete,
  noteUrlElicitations,
  routeServerRequest,
} from "./server_requests.ts";
import { deliverUpdated, onSubscribeResponse } from "./subscriptions.ts";
import { deliverTaskStatus, onTaskResult } from "./tasks.ts";

/** One framed line from a lane's server. */
export function fromUpstream(
  state: RouterState,
  lane: Lane,
  input: Uint8Array | string | OversizedLine,
  out: Emitter,
): void {
  if (typeof input !== "string" && !(input instanceof Uint8Array)) {
    upstreamOversized(state, lane, input, out);
    return;
  }
  const value = parseLine(input);
  if (value instanceof ParseFailure) {
    out.log("warn", "server_output_not_json", {
      lane: lane.id,
      bytes: input.length,
      reason: value.reason,
    });
    return;
  }
  if (Array.isArray(value)) {
    // 2025-03-26 allowed servers to batch too.
    for (const element of value) handleValue(state, lane, element, out);
    return;
  }
  handleValue(state, lane, value, out);
}

function handleValue(state: RouterState, lane: Lane, value: unknown, out: Emitter): void {
  const kind = classifyMessage(value);
  if (typeof kind !== "string") {
    out.log("warn", "server_invalid_message", { lane: lane.id, reason: kind.reason });
    // Answer only what was meant as a request: a server gets no reply to noise.
    if (kind.id !== undefined && isJsonObject(value) && value.method !== undefined) {
      out.upstreamNow(
        lane,
        errorResponse(kind.id, ErrorCode.InvalidRequest, `Invalid request: ${kind.reason}`),
      );
    }
    return;
  }
  if (kind === "response") onResponse(state, lane, value as JsonRpcResponse, out);
  else if (kind === "request") routeServerRequest(state, lane, value as JsonRpcRequest, out);
  else onNotification(lane, value as JsonRpcNotification, out);
}

/** A response from the server, for a host or for the router's own request. */
export function onResponse(
  state: RouterState,
  lane: Lane,
  response: JsonRpcResponse,
  out: Emitter,
): void {
  const pending = lane.ids.take(response.id);
  if (pending === undefined) {
    // Cancelled, departed, or lost with a previous process: the requester moved on.
    out.log("debug", "late_response_dropped", { lane: lane.id, id: response.id });
    return;
  }
  switch (pending.purpose) {
    case "forward":
      deliverResponse(state, pending, response, out);
      return;
    case "initialize":
    case "replay":
      onInitializeResponse(lane, response, pending.purpose === "replay", out);
      return;
    case "subscribe":
      onSubscribeResponse(lane, pending, response, out);
      return;
    case "internal":
      if (isErrorResponse(response)) {
        out.log("warn", "own_request_failed", {
          lane: lane.id,
          method: pending.method,
          code: response.error.code,
        });
      }
  }
}

function deliverResponse(
  state: RouterState,
  pending: PendingRequest,
  response: JsonRpcResponse,
  out: Emitter,
): void {
  const session = pending.session!;
  const method = pending.method;
  let keepProgress = false;
  if (isErrorResponse(response)) {
    if (response.error.code === URL_ELICITATION_REQUIRED) {
      noteUrlElicitations(pending.lane, session, response.error.data);
    }
    if (method === "server/discover") learnFromProbe(state, pending.lane, response);
  } else if (pending.taskAugmented || method.startsWith("tasks/")) {
    keepProgress = onTaskResult(pending, response.result);
  } else if (method === "subscriptions/listen") {
    restoreSubscriptionId(pending, response.result);
  } else if (method === "server/discover") {
    learnFromProbe(state, pending.lane, response);
  }
  settle(pending, keepProgress);
  response.id = pending.id!;
  out.reply(session, pending.batch, response);
  if (method === "server/discover") releaseIfOnlyProbed(state, pending.lane, out);
}

/**
 * A lane started only to answer a probe (the default lane was taken) and found a
 * legacy-only server: nobody will use it, so its process goes (`stop`) and the lane is
 * forgotten; a later need for a lane starts fresh.
 */
function releaseIfOnlyProbed(state: RouterState, lane: Lane, out: Emitter): void {
  if (lane.id === DEFAULT_LANE || lane.era !== "fresh" || state.legacyOnlyProbeError === undefined) return;
  if (lane.members.size > 0 || lane.ids.size > 0 || lane.held.length > 0) return;
  state.lanes.delete(lane.id);
  out.stopLane(lane);
}

/**
 * Remember whether the server speaks the modern era. Only a real answer from a server
 * connection pinned to no era counts: a legacy-pinned connection refuses the probe
 * even when the server could do 2026-07-28 (and the router's own "server exited"
 * errors never get here).
 */
function learnFromProbe(state: RouterState, lane: Lane, response: JsonRpcResponse): void {
  if (isErrorResponse(response)) {
    if (lane.era === "fresh") state.legacyOnlyProbeError = response.error;
    return;
  }
  const result = response.result;
  const versions = isJsonObject(result) ? result.supportedVersions : undefined;
  if (
    Array.isArray(versions) &&
    versions.some((v) => typeof v === "string" && v >= MODERN_PROTOCOL_VERSION)
  ) {
    state.legacyOnlyProbeError = undefined;
  }
}

function onNotification(lane: Lane, message: JsonRpcNotification, out: Emitter): void {
  const params = objectParams(message);
  // Subscription-scoped, whatever the lane's era: never broadcast (it names an upstream id).
  const meta = metaOf(params);
  if (meta !== undefined && meta[SUBSCRIPTION_ID_KEY] !== undefined) {
    deliverToListener(lane, message, meta, out);
    return;
  }
  switch (message.method) {
    case "notifications/progress":
      deliverProgress(lane, message, params, out);
      return;
    case "notifications/cancelled":
      if (
        !cancelServerRequest(lane, message, out) && !cancelHostRequest(lane, message, params, out)
      ) {
        out.log("debug", "server_cancel_unknown", { lane: lane.id });
      }
      return;
    case "notifications/message":
      if (lane.era === "modern") deliverModernLog(lane, message, out);
      else deliverLegacyLog(lane, message, out);
      return;
    case "notifications/resources/updated":
      if (lane.era !== "modern") deliverUpdated(lane, message, out);
      return;
    case "notifications/tasks/status":
      if (!deliverTaskStatus(lane, message, out)) {
        out.log("debug", "task_status_unowned", { lane: lane.id });
      }
      return;
    case "notifications/elicitation/complete":
      if (!deliverElicitationComplete(lane, message, out)) {
        out.log("debug", "elicitation_complete_unowned", { lane: lane.id });
      }
      return;
  }
  if (lane.era === "modern") {
    // Modern servers deliver change notifications through subscriptions/listen only.
    out.log("debug", "unsolicited_notification_dropped", { lane: lane.id, method: message.method });
    return;
  }
  // Server-wide notifications (list_changed and unknown ones): every attached host.
  for (const member of lane.members) if (member.init !== "none") out.client(member, message);
}

function deliverProgress(
  lane: Lane,
  message: JsonRpcNotification,
  params: JsonObject | undefined,
  out: Emitter,
): void {
  const token = params?.progressToken;
  const pending = typeof token === "number" ? lane.progress.get(token) : undefined;
  if (pending === undefined || params === undefined || pending.session === undefined) {
    out.log("debug", "progress_unowned", { lane: lane.id });
    return;
  }
  params.progressToken = pending.progressToken;
  out.client(pending.session, message);
}

/**
 * A server line over the size limit. A response becomes an error for the host that
 * waits for it; a request gets an error back; a notification is only logged.
 */
function upstreamOversized(
  state: RouterState,
  lane: Lane,
  line: OversizedLine,
  out: Emitter,
): void {
  const fields = recoverFields(line.head, line.tail);
  out.log("warn", "server_message_too_large", {
    lane: lane.id,
    bytes: line.totalBytes,
    limit: line.limit,
    method: fields.method,
  });
  if (fields.id === undefined) return;
  const detail = `${line.totalBytes} bytes exceeds the ${line.limit}-byte limit`;
  if (fields.method === undefined) {
    onResponse(
      state,
      lane,
      errorResponse(
        fields.id,
        ErrorCode.MessageTooLarge,
        `Response too large: ${detail}`,
      ) as JsonRpcResponse,
      out,
    );
  } else {
    out.upstreamNow(
      lane,
      errorResponse(fields.id, ErrorCode.MessageTooLarge, `Message too large: ${detail}`),
    );
  }
}
