/**
 * MCP logging with one upstream and many hosts.
 *
 * Legacy era: each host's `logging/setLevel` is its own filter; the server gets the
 * most verbose level any host needs, so no host can silence another. A host that
 * never set a level gets what the server sends by default — and since SDK servers
 * (1.x and 2.x) send everything while no level is set, such a host counts as
 * `debug` once some other host made the router set a level upstream.
 *
 * Modern era (2026-07-28): no `setLevel`; a request asks for logs with
 * `_meta["io.modelcontextprotocol/logLevel"]` (passed through untouched). stdio
 * carries no link from a `notifications/message` to its request, so a log line goes
 * to each host that has a logging request in flight at a level the line passes.
 */
import { type JsonRpcNotification, type JsonRpcRequest, objectParams } from "../rpc/message.ts";
import { resultResponse } from "../rpc/responses.ts";
import type { BatchCollector } from "./batch.ts";
import type { Emitter } from "./emitter.ts";
import { forwardRequest, sendOwnRequest } from "./forward.ts";
import type { Lane } from "./lane.ts";
import { LOG_LEVELS, type LogLevel, passes, severity } from "./log_levels.ts";
import type { RouterState } from "./router_state.ts";
import type { Session } from "./session.ts";

/**
 * A legacy host's `logging/setLevel`. Forwarded (with the level rewritten) when the
 * upstream level must change, so the host sees the server's real answer; otherwise
 * answered locally. Returns false when the router does not manage logging for this
 * lane (the server did not advertise it, or the level is not an MCP level): the
 * caller forwards the request untouched and the server answers.
 */
export function setLevel(
  state: RouterState,
  session: Session,
  lane: Lane,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): boolean {
  const params = objectParams(message);
  const level = params?.level;
  if (params === undefined || severity(level) < 0) return false;
  if (lane.serverCapabilities()?.logging === undefined) return false;
  session.logLevel = level as LogLevel;
  const wanted = wantedLevel(lane);
  if (wanted === undefined || wanted === lane.upstreamLevel) {
    out.reply(session, batch, resultResponse(message.id, {}));
    return true;
  }
  lane.upstreamLevel = wanted;
  params.level = wanted;
  forwardRequest(state, session, lane, message, out, batch);
  return true;
}

/** Recompute after a host left; lower the upstream verbosity if nobody needs it. */
export function recomputeLevel(lane: Lane, out: Emitter): void {
  const wanted = wantedLevel(lane);
  if (wanted === undefined || wanted === lane.upstreamLevel || lane.members.size === 0) return;
  lane.upstreamLevel = wanted;
  sendOwnRequest(lane, "logging/setLevel", { level: wanted }, "internal", out);
}

/** After a restart (the new process starts at its default): set the level again. */
export function reapplyLogLevel(lane: Lane, out: Emitter): void {
  lane.upstreamLevel = undefined;
  recomputeLevel(lane, out);
}

/** `notifications/message` on a legacy lane: each attached host through its own filter. */
export function deliverLegacyLog(lane: Lane, message: JsonRpcNotification, out: Emitter): void {
  const level = objectParams(message)?.level;
  for (const member of lane.members) {
    if (member.init !== "none" && passes(level, member.logLevel)) out.client(member, message);
  }
}

/** `notifications/message` on the modern lane: hosts with a matching logging request in flight. */
export function deliverModernLog(lane: Lane, message: JsonRpcNotification, out: Emitter): number {
  const level = objectParams(message)?.level;
  let delivered = 0;
  for (const session of lane.busy.keys()) {
    const levels = session.loggingRequests;
    if (levels === undefined || levels.size === 0) continue;
    for (const threshold of levels.keys()) {
      if (severity(threshold) >= 0 && passes(level, threshold as LogLevel)) {
        out.client(session, message);
        delivered++;
        break;
      }
    }
  }
  return delivered;
}

/**
 * The level the server should run at: undefined while no host ever set one and the
 * router never touched it (server default for everyone), else the most verbose level
 * any host needs, a host without a level counting as `debug`.
 */
function wantedLevel(lane: Lane): LogLevel | undefined {
  let anySet = lane.upstreamLevel !== undefined;
  let lowest = LOG_LEVELS.length - 1;
  for (const member of lane.members) {
    if (member.init === "none") continue;
    if (member.logLevel === undefined) lowest = 0;
    else {
      anySet = true;
      lowest = Math.min(lowest, severity(member.logLevel));
    }
  }
  return anySet ? LOG_LEVELS[lowest] : undefined;
}
