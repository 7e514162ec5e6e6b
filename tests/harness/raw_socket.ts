/**
 * A raw client of a daemon socket (node:net, which Deno and Bun both provide): says
 * the hello itself, or deliberately does not, then writes any bytes and records every
 * line the daemon sends back. For what no proxy would ever send.
 */
import { createConnection, type Socket } from "node:net";
import { waitFor } from "./cleanup.ts";
import { BUILD, PROTOCOL, VERSION } from "../../src/version.ts";

export interface HelloFields {
  token?: string;
  role?: string;
  build?: string;
  protocol?: number;
  [field: string]: unknown;
}

export class RawSocket {
  readonly socket: Socket;
  /** Every complete line received, hello included, as text. */
  readonly lines: string[] = [];
  /** Lines after the hello that parsed as JSON. */
  readonly messages: Record<string, any>[] = [];
  /** Bytes received in total. */
  receivedBytes = 0;
  /** Set when the daemon closed the connection (EOF or reset). */
  closedAt: number | null = null;
  /** When the connection was asked for: the daemon may accept it before we see "connect". */
  readonly openedAt: number;
  readonly closed: Promise<void>;
  #pending = "";
  #nextId = 1;
  /** Responses someone awaits, by JSON of their id: resolved on arrival, not polled. */
  #waiters = new Map<string, (message: Record<string, any>) => void>();

  private constructor(socket: Socket, openedAt: number) {
    this.socket = socket;
    this.openedAt = openedAt;
    const decoder = new TextDecoder();
    socket.on("data", (chunk: Uint8Array) => {
      this.receivedBytes += chunk.length;
      this.#pending += decoder.decode(chunk, { stream: true });
      let nl;
      while ((nl = this.#pending.indexOf("\n")) >= 0) {
        const line = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        this.lines.push(line);
        if (this.lines.length === 1) continue; // the daemon's hello
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          continue; // the test looks at `lines`
        }
        this.messages.push(message);
        const isResponse = typeof message === "object" && message !== null &&
          message.method === undefined;
        if (isResponse && "id" in message) {
          const key = JSON.stringify(message.id);
          this.#waiters.get(key)?.(message);
          this.#waiters.delete(key);
        }
      }
    });
    socket.on("error", () => {}); // a reset is a close here; tests look at closedAt
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.closedAt = Date.now();
        resolve();
      })
    );
  }

  static connect(path: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const openedAt = Date.now();
      const socket = createConnection({ path });
      socket.once("connect", () => resolve(new RawSocket(socket, openedAt)));
      socket.once("error", reject);
    });
  }

  /** Connect and complete a proxy hello; rejects when the daemon refuses. */
  static async attach(path: string, token: string, fields: HelloFields = {}): Promise<RawSocket> {
    const raw = await RawSocket.connect(path);
    const hello = await raw.hello({ token, ...fields });
    if (hello.error !== undefined || hello.state !== "ready") {
      raw.destroy();
      throw new Error(`Daemon refused the hello: ${JSON.stringify(hello)}`);
    }
    return raw;
  }

  /** Send a hello (defaults: a proxy of this build) and return the daemon's answer. */
  async hello(fields: HelloFields = {}): Promise<Record<string, any>> {
    this.write(
      JSON.stringify({
        protocol: PROTOCOL,
        version: VERSION,
        build: BUILD,
        role: "proxy",
        pid: 0,
        key: "raw",
        ...fields,
      }) + "\n",
    );
    return await this.daemonHello();
  }

  /** The daemon's first line, parsed. */
  async daemonHello(timeoutMs = 5_000): Promise<Record<string, any>> {
    await waitFor(() => this.lines.length > 0 || this.closedAt !== null, {
      timeoutMs,
      what: "the daemon's hello",
    });
    if (this.lines.length === 0) throw new Error("Daemon closed the connection without a hello");
    return JSON.parse(this.lines[0]);
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Send one message as a line. */
  send(message: unknown): void {
    this.write(JSON.stringify(message) + "\n");
  }

  /** Send a request and wait for the one response with its id (type included). */
  async request(
    method: string,
    params?: unknown,
    options: { id?: string | number; timeoutMs?: number } = {},
  ): Promise<Record<string, any>> {
    const id = options.id ?? `r${this.#nextId++}`;
    this.send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    return await this.response(id, options.timeoutMs);
  }

  /** Wait for the response carrying `id` (resolves the moment it arrives). */
  response(id: string | number | null, timeoutMs = 5_000): Promise<Record<string, any>> {
    const already = this.messages.find((m) => m?.method === undefined && m?.id === id);
    if (already !== undefined) return Promise.resolve(already);
    const key = JSON.stringify(id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(
          new Error(`Timed out after ${timeoutMs} ms waiting for the response with id ${key}`),
        );
      }, timeoutMs);
      this.#waiters.set(key, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  /**
   * `initialize` + `notifications/initialized`, as a host does. The version is the one
   * SDK hosts ask for, so raw and SDK hosts share one upstream (one per version).
   */
  async initialize(
    name = "raw-socket",
    protocolVersion = "2025-11-25",
  ): Promise<Record<string, any>> {
    const response = await this.request("initialize", {
      protocolVersion,
      capabilities: {},
      clientInfo: { name, version: "1.0.0" },
    });
    if (response.error) throw new Error(`Cannot initialize: ${JSON.stringify(response.error)}`);
    this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return response.result;
  }

  /** Stop reading: the kernel buffers fill and the daemon's writes to us stall. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Half-close our side (what a proxy does on its host's stdin EOF). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
