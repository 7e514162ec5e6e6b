/**
 * Ordered, bounded writes to one peer (a host's connection, a server's stdin). A peer
 * that stops reading fills its outbox, and past `maxBytes` it is either cut off
 * ({@link Outbox.send}: `onOverflow`, for hosts) or further messages are refused one by
 * one ({@link Outbox.offer}: for a server, which must not be cut off) — never does the
 * daemon's memory grow with it or anyone else wait for it. Writes never throw to the
 * caller: the first failed write closes the outbox and is reported to `onWriteError`.
 */
import type { ByteWriter } from "../runtime/types.ts";
import { concatBytes } from "../wire/bytes.ts";

/** Largest coalesced write (a single larger message is written as it is). */
const BATCH_BYTES = 1024 * 1024;

export interface OutboxOptions {
  /**
   * The first write that failed (the peer is gone). The outbox is closed by then; the
   * owner closes the peer, since nothing more can reach it.
   */
  onWriteError?(error: unknown): void;
}

export class Outbox {
  readonly #writer: ByteWriter;
  readonly #maxBytes: number;
  readonly #onOverflow: () => void;
  readonly #onWriteError: (error: unknown) => void;
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  #flushing = false;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(
    writer: ByteWriter,
    maxBytes: number,
    onOverflow: () => void = () => {},
    options: OutboxOptions = {},
  ) {
    this.#writer = writer;
    this.#maxBytes = maxBytes;
    this.#onOverflow = onOverflow;
    this.#onWriteError = options.onWriteError ?? (() => {});
  }

  /** Bytes accepted but not yet written (the write in progress included). */
  get pendingBytes(): number {
    return this.#queuedBytes;
  }

  /** The cap given at construction. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queue `bytes`; past the cap the outbox closes and `onOverflow` runs (once). */
  send(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes > this.#maxBytes) {
      this.close();
      this.#onOverflow();
      return;
    }
    this.#queued.push(bytes);
    if (!this.#flushing) this.#flush();
  }

  /**
   * Queue `bytes` if they fit under the cap and return true; otherwise return false
   * and change nothing (the outbox stays open for messages that fit later).
   */
  offer(bytes: Uint8Array): boolean {
    if (this.#closed || this.#queuedBytes + bytes.length > this.#maxBytes) return false;
    this.#queuedBytes += bytes.length;
    this.#queued.push(bytes);
    if (!this.#flushing) this.#flush();
    return true;
  }

  /** Resolves when everything sent so far is written (or the outbox closed). */
  drained(): Promise<void> {
    if (!this.#flushing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#queued = [];
    this.#queuedBytes = 0;
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queued.length > 0 && !this.#closed) {
        // Coalesce what piled up while the last write was in flight: one syscall, not
        // N. Bounded, so a full queue is never copied whole.
        let count = 0;
        let size = 0;
        while (
          count < this.#queued.length &&
          (count === 0 || size + this.#queued[count].length <= BATCH_BYTES)
        ) {
          size += this.#queued[count++].length;
        }
        const batch = count === this.#queued.length ? this.#queued : this.#queued.slice(0, count);
        this.#queued = count === this.#queued.length ? [] : this.#queued.slice(count);
        const bytes = batch.length === 1 ? batch[0] : concatBytes(batch, size);
        await this.#writer.write(bytes);
        if (!this.#closed) this.#queuedBytes -= bytes.length;
      }
    } catch (error) {
      // Report it: a reader blocked on a half-closed peer may never notice on its own.
      const first = !this.#closed;
      this.close();
      if (first) this.#onWriteError(error);
    } finally {
      this.#flushing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
