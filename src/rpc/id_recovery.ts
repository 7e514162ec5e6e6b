/**
 * Recover `id` and `method` from the ends of a message too large to parse, so the
 * sender can still get an error response it can correlate.
 *
 * Only top-level members count: an `"id"` nested in `params` must not be mistaken for
 * the request id. The head is scanned forward from the opening `{`, the tail backward
 * from the closing `}` (the SDKs put a request's `id` last, a response's near the
 * start). Scanning stops quietly where the kept bytes end.
 */
import type { RequestId } from "./message.ts";

/** What could be read from a truncated message. */
export interface RecoveredFields {
  id: RequestId | undefined;
  method: string | undefined;
  /** True when a top-level `"result"` or `"error"` member was seen (a response). */
  isResponse: boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Read the top-level `id`, `method` and response markers from a message's two ends. */
export function recoverFields(
  head: Uint8Array | string,
  tail?: Uint8Array | string,
): RecoveredFields {
  const found: RecoveredFields = { id: undefined, method: undefined, isResponse: false };
  scanHead(typeof head === "string" ? head : decoder.decode(head), found);
  if (tail !== undefined) scanTail(typeof tail === "string" ? tail : decoder.decode(tail), found);
  return found;
}

function record(found: RecoveredFields, key: string | undefined, value: string): void {
  if (key === "id") found.id ??= readId(value);
  else if (key === "method") found.method ??= readString(value);
  else if (key === "result" || key === "error") found.isResponse = true;
}

function scanHead(text: string, found: RecoveredFields): void {
  let i = skipSpace(text, 0);
  if (text[i] !== "{") return;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] === ",") i = skipSpace(text, i + 1);
    if (text[i] !== '"') return;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return;
    const key = readString(text.slice(i, keyEnd));
    i = skipSpace(text, keyEnd);
    if (text[i] !== ":") return;
    // A response is recognizable by its member name, even when its value is cut off.
    if (key === "result" || key === "error") found.isResponse = true;
    i = skipSpace(text, i + 1);
    const valueEnd = valueEndAt(text, i);
    if (valueEnd < 0) return;
    record(found, key, text.slice(i, valueEnd));
    i = valueEnd;
  }
}

function scanTail(text: string, found: RecoveredFields): void {
  let i = skipSpaceBack(text, text.length - 1);
  if (text[i] !== "}") return;
  i--;
  for (;;) {
    i = skipSpaceBack(text, i);
    const valueStart = valueStartAt(text, i);
    if (valueStart < 0) return;
    const value = text.slice(valueStart, i + 1);
    i = skipSpaceBack(text, valueStart - 1);
    if (text[i] !== ":") return;
    i = skipSpaceBack(text, i - 1);
    if (text[i] !== '"') return;
    const keyStart = stringStart(text, i);
    if (keyStart < 0) return;
    record(found, readString(text.slice(keyStart, i + 1)), value);
    i = skipSpaceBack(text, keyStart - 1);
    if (text[i] !== ",") return;
    i--;
  }
}

function readId(token: string): RequestId | undefined {
  if (token.startsWith('"')) return readString(token);
  const number = Number(token);
  return token.length > 0 && Number.isFinite(number) ? number : undefined;
}

function readString(token: string): string | undefined {
  try {
    const value: unknown = JSON.parse(token);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

function skipSpaceBack(text: string, i: number): number {
  while (i >= 0 && isSpace(text[i])) i--;
  return i;
}

/** Index just past the string opening at `i`, or −1 when the text ends inside it. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") j++;
    else if (c === '"') return j + 1;
  }
  return -1;
}

/** Index of the quote opening the string that closes at `i`, or −1. */
function stringStart(text: string, i: number): number {
  for (let j = i - 1; j >= 0; j--) {
    if (text[j] !== '"') continue;
    let backslashes = 0;
    for (let k = j - 1; k >= 0 && text[k] === "\\"; k--) backslashes++;
    // Inside a string every quote is escaped; the first unescaped one opens it.
    if (backslashes % 2 === 0) return j;
  }
  return -1;
}

/** Index just past the JSON value starting at `i`, or −1 when the text ends inside it. */
function valueEndAt(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return stringEnd(text, i);
  if (first === "{" || first === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') {
        const end = stringEnd(text, j);
        if (end < 0) return -1;
        j = end - 1;
      } else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length && !isDelimiter(text[j])) j++;
  return j < text.length && j > i ? j : -1;
}

/** Index of the first character of the JSON value ending at `i`, or −1. */
function valueStartAt(text: string, i: number): number {
  if (i < 0) return -1;
  const last = text[i];
  if (last === '"') return stringStart(text, i);
  if (last === "}" || last === "]") {
    let depth = 0;
    for (let j = i; j >= 0; j--) {
      const c = text[j];
      if (c === '"') {
        j = stringStart(text, j);
        if (j < 0) return -1;
      } else if (c === "}" || c === "]") depth++;
      else if (c === "{" || c === "[") {
        if (--depth === 0) return j;
      }
    }
    return -1;
  }
  let j = i;
  while (j >= 0 && !isDelimiter(text[j]) && text[j] !== ":") j--;
  return j >= 0 && j < i + 1 && j !== i ? j + 1 : -1;
}

function isDelimiter(c: string): boolean {
  return c === "," || c === "}" || c === "]" || c === "{" || c === "[" || isSpace(c);
}
