/**
 * Byte readers and writers over web streams (child stdio on Deno and Bun).
 */
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import type { ByteReader, ByteWriter, RuntimeError } from "./types.ts";

/**
 * {@link ByteReader} over a web `ReadableStream` (child stdout/stderr on Deno and Bun).
 * The stream is pulled only when `read()` is called, so its own high-water mark bounds
 * what is buffered while nobody reads.
 */
export function readerFromWebStream(
  stream: ReadableStream<Uint8Array>,
  what: string,
): ByteReader & { cancel(): void } {
  const reader = stream.getReader();
  let done = false;
  // A cancelled or errored stream also rejects `closed`; nobody else awaits it.
  reader.closed.catch(() => {});
  return {
    async read() {
      while (!done) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          if (done) return null;
          throw toRuntimeError(err, `Cannot read ${what}`);
        }
        if (result.done) done = true;
        else if (result.value.byteLength > 0) return result.value;
      }
      return null;
    },
    cancel() {
      if (done) return;
      done = true;
      reader.cancel().catch(() => {});
    },
  };
}

/**
 * {@link ByteWriter} over a web `WritableStream` (child stdin on Deno). `write()`
 * resolves once the sink has taken the chunk. The first failure (EPIPE when the child
 * is gone) is latched: later writes reject with it too.
 */
export function writerFromWebStream(stream: WritableStream<Uint8Array>, what: string): ByteWriter {
  const writer = stream.getWriter();
  writer.closed.catch(() => {});
  let failure: RuntimeError | null = null;
  let closing = false;
  return {
    async write(data) {
      if (failure) throw failure;
      if (closing) throw runtimeError("ECLOSED", `Cannot write ${what}`);
      try {
        await writer.write(data);
      } catch (err) {
        failure ??= toRuntimeError(err, `Cannot write ${what}`);
        throw failure;
      }
    },
    async closeWrite() {
      if (closing) return;
      closing = true;
      // Benign: the child may have closed its end already; EOF is then moot.
      await writer.close().catch(() => {});
    },
  };
}
