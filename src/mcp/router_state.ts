/**
 * Everything the router knows, shared by the rule modules.
 */
import type { JsonRpcErrorObject } from "../rpc/message.ts";
import { Lane } from "./lane.ts";
import type { Session } from "./session.ts";
import type { ClientId, Implementation, LaneId, RouterOptions } from "./types.ts";

export class RouterState {
  readonly sessions = new Map<ClientId, Session>();
  readonly lanes = new Map<LaneId, Lane>();
  readonly upstreamClientInfo: Implementation | undefined;
  readonly maxHeldMessages: number;
  /** Advances on every host message; orders hosts by recent activity. */
  tick = 0;
  requestsServed = 0;
  serverRequestsServed = 0;
  /**
   * The server's own answer to `server/discover` when it showed the server is
   * legacy-only. Later probes get this answer without bothering a server again
   * (some legacy servers exit on an unknown pre-`initialize` request).
   */
  legacyOnlyProbeError: JsonRpcErrorObject | undefined = undefined;

  constructor(options: RouterOptions) {
    this.upstreamClientInfo = options.upstreamClientInfo;
    this.maxHeldMessages = options.maxHeldMessages ?? 1024;
  }

  /** The lane named `id`, created (fresh) on first use. */
  lane(id: LaneId): Lane {
    let lane = this.lanes.get(id);
    if (lane === undefined) {
      lane = new Lane(id);
      this.lanes.set(id, lane);
    }
    return lane;
  }
}
