/**
 * The host's requests the daemon has not answered yet, by the host's own id (exact
 * type and value: `1` and `"1"` are different requests).
 *
 * Bounded twice: at most `maxEntries` ids are tracked, and the bytes kept for
 * resending (see {@link InflightTable.add}) stay under `maxResendBytes`, so a host
 * flooding `ping`s cannot grow the proxy without limit.
 */
import type { RequestId } from "../rpc/message.ts";

/** What the session does with the entry when it settles or the daemon goes away. */
export type EntryKind = "plain" | "initialize" | "subscribe" | "unsubscribe" | "setLevel";

/** Shared by the requests of one JSON-RPC batch: they fail together, as one array. */
export type BatchMark = { readonly batch: true };

export interface InflightEntry {
  readonly kind: EntryKind;
  /** The host's line, kept to resend it after a reconnect; undefined = fail it. */
  line: Uint8Array | undefined;
  readonly batch: BatchMark | undefined;
  /** The URI of a `resources/subscribe` or `unsubscribe`. */
  readonly uri: string | undefined;
  /** Reconnects this request has already been resent across. */
  resends: number;
}

// Most requests need nothing but their id: they share one entry instead of one each.
const PLAIN: InflightEntry = Object.freeze({
  kind: "plain",
  line: undefined,
  batch: undefined,
  uri: undefined,
  resends: 0,
}) as InflightEntry;

export interface AddOptions {
  /** Keep a copy of this line to resend (dropped silently past the byte budget). */
  resend?: Uint8Array;
  batch?: BatchMark;
  uri?: string;
}

export class InflightTable {
  readonly #entries = new Map<RequestId, InflightEntry>();
  #keptBytes = 0;

  constructor(readonly maxEntries: number, readonly maxResendBytes: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Bytes of host lines held for resending. */
  get keptBytes(): number {
    return this.#keptBytes;
  }

  get(id: RequestId): InflightEntry | undefined {
    return this.#entries.get(id);
  }

  /**
   * Track a request. Returns false when the table is full or the id is already in
   * flight (the daemon refuses the duplicate with that id; the first entry stands).
   * `initialize` is always kept for resending: without it the host's handshake is lost.
   */
  add(id: RequestId, kind: EntryKind, options: AddOptions = {}): boolean {
    if (this.#entries.size >= this.maxEntries || this.#entries.has(id)) return false;
    const { resend, batch, uri } = options;
    if (kind === "plain" && batch === undefined && resend === undefined) {
      this.#entries.set(id, PLAIN);
      return true;
    }
    let line: Uint8Array | undefined;
    if (resend !== undefined && batch === undefined) {
      if (kind === "initialize" || this.#keptBytes + resend.length <= this.maxResendBytes) {
        // The framer hands out views into its read buffer: keep a copy.
        line = resend.slice();
        this.#keptBytes += line.length;
      }
    }
    this.#entries.set(id, { kind, line, batch, uri, resends: 0 });
    return true;
  }

  /**
   * Keep `line` to resend the request `id` after all (a stopping daemon handed it back
   * unsent). False when it is not in flight, part of a batch, or over the byte budget.
   */
  keep(id: RequestId, line: Uint8Array): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.batch !== undefined) return false;
    if (entry.line !== undefined) return true;
    if (this.#keptBytes + line.length > this.maxResendBytes) return false;
    this.#keptBytes += line.length;
    this.#entries.set(id, { ...entry, line });
    return true;
  }

  /** Remove and return the entry for `id` (undefined when not in flight). */
  take(id: RequestId): InflightEntry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    if (entry.line !== undefined) this.#keptBytes -= entry.line.length;
    return entry;
  }

  /** Entries in the order the host sent them. */
  entries(): IterableIterator<[RequestId, InflightEntry]> {
    return this.#entries.entries();
  }
}
