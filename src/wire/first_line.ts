/**
 * Reading the hello: the first line of a connection, bounded, plus whatever bytes came
 * after it in the same chunk (they belong to the payload stream and must not be lost).
 */
import type { ByteReader } from "../runtime/types.ts";
import { concatBytes } from "./bytes.ts";

export interface FirstLine {
  line: string;
  /** Bytes after the newline that arrived with it. */
  rest: Uint8Array;
}

/**
 * Read up to the first "\n". Resolves null on EOF before a newline; rejects with
 * `tooLong` when `maxBytes` pass without one.
 */
export async function readFirstLine(reader: ByteReader, maxBytes: number): Promise<FirstLine | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk === null) return null;
    const newline = chunk.indexOf(10);
    if (newline !== -1) {
      chunks.push(chunk.subarray(0, newline));
      const line = new TextDecoder().decode(concatBytes(chunks, size + newline));
      return { line, rest: chunk.subarray(newline + 1) };
    }
    chunks.push(chunk);
    size += chunk.length;
    if (size > maxBytes) throw new RangeError(`first line is longer than ${maxBytes} bytes`);
  }
}
