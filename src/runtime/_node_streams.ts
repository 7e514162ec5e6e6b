/**
 * Byte readers and writers over node streams (node:net sockets, node:child_process
 * pipes, and our own process stdio on Bun and node).
 *
 * - Reads: `'data'` events go into a bounded {@link Inbox} that pauses the stream when
 *   nobody reads, so the OS stops handing us bytes.
 * - Writes: node buffers without bound if `write()` returning false is ignored. A write
 *   here resolves only after its callback ran (the bytes left node's buffer) and, when
 *   `write()` returned false, after `'drain'`.
 * - An `'error'` listener is always attached: an unhandled `'error'` event (EPIPE on a
 *   dead child's stdin or a closed stdout) would otherwise crash the process. The first
 *   failure is latched, later writes reject with it.
 */
import type { Readable, Writable } from "node:stream";
import { Inbox } from "./_inbox.ts";
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import type { ByteWriter, RuntimeError } from "./types.ts";

/** A plain Uint8Array view: Buffer's `slice()` shares memory, Uint8Array's copies. */
export function plainBytes(chunk: Uint8Array | string): Uint8Array {
  if (typeof chunk === "string") return new TextEncoder().encode(chunk);
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export function readerFromNodeStream(stream: Readable, what: string): Inbox {
  const inbox = new Inbox({ pause: () => stream.pause(), resume: () => stream.resume() });
  stream.on("data", (chunk: Uint8Array | string) => inbox.push(plainBytes(chunk)));
  stream.on("end", () => inbox.end());
  stream.on("error", (err) => inbox.fail(toRuntimeError(err, `Cannot read ${what}`)));
  stream.on("close", () => inbox.end());
  return inbox;
}

interface PendingWrite {
  reject(err: RuntimeError): void;
}

export class NodeWriter implements ByteWriter {
  readonly #stream: Writable;
  readonly #action: string;
  readonly #pending = new Set<PendingWrite>();
  /** One 'drain' listener for all writes waiting on it (no listener per write). */
  readonly #drainWaiters = new Set<() => void>();
  #failure: RuntimeError | null = null;
  #ending: Promise<void> | null = null;
  /** Settles after the most recent write did: node keeps writes in order. */
  #lastWrite: Promise<unknown> = Promise.resolve();

  readonly #endStream: boolean;

  /** `endStream: false` for our own stdout/stderr: see `closeWrite()`. */
  constructor(stream: Writable, what: string, options: { endStream?: boolean } = {}) {
    this.#stream = stream;
    this.#endStream = options.endStream ?? true;
    this.#action = `Cannot write to ${what}`;
    stream.on("error", (err) => this.abort(this.#map(err)));
    stream.on("close", () => this.abort(runtimeError("EPIPE", this.#action)));
    stream.on("drain", () => {
      const waiters = [...this.#drainWaiters];
      this.#drainWaiters.clear();
      for (const waiter of waiters) waiter();
    });
  }

  /** We never destroy the stream ourselves before aborting, so "destroyed" means the peer left. */
  #map(err: unknown): RuntimeError {
    const mapped = toRuntimeError(err, this.#action);
    return mapped.code === "ECLOSED" ? runtimeError("EPIPE", this.#action, err) : mapped;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ending) return Promise.reject(runtimeError("ECLOSED", this.#action));
    if (data.byteLength === 0) return Promise.resolve();
    if (this.#stream.destroyed) {
      this.abort(runtimeError("EPIPE", this.#action));
      return Promise.reject(this.#failure);
    }
    const written = new Promise<void>((resolve, reject) => {
      const entry: PendingWrite = { reject };
      let flushed = false;
      let drained = true;
      const settle = () => {
        if (!flushed || !drained || !this.#pending.delete(entry)) return;
        resolve();
      };
      this.#pending.add(entry);
      let accepted: boolean;
      try {
        accepted = this.#stream.write(data, (err) => {
          if (err) return this.abort(this.#map(err));
          flushed = true;
          settle();
        });
      } catch (err) {
        return this.abort(this.#map(err));
      }
      if (!accepted) {
        drained = false;
        this.#drainWaiters.add(() => {
          drained = true;
          settle();
        });
      }
    });
    this.#lastWrite = written.catch(() => {});
    return written;
  }

  /**
   * Flush, then end the stream (a socket sends FIN, a child sees EOF on stdin). Never
   * rejects: a peer that is already gone has nothing left to be told. Our own
   * stdout/stderr are not ended (no runtime closes fd 1/2 on `end()`, and a closed fd 1
   * would be reused by the next file we open); they just refuse later writes.
   */
  closeWrite(): Promise<void> {
    this.#ending ??= (async () => {
      await this.#lastWrite;
      if (!this.#endStream || this.#failure || this.#stream.destroyed) return;
      await new Promise<void>((resolve) => {
        this.#stream.once("close", () => resolve());
        this.#stream.end(() => resolve());
      });
    })();
    return this.#ending;
  }

  /** Fail pending and later writes with `err` (the first failure wins). */
  abort(err: RuntimeError): void {
    this.#failure ??= err;
    this.#drainWaiters.clear();
    for (const entry of this.#pending) entry.reject(this.#failure);
    this.#pending.clear();
  }
}
