/**
 * Decoding of one framed line: strict UTF-8, then JSON.
 *
 * Returns the parsed value, or a {@link ParseFailure} (the caller answers −32700).
 * Success allocates nothing beyond what `JSON.parse` does.
 */

/** Why a line is not JSON. */
export class ParseFailure {
  constructor(readonly reason: string) {}
}

// `fatal` turns invalid UTF-8 into an exception instead of U+FFFD, so garbage bytes
// cannot turn into a valid-looking message. The default ignoreBOM=false strips a BOM.
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Decode and parse one line (without its newline). */
export function parseLine(line: Uint8Array | string): unknown {
  let text: string;
  if (typeof line === "string") text = line;
  else {
    try {
      text = decoder.decode(line);
    } catch {
      return new ParseFailure("Parse error: message is not valid UTF-8");
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    return new ParseFailure("Parse error: message is not valid JSON");
  }
}
