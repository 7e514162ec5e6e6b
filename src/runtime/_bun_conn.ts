/**
 * {@link Conn} and {@link Listener} over `Bun.listen` / `Bun.connect` (unix).
 *
 * Traps handled here (measured on Bun 1.4.5):
 * - `socket.write()` returns how many bytes the kernel took and silently DROPS the rest
 *   (99.5% of a 64 MiB burst lost when ignored). Writes wait in a FIFO here; the unsent
 *   tail is re-offered on `drain`, and a write's promise resolves only when its last
 *   byte was taken. The FIFO holds only callers' own buffers (each caller awaits).
 * - Reads are pushed at us by `data` callbacks: they go into a bounded {@link Inbox}
 *   that pauses the socket when nobody reads.
 * - `end()` closes both directions even with `allowHalfOpen`; the write-side half-close
 *   is `shutdown()`.
 * - A peer that closes fully may get `close` without a preceding `end`: `close` without
 *   an error counts as EOF.
 */
import { Inbox } from "./_inbox.ts";
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import { bindPublished, checkSocketPath } from "./_socket_path.ts";
import type { Conn, Listener, RuntimeError } from "./types.ts";

interface PendingWrite {
  data: Uint8Array;
  offset: number;
  resolve(): void;
  reject(err: RuntimeError): void;
}

type BunSocket = Bun.Socket<BunConn | undefined>;

class BunConn implements Conn {
  readonly #sock: BunSocket;
  readonly #inbox: Inbox;
  readonly #queue: PendingWrite[] = [];
  #closed = false;
  #gone = false;
  #failure: RuntimeError | null = null;
  #shutdown: Promise<void> | null = null;
  #shutdownDone: (() => void) | null = null;

  constructor(sock: BunSocket) {
    this.#sock = sock;
    this.#inbox = new Inbox({ pause: () => sock.pause(), resume: () => sock.resume() });
  }

  // --- socket events -------------------------------------------------------------

  onData(chunk: Uint8Array): void {
    // A plain view of Bun's Buffer: Buffer's `slice()` shares memory, Uint8Array's copies.
    this.#inbox.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  onEnd(): void {
    this.#inbox.end();
  }

  onDrain(): void {
    this.#flush();
  }

  onClose(err?: Error): void {
    this.#gone = true;
    const mapped = err ? toRuntimeError(err, "Connection lost") : null;
    if (mapped) this.#inbox.fail(mapped);
    else this.#inbox.end();
    this.#fail(mapped ?? runtimeError("EPIPE", "Cannot write to socket"));
  }

  /** A listener holds unaccepted connections paused: their bytes wait in the kernel. */
  pauseUntilAccepted(): void {
    this.#sock.pause();
  }

  resumeAccepted(): void {
    this.#sock.resume();
  }

  // --- Conn ----------------------------------------------------------------------

  read(): Promise<Uint8Array | null> {
    return this.#inbox.read();
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed || this.#shutdown) {
      return Promise.reject(runtimeError("ECLOSED", "Cannot write to socket"));
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (data.byteLength === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#queue.push({ data, offset: 0, resolve, reject });
      if (this.#queue.length === 1) this.#flush();
    });
  }

  closeWrite(): Promise<void> {
    if (this.#closed || this.#gone) return Promise.resolve();
    this.#shutdown ??= new Promise((resolve) => {
      this.#shutdownDone = resolve;
      if (this.#queue.length === 0) this.#flush();
    });
    return this.#shutdown;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbox.discard();
    this.#fail(runtimeError("ECLOSED", "Cannot write to socket"));
    if (!this.#gone) this.#sock.end();
  }

  /** Offer queued bytes to the kernel until it refuses; `drain` calls us again. */
  #flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      const taken = this.#sock.write(head.data.subarray(head.offset));
      if (taken < 0) return this.#fail(runtimeError("EPIPE", "Cannot write to socket"));
      head.offset += taken;
      if (head.offset < head.data.byteLength) return;
      this.#queue.shift();
      head.resolve();
    }
    if (this.#shutdownDone && !this.#gone && !this.#closed) {
      this.#sock.shutdown();
      this.#settleShutdown();
    }
  }

  #fail(err: RuntimeError): void {
    this.#failure ??= err;
    for (const pending of this.#queue.splice(0)) pending.reject(this.#failure);
    this.#settleShutdown();
  }

  #settleShutdown(): void {
    const done = this.#shutdownDone;
    this.#shutdownDone = null;
    done?.();
  }
}

/** Per-connection state lives in `socket.data`, created when the socket opens. */
function handlers(onOpen: (conn: BunConn) => void): Bun.SocketHandler<BunConn | undefined> {
  return {
    open(sock) {
      sock.data = new BunConn(sock);
      onOpen(sock.data);
    },
    // A fresh Buffer per callback (the conformance suite checks 64 MiB byte for byte).
    data: (sock, chunk) => sock.data?.onData(chunk),
    end: (sock) => sock.data?.onEnd(),
    drain: (sock) => sock.data?.onDrain(),
    close: (sock, err) => sock.data?.onClose(err),
    // Called when one of our handlers threw: treat it as a broken connection.
    error: (sock, err) => sock.data?.onClose(err),
  };
}

class BunListener implements Listener {
  readonly path: string;
  #server: { stop(closeActiveConnections?: boolean): void } | null = null;
  #ready: BunConn[] = [];
  #waiters: ((conn: BunConn | null) => void)[] = [];
  #closed = false;

  constructor(path: string) {
    this.path = path;
  }

  async start(): Promise<void> {
    this.#server = await bindPublished(this.path, {
      bind: (temp) =>
        Bun.listen<BunConn | undefined>({
          unix: temp,
          allowHalfOpen: true,
          data: undefined,
          socket: handlers((conn) => this.#arrived(conn)),
        }),
      close: (server) => server.stop(true),
    });
  }

  /** Unaccepted connections stay paused so their bytes wait in the kernel, not here. */
  #arrived(conn: BunConn): void {
    if (this.#closed) return conn.close();
    const waiter = this.#waiters.shift();
    if (waiter) return waiter(conn);
    conn.pauseUntilAccepted();
    this.#ready.push(conn);
  }

  accept(): Promise<Conn | null> {
    const conn = this.#ready.shift();
    if (conn) {
      conn.resumeAccepted();
      return Promise.resolve(conn);
    }
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server?.stop(false);
    for (const waiter of this.#waiters.splice(0)) waiter(null);
    for (const conn of this.#ready.splice(0)) conn.close();
  }
}

export async function listenBun(path: string): Promise<Listener> {
  const listener = new BunListener(path);
  await listener.start();
  return listener;
}

export async function connectBun(path: string): Promise<Conn> {
  const action = `Cannot connect to "${path}"`;
  checkSocketPath(path, action);
  let opened: BunConn | undefined;
  try {
    await Bun.connect<BunConn | undefined>({
      unix: path,
      allowHalfOpen: true,
      data: undefined,
      socket: handlers((conn) => (opened = conn)),
    });
  } catch (err) {
    throw toRuntimeError(err, action);
  }
  if (!opened) throw runtimeError("EOTHER", action);
  return opened;
}
