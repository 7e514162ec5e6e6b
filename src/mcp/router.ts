/**
 * The MCP router: many hosts, one server (per lane), every host seeing a private,
 * spec-correct server. Pure: messages in, messages out; no I/O, no timers, no clock.
 *
 * Rules (details in the module named):
 * - Ids: every host request gets a fresh id in its lane's monotonic id space; the
 *   response gets the host's exact id back (type and value). Responses for cancelled
 *   or departed requests find nothing and are dropped (`forward.ts`).
 * - Progress tokens are rewritten per request and restored for the owner only.
 * - `initialize`: single flight per lane, cached, answered to later hosts with their
 *   own id; exactly one `notifications/initialized` per server process. A later host
 *   asking another protocol version gets its own lane (`lane_choice.ts`).
 * - Hosts may pipeline requests behind `initialize` (held until it is answered);
 *   other requests before `initialize` get −32600, except `ping` (answered here),
 *   `server/discover` (a probe) and modern requests (they need no handshake).
 * - A second `initialize` on one connection, and `initialize` in a batch: −32600.
 * - Host `ping` is forwarded once the host has a lane (it then measures the real
 *   server); a server `ping` is answered by the router and never broadcast.
 * - `notifications/cancelled` is rewritten both ways; a departing host's in-flight
 *   requests are cancelled upstream (`lifecycle.ts`). `initialize` is never cancelled.
 * - Subscriptions refcounted per URI (`subscriptions.ts`), log levels per host
 *   (`logging.ts`), server→client requests routed by evidence
 *   (`server_requests.ts`), task ownership (`tasks.ts`).
 * - Server-wide notifications (`list_changed`, unknown ones) go to every host
 *   attached to the lane (initialized or initializing).
 * - Modern era (2026-07-28): `_meta` is passed through untouched except the two ids
 *   the router must own (`progressToken`, and `subscriptionId` on listen streams,
 *   mapped back to the host's listen id); `input_required` results are ordinary
 *   responses to the host that asked.
 * - 2025-03-26 batches: split, routed one by one, replies re-batched (`batch.ts`).
 * - Malformed input from a host: −32700/−32600 (id kept when valid), the host stays.
 *   Oversized: −32010 with the id recovered from the message's ends. Non-JSON server
 *   output: logged and dropped.
 */
import type { OversizedLine } from "../rpc/line_splitter.ts";
import { fromClient } from "./client_messages.ts";
import { handleValue } from "./client_messages.ts";
import { Emitter } from "./emitter.ts";
import { type ExitDetail, exitLane, handBackHeld, removeSession, restartLane } from "./lifecycle.ts";
import { RouterState } from "./router_state.ts";
import { Session } from "./session.ts";
import { takeSnapshot } from "./snapshot.ts";
import {
  type ClientId,
  DEFAULT_LANE,
  type LaneId,
  type RouterOptions,
  type RouterOutput,
  type RouterSnapshot,
} from "./types.ts";
import { fromUpstream } from "./upstream_messages.ts";

export type { ExitDetail };

/** One line as the daemon got it from a {@link LineSplitter}: bytes, text, or oversized. */
export type RouterInput = Uint8Array | string | OversizedLine;

export class Router {
  readonly #state: RouterState;

  constructor(options: RouterOptions = {}) {
    this.#state = new RouterState(options);
  }

  /** A proxy connection attached (after its hello). */
  addClient(client: ClientId): RouterOutput[] {
    return this.#run((out) => {
      if (this.#state.sessions.has(client)) {
        out.log("warn", "client_already_added", { client });
        return;
      }
      this.#state.sessions.set(client, new Session(client));
      out.log("debug", "client_added", { client });
    });
  }

  /** A proxy connection is gone: its work is cancelled and its holdings released. */
  removeClient(client: ClientId): RouterOutput[] {
    return this.#run((out) => {
      const session = this.#state.sessions.get(client);
      if (session === undefined) out.log("warn", "unknown_client", { client });
      else removeSession(this.#state, session, out);
    });
  }

  /** One framed line from a host. Never throws; bad input is answered or logged. */
  fromClient(client: ClientId, line: RouterInput): RouterOutput[] {
    return this.#run((out) => {
      const session = this.#state.sessions.get(client);
      if (session === undefined) out.log("warn", "unknown_client", { client });
      else fromClient(this.#state, session, line, out);
    });
  }

  /** One framed line from a lane's server stdout. */
  fromUpstream(lane: LaneId, line: RouterInput): RouterOutput[] {
    return this.#run((out) => fromUpstream(this.#state, this.#state.lane(lane), line, out));
  }

  /**
   * The lane's server exited: in-flight requests on it fail with −32000 (exit status
   * and last stderr line); messages wait until {@link laneRestarted}.
   */
  laneExited(lane: LaneId, detail: ExitDetail): RouterOutput[] {
    // Other lanes exist only once the router made them; an unknown one was released
    // (`stop`), and its process's exit means nothing.
    if (lane !== DEFAULT_LANE && !this.#state.lanes.has(lane)) return [];
    return this.#run((out) => exitLane(this.#state.lane(lane), detail, out));
  }

  /**
   * A new server process runs for the lane: the handshake is replayed with the
   * original params, then `initialized`, subscriptions, log level, held messages, and
   * `list_changed` to hosts for what the server advertises.
   */
  laneRestarted(lane: LaneId): RouterOutput[] {
    if (lane !== DEFAULT_LANE && !this.#state.lanes.has(lane)) return [];
    return this.#run((out) => restartLane(this.#state.lane(lane), out));
  }

  /**
   * The daemon is stopping: requests held for a restarting server go back to their
   * hosts (−32012, the request in `data.request`) so their proxies can resend them.
   */
  handBackHeld(): RouterOutput[] {
    return this.#run((out) => {
      for (const lane of this.#state.lanes.values()) handBackHeld(lane, out);
    });
  }

  /**
   * Stop an extra lane nobody uses (the daemon asks once it has been idle): its process
   * goes (`stop`) and the lane is forgotten; a later host of its version starts a new
   * one. The default lane, and a lane with hosts or requests, stay.
   */
  releaseLane(lane: LaneId): RouterOutput[] {
    const found = this.#state.lanes.get(lane);
    if (lane === DEFAULT_LANE || found === undefined) return [];
    if (found.members.size > 0 || found.ids.size > 0 || found.held.length > 0) return [];
    return this.#run((out) => {
      this.#state.lanes.delete(lane);
      out.stopLane(found);
    });
  }

  snapshot(): RouterSnapshot {
    return takeSnapshot(this.#state);
  }

  #run(body: (out: Emitter) => void): RouterOutput[] {
    const out = new Emitter();
    try {
      body(out);
      // Hosts whose `initialize` was just answered replay what they pipelined.
      for (let i = 0; i < out.readied.length; i++) {
        const session = out.readied[i];
        const queued = session.queued;
        session.queued = undefined;
        if (queued === undefined || session.closed) continue;
        for (const value of queued) handleValue(this.#state, session, value, out);
      }
    } catch (error) {
      // A router bug must cost one message, never the daemon.
      out.log("error", "router_failure", { error: String(error), stack: (error as Error)?.stack });
    }
    this.#state.requestsServed += out.served;
    return out.outputs;
  }
}
