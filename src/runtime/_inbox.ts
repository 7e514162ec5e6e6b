/**
 * Bounded hand-over between a push-based source (Bun socket `data` callbacks, node
 * stream `'data'` events) and the pull-based {@link ByteReader} contract.
 *
 * What must stay true: when nobody calls `read()`, at most about `highWaterBytes` plus
 * one chunk is held here; past that the source is paused, so the OS stops handing us
 * bytes and the peer's writes block instead of our memory growing. The source is
 * resumed once a reader has drained the backlog below half the mark.
 */
import { type ByteReader, RuntimeError } from "./types.ts";

/** How the inbox throttles its source. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(err: RuntimeError): void;
}

/** 256 KiB: a few socket buffers' worth, enough to keep a reader busy. */
export const INBOX_HIGH_WATER = 256 * 1024;

export class Inbox implements ByteReader {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #waiters: Waiter[] = [];
  #ended = false;
  #error: RuntimeError | null = null;
  #paused = false;
  readonly #flow: FlowControl;
  readonly #highWater: number;

  constructor(flow: FlowControl, highWaterBytes = INBOX_HIGH_WATER) {
    this.#flow = flow;
    this.#highWater = highWaterBytes;
  }

  /** Bytes queued and not yet read. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** The source produced a chunk. Chunks arriving after EOF or an error are dropped. */
  push(chunk: Uint8Array): void {
    if (this.#ended || this.#error || chunk.byteLength === 0) return;
    const waiter = this.#waiters.shift();
    if (waiter) return waiter.resolve(chunk);
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (!this.#paused && this.#bytes >= this.#highWater) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** The source reached EOF: queued chunks are still delivered, then `null`. */
  end(): void {
    if (this.#ended || this.#error) return;
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(null);
  }

  /** The source failed: queued chunks are still delivered, then reads reject with `err`. */
  fail(err: RuntimeError): void {
    if (this.#ended || this.#error) return;
    this.#error = err;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
  }

  /** This side closed: drop what is queued; pending and later reads resolve `null`. */
  discard(): void {
    this.#chunks = [];
    this.#bytes = 0;
    this.#error = null;
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(null);
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#bytes -= chunk.byteLength;
      if (this.#paused && this.#bytes <= this.#highWater / 2 && !this.#ended && !this.#error) {
        this.#paused = false;
        this.#flow.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}
