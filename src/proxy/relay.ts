/**
 * The proxy's relay: host stdin → daemon socket, daemon socket → host stdout, line by
 * line, through a {@link HostSession} so the host survives its daemon: when the socket
 * breaks, interrupted requests are answered with errors, a new daemon is found (or
 * started), the handshake is replayed, and the host never sees EOF.
 *
 * Buffers are bounded by construction: each direction handles one chunk at a time and
 * waits for the write to be accepted before reading more; while reconnecting, host
 * lines wait in the pump (stdin is simply not read).
 *
 * What must stay true: a host line is written only to the daemon it was recorded for
 * in the {@link HostSession}, and only while that daemon is the current one. When a
 * daemon is lost, the session has already answered (or queued for the replay) every
 * line recorded for it; writing such a line to the next daemon would run a request
 * the host was told had failed, and answer it twice.
 *
 * After the daemon's goodbye (it stops on purpose) it still answers what it has, but
 * new host lines wait for the next daemon instead of going to one that is leaving.
 *
 * Who ends what: host stdin EOF half-closes the socket and waits for the daemon to
 * finish answering; a broken stdout or the parent watchdog ends everything.
 */
import type { ByteReader, ByteWriter, Conn } from "../runtime/types.ts";
import { type FramedLine, LineSplitter } from "../rpc/line_splitter.ts";
import { errorResponse } from "../rpc/responses.ts";
import { recoverFields } from "../rpc/id_recovery.ts";
import { ERROR_CODES } from "../errors.ts";
import type { Link } from "./direct_link.ts";
import { HostSession } from "./host_session.ts";
import { concatBytes } from "../wire/bytes.ts";
import { isStoppingLine } from "../wire/stopping.ts";

export type RelayEnd = "host-closed" | "stdout-broken" | "aborted";

export interface RelayOptions {
  stdin: ByteReader;
  stdout: ByteWriter;
  first: Link;
  /** Find or start a daemon again (or run the server directly); null = try again later. */
  reconnect(): Promise<Link | null>;
  maxMessageBytes: number;
  /** One-line diagnostics (replay refused or changed); a reconnect itself is quiet. */
  warn(message: string): void;
  signal?: AbortSignal;
}

const NL = 10;
const encoder = new TextEncoder();

export class Relay {
  readonly #o: RelayOptions;
  readonly #session = new HostSession();
  /** The live daemon connection; null between losing one and attaching the next. */
  #conn: Conn | null = null;
  /** Whether host lines may be committed to `#conn` (not after its goodbye). */
  #open = false;
  #openNow: () => void = () => {};
  /** Resolves when `#open` becomes true again. */
  #opened = new Promise<void>((resolve) => (this.#openNow = resolve));
  /** Resolves when a daemon is attached (pending while a reconnect runs). */
  #connected: Promise<void> = Promise.resolve();
  #reconnected: () => void = () => {};
  /** A host line waits for a daemon: a lazy reconnect must not wait for another. */
  #hostWaiting = false;
  #hostClosed = false;
  /** Set after the daemon said goodbye: reconnect only when the host speaks again. */
  #stopping = false;
  #wake: (() => void) | null = null;
  #ended!: (end: RelayEnd) => void;
  readonly #done: Promise<RelayEnd>;
  /** Lines for the host are written in order, one batch at a time. */
  #stdoutChain: Promise<void> = Promise.resolve();

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#done = new Promise((resolve) => (this.#ended = resolve));
    options.signal?.addEventListener("abort", () => this.#ended("aborted"), { once: true });
  }

  /** Relay until the host is done (stdin EOF answered), stdout breaks, or abort. */
  async run(): Promise<RelayEnd> {
    this.#use(this.#o.first);
    this.#pumpHost();
    const end = await this.#done;
    this.#conn?.close();
    return end;
  }

