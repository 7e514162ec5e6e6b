/**
 * Collects the outputs of one router call, in the order they must be performed.
 */
import type { JsonRpcMessage, JsonRpcResponse } from "../rpc/message.ts";
import type { BatchCollector } from "./batch.ts";
import type { Lane } from "./lane.ts";
import type { Session } from "./session.ts";
import type { RouterLogLevel, RouterOutput } from "./types.ts";

export class Emitter {
  readonly outputs: RouterOutput[] = [];
  /** Host requests answered during this call. */
  served = 0;
  /** Hosts whose `initialize` was just answered and who have queued messages to replay. */
  readonly readied: Session[] = [];

  /**
   * Send to a lane's server. While the server is down or replaying its handshake the
   * message waits in the lane, so nothing reaches a server before `initialized`.
   */
  upstream(lane: Lane, message: JsonRpcMessage): void {
    if (lane.phase === "up") this.outputs.push({ kind: "upstream", lane: lane.id, message });
    else lane.held.push(message);
  }

  /** Send to a lane's server now, even while it replays (the handshake itself, pongs). */
  /** The lane's server is no longer needed: the daemon stops it. */
  stopLane(lane: Lane): void {
    this.outputs.push({ kind: "stop", lane: lane.id });
  }

  upstreamNow(lane: Lane, message: JsonRpcMessage): void {
    this.outputs.push({ kind: "upstream", lane: lane.id, message });
  }

  /** Release what a lane held, in order. */
  flushHeld(lane: Lane): void {
    const held = lane.held;
    lane.held = [];
    for (const message of held) this.outputs.push({ kind: "upstream", lane: lane.id, message });
  }

  /** Send to a host; a host that already left gets nothing. */
  client(session: Session, message: JsonRpcMessage | JsonRpcMessage[]): void {
    if (!session.closed) this.outputs.push({ kind: "client", client: session.id, message });
  }

  /** Answer a host request: directly, or into its batch (sent when the batch is complete). */
  reply(session: Session, batch: BatchCollector | undefined, response: JsonRpcResponse): void {
    this.served++;
    if (batch === undefined) {
      this.client(session, response);
      return;
    }
    const complete = batch.add(response);
    if (complete !== undefined) this.client(session, complete);
  }

  log(level: RouterLogLevel, event: string, fields: Record<string, unknown>): void {
    this.outputs.push({ kind: "log", level, event, fields });
  }
}
