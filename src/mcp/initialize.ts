/**
 * The legacy handshake: one `initialize` per lane upstream (single-flight), its result
 * cached and answered to every later host with that host's own id, exactly one
 * `notifications/initialized` per server process, and the replay after a restart.
 */
import { ErrorCode } from "../rpc/error_codes.ts";
import {
  isErrorResponse,
  isJsonObject,
  type JsonObject,
  type JsonRpcErrorObject,
  type JsonRpcRequest,
  type JsonRpcResponse,
  objectParams,
} from "../rpc/message.ts";
import { errorResponse, resultResponse } from "../rpc/responses.ts";
import type { BatchCollector } from "./batch.ts";
import type { Emitter } from "./emitter.ts";
import { sendOwnRequest } from "./forward.ts";
import type { Lane } from "./lane.ts";
import { chooseLegacyLane } from "./lane_choice.ts";
import { reapplyLogLevel } from "./logging.ts";
import type { RouterState } from "./router_state.ts";
import type { Session } from "./session.ts";
import { resubscribeAll } from "./subscriptions.ts";

/** A host's `initialize`: answered from the lane's cache, or joined to the single flight. */
export function handleInitialize(
  state: RouterState,
  session: Session,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): void {
  const id = message.id;
  if (batch !== undefined) {
    out.reply(
      session,
      batch,
      errorResponse(
        id,
        ErrorCode.InvalidRequest,
        "Invalid request: initialize must not be part of a JSON-RPC batch",
      ),
    );
    return;
  }
  if (session.era !== "unknown") {
    out.reply(
      session,
      batch,
      errorResponse(
        id,
        ErrorCode.InvalidRequest,
        "Invalid request: initialize was already sent on this connection",
      ),
    );
    return;
  }
  const params = objectParams(message);
  const version = params?.protocolVersion;
  if (params === undefined || typeof version !== "string") {
    out.reply(
      session,
      batch,
      errorResponse(
        id,
        ErrorCode.InvalidParams,
        "Invalid params: initialize needs a string protocolVersion",
      ),
    );
    return;
  }
  session.era = "legacy";
  session.init = "pending";
  session.initFailure = undefined;
  session.protocolVersion = version;
  session.clientInfo = isJsonObject(params.clientInfo) ? params.clientInfo : undefined;
  session.capabilities = isJsonObject(params.capabilities) ? params.capabilities : undefined;
  const lane = chooseLegacyLane(state, version);
  session.lane = lane;
  lane.members.add(session);
  const init = lane.init;
  if (init.state === "ready") {
    answer(session, id, undefined, lane, out);
    return;
  }
  init.waiters.push({ session, id, batch: undefined });
  if (init.state === "pending") return;
  init.state = "pending";
  init.requestedVersion = version;
  init.params = {
    ...params,
    capabilities: sharedCapabilities(params.capabilities),
    ...(state.upstreamClientInfo === undefined ? {} : { clientInfo: state.upstreamClientInfo }),
  };
  sendOwnRequest(lane, "initialize", init.params, "initialize", out);
}

/** The server answered the lane's `initialize` (first time, or a replay). */
export function onInitializeResponse(
  lane: Lane,
  response: JsonRpcResponse,
  replay: boolean,
  out: Emitter,
): void {
  const init = lane.init;
  if (isErrorResponse(response)) {
    if (replay) {
      out.log("error", "replay_failed", {
        lane: lane.id,
        code: response.error.code,
        message: response.error.message,
      });
      finishReplay(lane, out, false);
      return;
    }
    failInitialize(lane, response.error, out);
    return;
  }
  const result = response.result;
  const version = isJsonObject(result) && typeof result.protocolVersion === "string"
    ? result.protocolVersion
    : undefined;
  if (replay && version !== init.negotiatedVersion) {
    out.log("warn", "replay_version_changed", {
      lane: lane.id,
      before: init.negotiatedVersion,
      after: version,
    });
  }
  init.result = result;
  init.negotiatedVersion = version;
  init.state = "ready";
  sendInitialized(lane, out);
  if (replay) {
    finishReplay(lane, out, true);
    return;
  }
  const waiters = init.waiters;
  init.waiters = [];
  for (const waiter of waiters) answer(waiter.session, waiter.id, waiter.batch, lane, out);
  out.log("info", "lane_initialized", { lane: lane.id, protocolVersion: version });
}

