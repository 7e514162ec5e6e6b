/**
 * Ordered, bounded writes to one connection. A peer that stops reading fills its
 * outbox; past `maxBytes` it is cut off (`onOverflow`) instead of growing the daemon's
 * memory or slowing anyone else. Writes never throw to the caller.
 */
import type { ByteWriter } from "../runtime/types.ts";

export class Outbox {
  readonly #writer: ByteWriter;
  readonly #maxBytes: number;
  readonly #onOverflow: () => void;
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  #flushing = false;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(writer: ByteWriter, maxBytes: number, onOverflow: () => void) {
    this.#writer = writer;
    this.#maxBytes = maxBytes;
    this.#onOverflow = onOverflow;
  }

  /** Bytes accepted but not yet written. */
  get pendingBytes(): number {
    return this.#queuedBytes;
  }

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
        // Coalesce what piled up while the last write was in flight: one syscall, not N.
        const batch = this.#queued;
        this.#queued = [];
        const bytes = batch.length === 1 ? batch[0] : concat(batch);
        await this.#writer.write(bytes);
        this.#queuedBytes -= bytes.length;
      }
    } catch {
      this.close(); // the reader side notices the broken connection and cleans up
    } finally {
      this.#flushing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