  #use(attached: Link): void {
    const conn = attached.conn;
    this.#conn = conn;
    this.#reconnected();
    this.#openIfReady();
    this.#pumpDaemon(conn, attached.rest);
  }

  /** Let host lines through: a live daemon, no goodbye, and the handshake replayed. */
  #openIfReady(): void {
    if (this.#open || this.#conn === null || this.#stopping || this.#session.replaying) return;
    this.#open = true;
    this.#openNow();
  }

  /** Stop committing host lines (goodbye or loss); they wait for {@link #openIfReady}. */
  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#opened = new Promise((resolve) => (this.#openNow = resolve));
  }

  async #waitOpen(): Promise<void> {
    while (!this.#open) {
      this.#hostWaiting = true;
      this.#wakeUp();
      await this.#opened;
    }
    this.#hostWaiting = false;
  }

  async #pumpHost(): Promise<void> {
    const splitter = new LineSplitter({ maxMessageBytes: this.#o.maxMessageBytes * 2 });
    try {
      for (let chunk = await this.#o.stdin.read(); chunk !== null; chunk = await this.#o.stdin.read()) {
        const lines = splitter.push(chunk);
        if (lines.length > 0) await this.#toDaemon(lines);
      }
    } catch {
      // An unreadable stdin is the same as a closed one.
    }
    this.#hostClosed = true;
    this.#wakeUp();
    // Half-close whatever daemon we have, even mid-replay or after its goodbye; a
    // reconnect in progress either ends the relay itself or attaches first.
    await this.#connected;
    await this.#conn?.closeWrite().catch(() => {});
  }

  /** Commit host lines to the current daemon (waiting out a goodbye or a reconnect). */
  async #toDaemon(lines: FramedLine[]): Promise<void> {
    let conn: Conn | null = null;
    let parts: Uint8Array[] = [];
    for (const line of lines) {
      if (!(line instanceof Uint8Array)) {
        this.#tooLarge(line.head, line.totalBytes);
        continue;
      }
      if (!this.#open) {
        await this.#write(conn, parts);
        parts = [];
        await this.#waitOpen();
      }
      // Lines recorded for a daemon now lost were answered by the session: drop them.
      if (this.#conn !== conn) parts = [];
      conn = this.#conn;
      if (this.#session.fromHost(line) === "forward") parts.push(line, NEWLINE);
    }
    await this.#write(conn, parts);
  }

  /** Write lines recorded for `conn`, unless it has been lost since (see the header). */
  async #write(conn: Conn | null, parts: Uint8Array[]): Promise<void> {
    if (conn === null || parts.length === 0 || conn !== this.#conn) return;
    // A failed write shows up on the read side as a lost daemon; the session already
    // counts these requests as in flight, so they are failed or resent there.
    await conn.write(concatBytes(parts)).catch(() => {});
  }

  /** A host line too large even to forward: answer it here, keep the session. */
  #tooLarge(head: Uint8Array, totalBytes: number): void {
    const { id } = recoverFields(head);
    if (id === undefined) return;
    const reply = errorResponse(id, ERROR_CODES.ERR_MESSAGE_TOO_LARGE.rpc, `Message of ${totalBytes} bytes is larger than the limit`);
    this.#toHost([encoder.encode(JSON.stringify(reply))]);
  }

  async #pumpDaemon(conn: Conn, rest: Uint8Array): Promise<void> {
    // The daemon never sends more than its limit; the slack keeps us from ever cutting one.
    const splitter = new LineSplitter({ maxMessageBytes: this.#o.maxMessageBytes * 2 + 1024 * 1024 });
    let reason = "the daemon closed the connection";
    try {
      if (rest.length > 0) this.#fromDaemon(splitter.push(rest));
      await this.#continueReplay(conn);
      for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
        this.#fromDaemon(splitter.push(chunk));
        await this.#continueReplay(conn);
        await this.#stdoutChain;
      }
    } catch (err) {
      reason = `the connection broke: ${err instanceof Error ? err.message : err}`;
    }
    if (this.#conn !== conn) return;
    if (this.#hostClosed) return this.#ended("host-closed");
    await this.#recover(reason, this.#stopping);
  }

  /** Send what the session adds to the replay (after its `initialize` was answered). */
  async #continueReplay(conn: Conn): Promise<void> {
    const lines = this.#session.takeDaemonLines();
    if (lines.length > 0 && conn === this.#conn) await conn.write(joinLines(lines)).catch(() => {});
    // Host lines follow the replay only once all of it is written.
    if (conn === this.#conn) this.#openIfReady();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #fromDaemon(lines: FramedLine[]): void {
    const out: Uint8Array[] = [];
    for (const line of lines) {
      if (!(line instanceof Uint8Array)) continue; // cannot happen: see the splitter limit
      if (isStoppingLine(line)) {
        this.#stopping = true;
        this.#close();
        continue;
      }
      if (this.#session.fromDaemon(line) === "forward") out.push(line);
      out.push(...this.#session.takeHostLines());
    }
    for (const warning of this.#session.takeWarnings()) this.#o.warn(warning);
    if (out.length > 0) this.#toHost(out);
  }

  #toHost(lines: Uint8Array[]): void {
    const bytes = joinLines(lines);
    this.#stdoutChain = this.#stdoutChain.then(() => this.#o.stdout.write(bytes)).catch(() => {
      this.#ended("stdout-broken");
    });
  }

  /** The daemon is gone: answer what was interrupted, find a new one, replay. */
  async #recover(reason: string, lazily: boolean): Promise<void> {
    this.#close();
    this.#conn = null;
    this.#connected = new Promise((resolve) => (this.#reconnected = resolve));
    this.#stopping = false;
    this.#toHost(this.#session.onDisconnect(reason));
    if (lazily && !this.#hostWaiting && !this.#session.resending) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    for (let delayMs = 50;; delayMs = Math.min(delayMs * 2, 2000)) {
      if (this.#hostClosed) return this.#ended("host-closed");
      const attached = await this.#o.reconnect();
      if (attached !== null) {
        const replay = this.#session.replay();
        if (replay.lines.length > 0) await attached.conn.write(joinLines(replay.lines)).catch(() => {});
        this.#use(attached);
        return;
      }
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

const NEWLINE = Uint8Array.of(NL);

function joinLines(lines: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const line of lines) parts.push(line, NEWLINE);
  return concatBytes(parts);
}
