/**
 * Our own stdio on Deno: `Deno.stdin.read()` pulled on demand (nothing is read while
 * nobody asks) and `Deno.stdout`/`Deno.stderr` written in a loop (writes may be
 * partial). Deno ignores SIGPIPE, so a closed stdout surfaces as `BrokenPipe`, which
 * becomes RuntimeError EPIPE and is latched for later writes.
 *
 * `closeWrite()` flushes and refuses later writes but leaves fd 1/2 open (no runtime
 * closes it either, measured): a closed fd 1 would be handed to the next file or socket
 * we open, and stray console output would land there. The reader sees EOF when we exit.
 */
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import type { ByteReader, ByteWriter, RuntimeError } from "./types.ts";

const READ_SIZE = 64 * 1024;

export function denoStdin(): ByteReader {
  let eof = false;
  // One read buffer, reused: only the bytes read are copied out (a fresh 64 KiB per
  // read showed in the benchmark's proxy profile).
  const buf = new Uint8Array(READ_SIZE);
  return {
    async read() {
      while (!eof) {
        let n: number | null;
        try {
          n = await Deno.stdin.read(buf);
        } catch (err) {
          throw toRuntimeError(err, "Cannot read stdin");
        }
        if (n === null) eof = true;
        else if (n > 0) return buf.slice(0, n);
      }
      return null;
    },
  };
}

export function denoOutput(stream: typeof Deno.stdout, what: string): ByteWriter {
  const action = `Cannot write to ${what}`;
  let failure: RuntimeError | null = null;
  let closed = false;
  let tail: Promise<void> = Promise.resolve();
  const enqueue = (op: () => Promise<void>): Promise<void> => {
    const run = tail.then(op);
    tail = run.catch(() => {});
    return run;
  };
  return {
    write(data) {
      return enqueue(async () => {
        if (failure) throw failure;
        if (closed) throw runtimeError("ECLOSED", action);
        let offset = 0;
        try {
          while (offset < data.byteLength) offset += await stream.write(data.subarray(offset));
        } catch (err) {
          failure = toRuntimeError(err, action);
          throw failure;
        }
      });
    },
    closeWrite() {
      return enqueue(() => {
        closed = true;
        return Promise.resolve();
      }).catch(() => {});
    },
  };
}
