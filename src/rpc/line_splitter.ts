/**
 * Newline framing for MCP stdio streams (and the same framing over Unix sockets).
 *
 * Feed chunks with {@link LineSplitter.push}; get back complete lines and, for a line
 * over the limit, one {@link OversizedLine} carrying only its first and last bytes.
 * An oversized line is never held in memory: once past the limit the splitter keeps
 * a bounded head and tail and counts the rest, so a 1 GiB line costs a few KiB.
 * Both ends are kept because the SDKs serialize requests as
 * `{"method":…,"params":…,"jsonrpc":"2.0","id":…}`: the id of a huge request is at
 * its end, the id of a huge response at its start.
 *
 * Lines come without their `\n` (and without a trailing `\r`). Empty and
 * whitespace-only lines are skipped and counted. A line that lies inside one chunk is
 * returned as a view into that chunk (no copy): consume it before the next `push`.
 */

/** A line that exceeded the limit: its first and last bytes (to recover the id) and size. */
export interface OversizedLine {
  kind: "oversized";
  /** The first bytes of the line, at most `headBytes`. */
  head: Uint8Array;
  /** The last bytes of the line (without `\r`), at most `tailBytes`. */
  tail: Uint8Array;
  /** Length of the whole line in bytes, without the newline. */
  totalBytes: number;
  /** The limit it exceeded. */
  limit: number;
}

/** What {@link LineSplitter.push} yields: a complete line or an oversized one. */
export type FramedLine = Uint8Array | OversizedLine;

/** Default maximum message size: 32 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** Default number of leading bytes kept from an oversized line. */
export const DEFAULT_HEAD_BYTES = 4096;

/** Default number of trailing bytes kept from an oversized line. */
export const DEFAULT_TAIL_BYTES = 1024;

const NEWLINE = 10;
const CR = 13;
const NONE: FramedLine[] = [];
const EMPTY: Uint8Array = new Uint8Array(0);

export class LineSplitter {
  readonly maxMessageBytes: number;
  readonly headBytes: number;
  readonly tailBytes: number;
  /** Empty or whitespace-only lines skipped so far. */
  emptyLines = 0;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  // Discarding state, set once the current line passed the limit.
  #head: Uint8Array | undefined;
  #tail: Uint8Array = EMPTY;
  #discardedBytes = 0;

  constructor(options: { maxMessageBytes?: number; headBytes?: number; tailBytes?: number } = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.headBytes = options.headBytes ?? DEFAULT_HEAD_BYTES;
    this.tailBytes = options.tailBytes ?? DEFAULT_TAIL_BYTES;
    if (!(this.maxMessageBytes > 0)) throw new RangeError("maxMessageBytes must be positive");
    if (!(this.headBytes > 0) || !(this.tailBytes > 0)) {
      throw new RangeError("headBytes and tailBytes must be positive");
    }
  }

  /** Bytes held for an unfinished line (bounded by the limit, or head + tail). */
  get bufferedBytes(): number {
    return this.#head === undefined ? this.#partBytes : this.#head.length + this.#tail.length;
  }

