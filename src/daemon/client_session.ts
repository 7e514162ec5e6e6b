/**
 * One attached proxy connection after its hello: frames its bytes into lines for the
 * router and writes the router's replies back through a bounded {@link Outbox}.
 * Who closes what: the session closes its connection; the daemon removes it from the
 * router exactly once, through `onClose`.
 */
import type { Conn } from "../runtime/types.ts";
import { LineSplitter, type OversizedLine } from "../rpc/line_splitter.ts";
import type { Logger } from "./log.ts";
import { Outbox } from "./outbox.ts";

export interface SessionOptions {
  id: number;
  /** The proxy's pid, from its hello (for `status`). */
  pid: number;
  conn: Conn;
  /** Bytes that arrived with the hello. */
  initial: Uint8Array;
  logger: Logger;
  maxMessageBytes: number;
  maxQueueBytes: number;
  onLine(line: Uint8Array): void;
  onOversized(line: OversizedLine): void;
  /** The host closed its side (stdin EOF): no more requests will come. */
  onEnd(): void;
  onClose(reason: string): void;
}

export class ClientSession {
  readonly id: number;
  readonly pid: number;
  readonly attachedAt = Date.now();
  readonly #o: SessionOptions;
  readonly #outbox: Outbox;
  #closed = false;

  constructor(options: SessionOptions) {
    this.#o = options;
    this.id = options.id;
    this.pid = options.pid;
    this.#outbox = new Outbox(options.conn, options.maxQueueBytes, () => {
      options.logger.warn("client_overflow", { queue_bytes: options.maxQueueBytes });
      this.close("outbox overflow: the host stopped reading");
    }, {
      // A host that died after half-closing leaves our reader at EOF forever: only the
      // failed write tells us it is gone, and its in-flight work must be cancelled now.
      onWriteError: (error) =>
        this.close(`write failed: ${error instanceof Error ? error.message : error}`),
    });
  }

  get pendingBytes(): number {
    return this.#outbox.pendingBytes;
  }

  send(bytes: Uint8Array): void {
    this.#o.logger.body("to_client", bytes);
    this.#outbox.send(bytes);
  }

  /** Read until EOF or error; resolves when the connection is done for. */
  async pump(): Promise<void> {
    const o = this.#o;
    const splitter = new LineSplitter({ maxMessageBytes: o.maxMessageBytes });
    const feed = (chunk: Uint8Array) => {
      for (const item of splitter.push(chunk)) {
        if (item instanceof Uint8Array) {
          o.logger.body("from_client", item);
          o.onLine(item);
        } else o.onOversized(item);
      }
    };
    try {
      if (o.initial.length > 0) feed(o.initial);
      for (let chunk = await o.conn.read(); chunk !== null; chunk = await o.conn.read()) {
        if (this.#closed) return;
        feed(chunk);
      }
      if (!this.#closed) o.onEnd();
    } catch (err) {
      this.close(`read failed: ${err instanceof Error ? err.message : err}`);
    }
  }

  /** Flush what is queued (bounded by the caller), then close. */
  async finish(reason: string): Promise<void> {
    await this.#outbox.drained();
    this.close(reason);
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox.close();
    this.#o.conn.close();
    this.#o.onClose(reason);
  }
}
