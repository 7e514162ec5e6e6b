/**
 * A top-level look at one JSON-RPC line without `JSON.parse`: which members `id`,
 * `method`, `result`, `error` it has, and where the `id` and `method` tokens sit.
 *
 * The proxy sees every line twice as often as it cares about one, and daemon lines
 * can be many MiB (screenshots, file contents): parsing them all would cost the
 * proxy's memory budget. The scan allocates nothing for a notification or a
 * response with a number id and skips string bodies with `indexOf` (UTF-8
 * continuation bytes are ≥ 0x80, so a `"` or `\` byte is always the character).
 *
 * It checks structure, not content: a line with a broken literal deep inside a value
 * may pass. A key written with escapes (`"\u0069d"`) makes the verdict "unsure", and
 * the caller falls back to `JSON.parse`.
 */
import type { RequestId } from "../rpc/message.ts";

/** What a line is at its top level. */
export type PeekKind = "request" | "notification" | "response" | "batch" | "invalid" | "unsure";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The result of {@link peekMessage}; one instance is reused across lines. */
export class MessagePeek {
  kind: PeekKind = "invalid";
  /** The `id`, decoded; undefined when absent or not a string or finite number. */
  id: RequestId | undefined = undefined;
  /** Byte range of the `id` value token (for rewriting it without a parse). */
  idStart = -1;
  idEnd = -1;
  /** Byte range of the `method` string token, quotes included. */
  methodStart = -1;
  methodEnd = -1;
  /** A response carrying `error` rather than `result`. */
  isError = false;
}

/** Classify `line` into `peek` (returned for convenience). */
export function peekMessage(line: Uint8Array, peek: MessagePeek): MessagePeek {
  peek.id = undefined;
  peek.idStart = peek.idEnd = peek.methodStart = peek.methodEnd = -1;
  peek.isError = false;
  peek.kind = scan(line, peek);
  return peek;
}

/** The `method` of a peeked request or notification. */
export function peekedMethod(line: Uint8Array, peek: MessagePeek): string | undefined {
  if (peek.methodStart < 0) return undefined;
  const value = decodeString(line, peek.methodStart, peek.methodEnd);
  return typeof value === "string" ? value : undefined;
}

/** Is the peeked `method` exactly `ascii`? Compares bytes, so nothing is allocated. */
export function methodIs(line: Uint8Array, peek: MessagePeek, ascii: string): boolean {
  const start = peek.methodStart + 1;
  if (peek.methodStart < 0 || peek.methodEnd - 1 - start !== ascii.length) return false;
  return bytesAre(line, start, ascii);
}

function scan(line: Uint8Array, peek: MessagePeek): PeekKind {
  let i = skipSpace(line, 0);
  if (line[i] === 0x5b) return "batch";
  if (line[i] !== 0x7b) return "invalid";
  let hasMethod = false;
  let hasId = false;
  let hasOutcome = false;
  i = skipSpace(line, i + 1);
  if (line[i] === 0x7d) return "invalid"; // `{}` is no message
  for (;;) {
    if (line[i] !== QUOTE) return "invalid";
    const keyEnd = endOfString(line, i);
    if (keyEnd < 0) return "invalid";
    const key = keyName(line, i, keyEnd);
    i = skipSpace(line, keyEnd);
    if (line[i] !== 0x3a) return "invalid";
    const valueStart = skipSpace(line, i + 1);
    const valueEnd = skipValue(line, valueStart);
    if (valueEnd < 0) return "invalid";
    if (key === KEY_ESCAPED) return "unsure";
    if (key === KEY_ID) {
      hasId = true;
      peek.idStart = valueStart;
      peek.idEnd = valueEnd;
    } else if (key === KEY_METHOD) {
      hasMethod = true;
      peek.methodStart = line[valueStart] === QUOTE ? valueStart : -1;
      peek.methodEnd = valueEnd;
    } else if (key === KEY_RESULT || key === KEY_ERROR) {
      hasOutcome = true;
      peek.isError = key === KEY_ERROR; // a response with both is invalid anyway
    }
    i = skipSpace(line, valueEnd);
    if (line[i] === 0x2c) {
      i = skipSpace(line, i + 1);
      continue;
    }
    if (line[i] !== 0x7d || !trailingSpaceOnly(line, i + 1)) return "invalid";
    break;
  }
  if (hasId) {
    peek.id = decodeId(line, peek.idStart, peek.idEnd);
    if (peek.id === undefined) return "invalid";
  }
  if (hasMethod) {
    if (peek.methodStart < 0) return "invalid";
    return hasId ? "request" : "notification";
  }
  return hasOutcome && hasId ? "response" : "invalid";
}

const KEY_OTHER = 0;
const KEY_ID = 1;
const KEY_METHOD = 2;
const KEY_RESULT = 3;
const KEY_ERROR = 4;
const KEY_ESCAPED = 5;
const KEYS: ReadonlyArray<readonly [string, number]> = [
  ["id", KEY_ID],
  ["method", KEY_METHOD],
  ["result", KEY_RESULT],
  ["error", KEY_ERROR],
];

/** Which of the keys that matter the string token `[start, end)` is. */
function keyName(line: Uint8Array, start: number, end: number): number {
  const length = end - start - 2;
  for (let i = start + 1; i < end - 1; i++) if (line[i] === BACKSLASH) return KEY_ESCAPED;
  for (const [name, code] of KEYS) {
    if (name.length === length && bytesAre(line, start + 1, name)) return code;
  }
  return KEY_OTHER;
}

function bytesAre(line: Uint8Array, start: number, ascii: string): boolean {
  for (let i = 0; i < ascii.length; i++) if (line[start + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

function decodeId(line: Uint8Array, start: number, end: number): RequestId | undefined {
  if (line[start] === QUOTE) return decodeString(line, start, end);
  // The usual id: a small non-negative integer, read without making a string.
  if (end - start <= 15 && (line[start] !== 0x30 || end - start === 1)) {
    let value = 0;
    let i = start;
    for (; i < end && line[i] >= 0x30 && line[i] <= 0x39; i++) value = value * 10 + line[i] - 0x30;
    if (i === end) return value;
  }
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(line[i]);
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function decodeString(line: Uint8Array, start: number, end: number): string | undefined {
  try {
    for (let i = start + 1; i < end - 1; i++) {
      if (line[i] === BACKSLASH || line[i] < 0x20) {
        const value: unknown = JSON.parse(decoder.decode(line.subarray(start, end)));
        return typeof value === "string" ? value : undefined;
      }
    }
    return decoder.decode(line.subarray(start + 1, end - 1));
  } catch {
    return undefined;
  }
}

function skipSpace(line: Uint8Array, i: number): number {
  while (i < line.length) {
    const c = line[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i;
}

function trailingSpaceOnly(line: Uint8Array, i: number): boolean {
  return skipSpace(line, i) === line.length;
}

/** Index just past the string opening at `i`, or −1 when the line ends inside it. */
function endOfString(line: Uint8Array, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = line.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (line[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index just past the value starting at `i`, or −1 when it is not a complete value. */
function skipValue(line: Uint8Array, i: number): number {
  const first = line[i];
  if (first === QUOTE) return endOfString(line, i);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let j = i; j < line.length; j++) {
      const c = line[j];
      if (c === QUOTE) {
        j = endOfString(line, j);
        if (j < 0) return -1;
        j--;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A literal (number, true, false, null) runs to the next delimiter.
  let j = i;
  while (j < line.length) {
    const c = line[j];
    if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
    j++;
  }
  return j > i ? j : -1;
}
