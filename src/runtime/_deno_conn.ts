/**
 * {@link Conn} and {@link Listener} over `Deno.listen` / `Deno.connect` (unix).
 *
 * Traps handled here (measured on Deno 2.9):
 * - `conn.write()` may accept only part of the buffer: loop until all of it is taken.
 * - Reading through `conn.readable` yields `BadResource` once this side writes after the
 *   peer half-closed, so reads use `conn.read()` into our own buffer instead.
 * - A read pending when we `close()` rejects with `Interrupted`: by contract it must
 *   resolve `null`.
 * Reads are pulled on demand, so nothing is buffered while nobody reads.
 */
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import { bindPublished, checkSocketPath } from "./_socket_path.ts";
import type { Conn, Listener } from "./types.ts";

const READ_SIZE = 64 * 1024;

class DenoConn implements Conn {
  readonly #conn: Deno.Conn;
  #closed = false;
  #readEof = false;
  #writeClosed = false;
  /** Writes (and closeWrite) run one after another so concurrent writes keep their order. */
  #tail: Promise<void> = Promise.resolve();
  #spare: Uint8Array | null = new Uint8Array(READ_SIZE);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async read(): Promise<Uint8Array | null> {
    while (!this.#closed && !this.#readEof) {
      // One reusable buffer; a concurrent second read gets its own.
      const buf = this.#spare ?? new Uint8Array(READ_SIZE);
      this.#spare = null;
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch (err) {
        if (this.#closed) return null;
        throw toRuntimeError(err, "Cannot read from socket");
      } finally {
        this.#spare = buf;
      }
      if (n === null) this.#readEof = true;
      else if (n > 0) return buf.slice(0, n);
    }
    return null;
  }

  write(data: Uint8Array): Promise<void> {
    return this.#enqueue(() => this.#writeAll(data));
  }

  closeWrite(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#closed || this.#writeClosed) return;
      this.#writeClosed = true;
      // Benign: the peer may already be gone (ENOTCONN); EOF is then moot.
      await this.#conn.closeWrite().catch(() => {});
    }).catch(() => {});
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime (peer reset): nothing left to release.
    }
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(op);
    this.#tail = run.catch(() => {});
    return run;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    const action = "Cannot write to socket";
    if (this.#closed || this.#writeClosed) throw runtimeError("ECLOSED", action);
    let offset = 0;
    while (offset < data.byteLength) {
      try {
        offset += await this.#conn.write(data.subarray(offset));
      } catch (err) {
        throw this.#closed ? runtimeError("ECLOSED", action, err) : toRuntimeError(err, action);
      }
    }
  }
}

class DenoListener implements Listener {
  readonly path: string;
  readonly #listener: Deno.Listener;
  #closed = false;

  constructor(path: string, listener: Deno.Listener) {
    this.path = path;
    this.#listener = listener;
  }

  async accept(): Promise<Conn | null> {
    if (this.#closed) return null;
    try {
      return new DenoConn(await this.#listener.accept());
    } catch (err) {
      if (this.#closed) return null;
      throw toRuntimeError(err, `Cannot accept on "${this.path}"`);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Already closed: nothing to release.
    }
  }
}

export async function listenDeno(path: string): Promise<Listener> {
  const listener = await bindPublished(path, {
    bind: (temp) => Deno.listen({ transport: "unix", path: temp }),
    close: (l) => l.close(),
  });
  return new DenoListener(path, listener);
}

export async function connectDeno(path: string): Promise<Conn> {
  const action = `Cannot connect to "${path}"`;
  checkSocketPath(path, action);
  try {
    return new DenoConn(await Deno.connect({ transport: "unix", path }));
  } catch (err) {
    throw toRuntimeError(err, action);
  }
}
