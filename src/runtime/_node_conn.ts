/**
 * {@link Conn} and {@link Listener} over node:net (runs on Node, Deno and Bun).
 *
 * - `allowHalfOpen` on both ends: a peer's FIN must not close our write side.
 * - Node's pipe server unlinks its path on close (so do Deno's and Bun's, by name):
 *   binding goes through `bindPublished` so the caller's path is never unlinked.
 * - Accepted sockets start paused (`pauseOnConnect`): their bytes wait in the kernel
 *   until someone accepts and reads.
 */
import * as net from "node:net";
import { runtimeError, toRuntimeError } from "./_map_error.ts";
import { NodeWriter, readerFromNodeStream } from "./_node_streams.ts";
import { bindPublished, checkSocketPath } from "./_socket_path.ts";
import type { Inbox } from "./_inbox.ts";
import type { Conn, Listener } from "./types.ts";

class NodeConn implements Conn {
  readonly #socket: net.Socket;
  readonly #inbox: Inbox;
  readonly #writer: NodeWriter;
  #closed = false;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#inbox = readerFromNodeStream(socket, "from socket");
    this.#writer = new NodeWriter(socket, "socket");
    socket.resume();
  }

  read(): Promise<Uint8Array | null> {
    return this.#inbox.read();
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(runtimeError("ECLOSED", "Cannot write to socket"));
    return this.#writer.write(data);
  }

  closeWrite(): Promise<void> {
    return this.#closed ? Promise.resolve() : this.#writer.closeWrite();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbox.discard();
    this.#writer.abort(runtimeError("ECLOSED", "Cannot write to socket"));
    this.#socket.destroy();
  }
}

class NodeListener implements Listener {
  readonly path: string;
  readonly #server: net.Server;
  #ready: net.Socket[] = [];
  #waiters: ((conn: Conn | null) => void)[] = [];
  #closed = false;

  constructor(path: string, server: net.Server) {
    this.path = path;
    this.#server = server;
    server.on("connection", (socket) => {
      // Without a listener an 'error' on an unaccepted socket would crash the process.
      socket.on("error", () => {});
      if (this.#closed) return void socket.destroy();
      const waiter = this.#waiters.shift();
      if (waiter) waiter(new NodeConn(socket));
      else this.#ready.push(socket);
    });
    // A failed accept (EMFILE, ECONNABORTED) is reported here too, but the server still
    // listens: only an error that ended the listening closes the listener.
    server.on("error", () => {
      if (!server.listening) this.close();
    });
  }

  accept(): Promise<Conn | null> {
    const socket = this.#ready.shift();
    if (socket) return Promise.resolve(new NodeConn(socket));
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const waiter of this.#waiters.splice(0)) waiter(null);
    for (const socket of this.#ready.splice(0)) socket.destroy();
  }
}

function listenRaw(path: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

export async function listenNode(path: string): Promise<Listener> {
  const server = await bindPublished(path, { bind: listenRaw, close: (s) => s.close() });
  return new NodeListener(path, server);
}

export async function connectNode(path: string): Promise<Conn> {
  const action = `Cannot connect to "${path}"`;
  checkSocketPath(path, action);
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.createConnection({ path, allowHalfOpen: true });
    s.once("error", (err) => reject(toRuntimeError(err, action)));
    s.once("connect", () => resolve(s));
  });
  socket.pause();
  return new NodeConn(socket);
}
