/**
 * Re-batching of replies to a 2025-03-26 JSON-RPC batch.
 *
 * The batch's requests are split and routed one by one (upstream never sees a batch:
 * servers on 2025-06-18 and later reject them). Each reply lands here; when every
 * request of the batch has its reply, they go back to the host as one array, as
 * JSON-RPC requires. A batch of notifications only gets no reply at all.
 */
import type { JsonRpcMessage } from "../rpc/message.ts";

export class BatchCollector {
  readonly replies: JsonRpcMessage[] = [];
  /** Requests in the batch still owed a reply (grows while the batch is read). */
  expected = 0;
  #sealed = false;
  #flushed = false;

  /**
   * Record one reply; returns the whole batch when it is complete, else undefined.
   */
  add(reply: JsonRpcMessage): JsonRpcMessage[] | undefined {
    this.replies.push(reply);
    return this.#complete();
  }

  /** A request of the batch will never be answered (the host cancelled it). */
  forget(): JsonRpcMessage[] | undefined {
    this.expected--;
    return this.#complete();
  }

  /** Every element has been read; returns the batch if all replies are already in. */
  seal(): JsonRpcMessage[] | undefined {
    this.#sealed = true;
    return this.#complete();
  }

  #complete(): JsonRpcMessage[] | undefined {
    if (!this.#sealed || this.#flushed || this.replies.length < this.expected) return undefined;
    this.#flushed = true;
    return this.replies.length > 0 ? this.replies : undefined;
  }
}
