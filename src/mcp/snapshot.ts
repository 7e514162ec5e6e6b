/**
 * A read-only picture of the router for `status` and for invariant checks.
 */
import type { Lane } from "./lane.ts";
import type { RouterState } from "./router_state.ts";
import type { Session } from "./session.ts";
import type { ClientSnapshot, LaneSnapshot, RouterSnapshot } from "./types.ts";

export function takeSnapshot(state: RouterState): RouterSnapshot {
  return {
    clients: [...state.sessions.values()].map(clientSnapshot),
    lanes: [...state.lanes.values()].map(laneSnapshot),
    totals: {
      requestsServed: state.requestsServed,
      serverRequestsServed: state.serverRequestsServed,
    },
  };
}

function clientSnapshot(session: Session): ClientSnapshot {
  const info = session.clientInfo;
  return {
    client: session.id,
    name: typeof info?.name === "string" ? info.name : undefined,
    version: typeof info?.version === "string" ? info.version : undefined,
    era: session.era,
    protocolVersion: session.protocolVersion,
    lane: session.lane?.id,
    initialized: session.init === "ready" || session.era === "modern",
    inFlight: session.inflight.size,
    subscriptions: session.subscriptions.size,
    serverRequests: session.serverRequests.size,
    logLevel: session.logLevel,
  };
}

function laneSnapshot(lane: Lane): LaneSnapshot {
  return {
    lane: lane.id,
    era: lane.era,
    phase: lane.phase,
    protocolVersion: lane.init.negotiatedVersion,
    clients: lane.members.size,
    pending: lane.ids.size,
    progressTokens: lane.progress.size,
    held: lane.held.length,
    subscriptions: [...lane.subscriptions].map(([uri, subscription]) => ({
      uri,
      subscribers: subscription.subscribers.size,
      upstream: subscription.upstream,
    })),
    tasks: lane.tasks.size,
    serverRequests: lane.serverRequests.size,
    logLevel: lane.upstreamLevel,
  };
}