/**
 * The lane's first `initialize` failed (error answer, or its server died): every
 * waiting host gets the error with its own id and may try again.
 */
export function failInitialize(lane: Lane, error: JsonRpcErrorObject, out: Emitter): void {
  out.log("warn", "initialize_failed", { lane: lane.id, code: error.code });
  const waiters = lane.init.waiters;
  resetInit(lane);
  for (const waiter of waiters) {
    waiter.session.initFailure = String(error.message).slice(0, 200);
    detach(waiter.session, out);
    out.reply(waiter.session, undefined, { jsonrpc: "2.0", id: waiter.id, error });
  }
}

/**
 * A restarted server: replay `initialize` with the original params. The lane holds
 * every other message until the handshake is done.
 */
export function startReplay(lane: Lane, out: Emitter): boolean {
  if (lane.init.state !== "ready" || lane.init.params === undefined) return false;
  lane.phase = "replaying";
  sendOwnRequest(lane, "initialize", lane.init.params, "replay", out, true);
  return true;
}

/**
 * Forget a handshake that never completed. The lane keeps its era: its server saw
 * `initialize` and (2.x SDK) is pinned to the legacy era until it restarts.
 */
export function resetInit(lane: Lane): void {
  const init = lane.init;
  init.state = "none";
  init.params = undefined;
  init.result = undefined;
  init.requestedVersion = undefined;
  init.negotiatedVersion = undefined;
  init.waiters = [];
}

/**
 * Undo a host's attachment whose `initialize` failed: it may try again. Lines it
 * queued behind the `initialize` are processed now (and refused as pre-initialize,
 * naming the failure).
 */
function detach(session: Session, out: Emitter): void {
  session.lane?.members.delete(session);
  session.lane = undefined;
  session.era = "unknown";
  session.init = "none";
  if (session.queued !== undefined) out.readied.push(session);
}

function answer(
  session: Session,
  id: JsonRpcRequest["id"],
  batch: BatchCollector | undefined,
  lane: Lane,
  out: Emitter,
): void {
  session.init = "ready";
  session.protocolVersion = lane.init.negotiatedVersion ?? session.protocolVersion;
  out.reply(session, batch, resultResponse(id, lane.init.result));
  if (session.queued !== undefined) out.readied.push(session);
}

function sendInitialized(lane: Lane, out: Emitter): void {
  if (lane.initializedSent) return;
  lane.initializedSent = true;
  out.upstreamNow(lane, { jsonrpc: "2.0", method: "notifications/initialized" });
}

/**
 * After the replayed handshake: re-subscribe live URIs, re-apply the log level,
 * release held messages, and tell hosts the lists may have changed (a new process
 * may offer different tools) for what the server advertises.
 */
function finishReplay(lane: Lane, out: Emitter, succeeded: boolean): void {
  lane.phase = "up";
  if (succeeded) {
    resubscribeAll(lane, out);
    reapplyLogLevel(lane, out);
  }
  out.flushHeld(lane);
  if (!succeeded) return;
  const capabilities = lane.serverCapabilities();
  for (const kind of ["tools", "prompts", "resources"]) {
    const capability = capabilities?.[kind] as JsonObject | undefined;
    if (capability?.listChanged !== true) continue;
    const notification = { jsonrpc: "2.0" as const, method: `notifications/${kind}/list_changed` };
    for (const member of lane.members) {
      if (member.init === "ready") out.client(member, notification);
    }
  }
  out.log("info", "lane_replayed", { lane: lane.id, protocolVersion: lane.init.negotiatedVersion });
}

/**
 * What the daemon declares upstream: the first host's capabilities plus sampling,
 * elicitation (form and URL) and roots, because the server talks to every host through
 * this one connection and a later host may answer what the first could not. Requests
 * no attached host can serve get the answer a host without the capability would give
 * (`server_requests.ts`: decline, no roots, or an error for sampling).
 */
export function sharedCapabilities(first: unknown): JsonObject {
  const own = isJsonObject(first) ? first : {};
  const elicitation = isJsonObject(own.elicitation) ? own.elicitation : {};
  return {
    ...own,
    sampling: isJsonObject(own.sampling) ? own.sampling : {},
    elicitation: { form: {}, url: {}, ...elicitation },
    roots: { listChanged: true, ...(isJsonObject(own.roots) ? own.roots : {}) },
  };
}