  /** Split `chunk`; returns the lines it completed, in order. */
  push(chunk: Uint8Array): FramedLine[] {
    let out = NONE;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) break;
      const line = this.#complete(chunk.subarray(start, newline));
      if (line !== undefined) {
        if (out === NONE) out = [];
        out.push(line);
      }
      start = newline + 1;
    }
    if (start < chunk.length) this.#keep(chunk.subarray(start));
    return out;
  }

  /**
   * End of stream: a last line without a newline is still a line (servers that
   * forget the final `\n` exist); an unfinished oversized line is reported.
   */
  end(): FramedLine[] {
    if (this.#head === undefined && this.#partBytes === 0) return NONE;
    const line = this.#complete(EMPTY);
    return line === undefined ? NONE : [line];
  }

  #keep(segment: Uint8Array): void {
    if (this.#head !== undefined) {
      this.#discard(segment);
      return;
    }
    // One byte of slack: a line of exactly the limit may still be followed by `\r`.
    if (this.#partBytes + segment.length > this.maxMessageBytes + 1) {
      this.#head = this.#takeHead(segment);
      this.#tail = EMPTY;
      this.#discardedBytes = this.#partBytes;
      for (const part of this.#parts) this.#tail = appendTail(this.#tail, part, this.tailBytes + 1);
      this.#parts = [];
      this.#partBytes = 0;
      this.#discard(segment);
      return;
    }
    // Copy: the chunk's buffer may be reused by the reader once push() returns.
    this.#parts.push(segment.slice());
    this.#partBytes += segment.length;
  }

  #discard(segment: Uint8Array): void {
    this.#discardedBytes += segment.length;
    // One extra byte: a trailing `\r` is cut off before the tail is reported.
    this.#tail = appendTail(this.#tail, segment, this.tailBytes + 1);
  }

  #takeHead(segment: Uint8Array): Uint8Array {
    const head = new Uint8Array(Math.min(this.headBytes, this.#partBytes + segment.length));
    let filled = 0;
    for (const part of this.#parts) {
      if (filled === head.length) break;
      const take = part.subarray(0, head.length - filled);
      head.set(take, filled);
      filled += take.length;
    }
    if (filled < head.length) head.set(segment.subarray(0, head.length - filled), filled);
    return head;
  }

  #complete(segment: Uint8Array): FramedLine | undefined {
    if (this.#head !== undefined) {
      this.#discard(segment);
      const oversized = this.#oversized(this.#head, this.#tail, this.#discardedBytes);
      this.#head = undefined;
      this.#tail = EMPTY;
      this.#discardedBytes = 0;
      return oversized;
    }
    let line = segment;
    if (this.#partBytes > 0) {
      const total = this.#partBytes + segment.length;
      if (total > this.maxMessageBytes + 1) {
        // Do not assemble what will be refused anyway.
        const head = this.#takeHead(segment);
        let tail: Uint8Array = EMPTY;
        for (const part of this.#parts) tail = appendTail(tail, part, this.tailBytes + 1);
        tail = appendTail(tail, segment, this.tailBytes + 1);
        this.#parts = [];
        this.#partBytes = 0;
        return this.#oversized(head, tail, total);
      }
      line = new Uint8Array(total);
      let offset = 0;
      for (const part of this.#parts) {
        line.set(part, offset);
        offset += part.length;
      }
      line.set(segment, offset);
      this.#parts = [];
      this.#partBytes = 0;
    }
    if (lastByte(line) === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxMessageBytes) {
      return this.#oversized(
        line.slice(0, this.headBytes),
        line.slice(-this.tailBytes),
        line.length,
      );
    }
    if (isBlank(line)) {
      this.emptyLines++;
      return undefined;
    }
    return line;
  }

  #oversized(head: Uint8Array, tail: Uint8Array, totalBytes: number): OversizedLine {
    let bytes = totalBytes;
    if (lastByte(tail) === CR) {
      tail = tail.subarray(0, tail.length - 1);
      bytes--;
    }
    if (tail.length > this.tailBytes) tail = tail.subarray(tail.length - this.tailBytes);
    return { kind: "oversized", head, tail, totalBytes: bytes, limit: this.maxMessageBytes };
  }
}

/** The last `max` bytes of `tail` followed by `segment`. */
function appendTail(tail: Uint8Array, segment: Uint8Array, max: number): Uint8Array {
  if (segment.length >= max) return segment.slice(segment.length - max);
  const keep = Math.min(tail.length, max - segment.length);
  const next = new Uint8Array(keep + segment.length);
  next.set(tail.subarray(tail.length - keep), 0);
  next.set(segment, keep);
  return next;
}

function lastByte(bytes: Uint8Array): number {
  return bytes.length === 0 ? -1 : bytes[bytes.length - 1];
}

function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const byte = line[i];
    if (byte !== 32 && byte !== 9 && byte !== CR) return false;
  }
  return true;
}
