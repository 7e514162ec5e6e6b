/**
 * Server→client requests (`sampling/createMessage`, `elicitation/create`,
 * `roots/list`, …) the host has not answered yet, by the id the host saw.
 *
 * When the daemon goes away the server that asked is gone too: the host is told they
 * are cancelled (it may be showing a prompt to a human), and a late answer is dropped
 * instead of reaching the new daemon, which numbers its own requests to this host
 * from scratch and could take it for the answer to another request.
 */
import type { RequestId } from "../rpc/message.ts";

const encoder = new TextEncoder();

export class HeldRequests {
  #held = new Set<RequestId>();
  /** Held when the last daemon went away. */
  #stale = new Set<RequestId>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.#held.size;
  }

  /** The daemon sent the host a request. Returns false when the table is full. */
  hold(id: RequestId): boolean {
    if (this.#held.size >= this.maxEntries) return false;
    this.#held.add(id);
    return true;
  }

  /** The server withdrew its request (`notifications/cancelled`). */
  withdraw(id: RequestId): void {
    this.#held.delete(id);
  }

  /**
   * The host answered `id`. Returns true when the answer must be dropped: it is for a
   * request of a daemon now gone, and the current daemon did not ask under that id.
   */
  isStaleAnswer(id: RequestId): boolean {
    if (this.#held.delete(id)) return false;
    return this.#stale.delete(id);
  }

  /** The daemon went away: a `notifications/cancelled` line for each held request. */
  disconnect(reason: string): Uint8Array[] {
    const lines: Uint8Array[] = [];
    for (const requestId of this.#held) {
      const params = { requestId, reason: `The shared shoal daemon went away (${reason})` };
      lines.push(encoder.encode(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params })));
    }
    this.#stale = this.#held;
    this.#held = new Set();
    return lines;
  }
}
