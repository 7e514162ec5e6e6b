/**
 * Which upstream server process (lane) serves which host.
 *
 * Policy (and why):
 * - **Legacy hosts share a lane per negotiated version.** A host's `initialize` asking
 *   version V joins the lane whose first `initialize` asked V (the server answers the
 *   same request the same way) or whose server negotiated V (a server that chose V
 *   supports V and would answer V with V). Any other version gets its own lane,
 *   `legacy:<V>`, so every host receives exactly the InitializeResult its own
 *   request would have produced — never a cached answer negotiated for somebody
 *   else's version.
 * - **One lane per era.** The SDKs pin a stdio connection to one era on its first
 *   era-specific message (`initialize` → legacy; a request carrying the 2026-07-28
 *   `_meta` envelope → modern), so legacy and modern hosts can never share a server
 *   process. Every modern host shares the single modern lane: the modern protocol is
 *   stateless (each request carries its own version and capabilities).
 * - **The default lane goes to whichever era comes first.** It is the process the
 *   daemon starts eagerly; later needs get lazily spawned lanes (`legacy:<V>`,
 *   `modern`).
 * - **`server/discover` probes never pin a lane, and only go where no era is pinned.**
 *   A 2.x modern client probes with `server/discover` (on stdio from a throw-away
 *   sibling connection) and falls back to `initialize` on any error. A server
 *   connection already pinned to the legacy era answers the probe with an error even
 *   when the server speaks 2026-07-28 (the 2.x SDK does exactly that), so the probe
 *   goes to the modern lane when one exists, else to a lane no era has claimed (the
 *   default lane while fresh, else a new `modern` lane). Whatever the server answers
 *   reaches the client unchanged, so its fallback runs on a legacy server. A
 *   legacy-only answer from an unpinned server is remembered and replayed to later
 *   probes, so a legacy server is probed once (some exit on an unknown
 *   pre-`initialize` request). A lane that was only probed stays unpinned and is the
 *   first reused when a legacy host needs another lane.
 */
import type { JsonRpcErrorObject } from "../rpc/message.ts";
import type { Lane } from "./lane.ts";
import type { RouterState } from "./router_state.ts";
import { DEFAULT_LANE } from "./types.ts";

/** The lane for a legacy host whose `initialize` asks `version`. */
export function chooseLegacyLane(state: RouterState, version: string): Lane {
  for (const lane of state.lanes.values()) {
    if (lane.era !== "legacy") continue;
    if (lane.init.requestedVersion === version || lane.init.negotiatedVersion === version) {
      return lane;
    }
  }
  // A legacy lane whose handshake failed and was forgotten: its server is pinned to
  // the legacy era but negotiated nothing yet, so any version may try there.
  for (const lane of state.lanes.values()) {
    if (lane.era === "legacy" && lane.init.state === "none") return lane;
  }
  const lane = freshLane(state) ?? state.lane(unusedId(state, `legacy:${version}`));
  lane.era = "legacy";
  return lane;
}

/** The lane for modern-era hosts (there is one). */
export function chooseModernLane(state: RouterState): Lane {
  for (const lane of state.lanes.values()) if (lane.era === "modern") return lane;
  const lane = freshLane(state) ?? state.lane(unusedId(state, "modern"));
  lane.era = "modern";
  return lane;
}

/**
 * Where a `server/discover` probe goes: a lane, or the remembered legacy-only error
 * to answer with locally.
 */
export function chooseProbeLane(state: RouterState): Lane | JsonRpcErrorObject {
  for (const lane of state.lanes.values()) if (lane.era === "modern") return lane;
  return state.legacyOnlyProbeError ?? freshLane(state) ?? state.lane(unusedId(state, "modern"));
}

/** A lane no era has claimed, preferring the default lane (already running). */
function freshLane(state: RouterState): Lane | undefined {
  const main = state.lane(DEFAULT_LANE);
  if (main.era === "fresh") return main;
  for (const lane of state.lanes.values()) if (lane.era === "fresh") return lane;
  return undefined;
}

function unusedId(state: RouterState, base: string): string {
  if (!state.lanes.has(base)) return base;
  for (let n = 2;; n++) if (!state.lanes.has(`${base}#${n}`)) return `${base}#${n}`;
}
