/**
 * Recording what the host sends: its requests into the in-flight table, its handshake,
 * subscriptions and log level into the {@link Handshake}, its cancellations, and its
 * answers to server→client requests (dropped when they answer a daemon now gone).
 *
 * A line is read by the top-level scan; `JSON.parse` runs for the few requests whose
 * params matter (subscriptions, log level, cancellations), for batches and for the
 * rare line the scan is unsure of. Lines the tracker cannot read are ignored: the
 * daemon answers them.
 */
import { recoverFields } from "../rpc/id_recovery.ts";
import type { FramedLine } from "../rpc/line_splitter.ts";
import { isJsonObject, type JsonObject, objectParams, type RequestId } from "../rpc/message.ts";
import { ParseFailure, parseLine } from "../rpc/parse_line.ts";
import { classifyMessage } from "../rpc/validate.ts";
import type { Handshake } from "./_handshake.ts";
import type { HeldRequests } from "./_held_requests.ts";
import type { BatchMark, EntryKind, InflightTable } from "./_inflight.ts";
import { MessagePeek, methodIs, peekedMethod, peekMessage } from "./_peek_message.ts";
import { RESENT_METHODS } from "./_recovery.ts";

/** Counters for tests and status: how often a line was scanned or fully parsed. */
export interface ScanStats {
  scans: number;
  parses: number;
  /** Requests not tracked because the in-flight table was full. */
  untracked: number;
}

/** The session state the recorder writes to. */
export interface RecorderState {
  readonly inflight: InflightTable;
  readonly handshake: Handshake;
  readonly held: HeldRequests;
  readonly stats: ScanStats;
  warnOnce(key: string, message: string): void;
}

const encoder = new TextEncoder();
const ID_FIRST = `{"id":`.length;

export class HostRecorder {
  readonly #peek = new MessagePeek();

  constructor(readonly state: RecorderState) {}

  /** One host line; returns true when it must be dropped (a stale answer). */
  record(line: FramedLine): boolean {
    if (!(line instanceof Uint8Array)) {
      // Too large to parse: the daemon answers it with an error under the same id.
      const fields = recoverFields(line.head, line.tail);
      if (fields.method !== undefined && fields.id !== undefined) this.#track(fields.id, "plain", undefined, undefined);
      return false;
    }
    this.state.stats.scans++;
    const peek = peekMessage(line, this.#peek);
    switch (peek.kind) {
      case "request": {
        const method = peekedMethod(line, peek)!;
        if (method === "initialize") this.#initialize(line, peek.id!, peek.idStart, peek.idEnd);
        else this.#request(peek.id!, method, () => paramsOf(parseCounted(line, this.state.stats)), line, undefined);
        return false;
      }
      case "notification":
        if (methodIs(line, peek, "notifications/initialized")) this.#initialized();
        else if (methodIs(line, peek, "notifications/cancelled")) this.#cancelled(parseCounted(line, this.state.stats));
        return false;
      case "response":
        return this.state.held.isStaleAnswer(peek.id!);
      case "batch":
      case "unsure":
        return this.#parsed(parseCounted(line, this.state.stats), line);
      default:
        return false;
    }
  }

  /** A batch, or a line the scan was unsure of. */
  #parsed(value: unknown, line: Uint8Array): boolean {
    if (!Array.isArray(value)) return this.#message(value, undefined, line);
    const batch: BatchMark = { batch: true };
    // A batch is forwarded whole: an answer to a stale request inside it goes along.
    for (const element of value) this.#message(element, batch, undefined);
    return false;
  }

  #message(value: unknown, batch: BatchMark | undefined, line: Uint8Array | undefined): boolean {
    const kind = classifyMessage(value);
    if (typeof kind !== "string") return false;
    const message = value as JsonObject;
    if (kind === "response") return this.state.held.isStaleAnswer(message.id as RequestId);
    if (kind === "notification") {
      if (message.method === "notifications/initialized") this.#initialized();
      else if (message.method === "notifications/cancelled") this.#cancelled(message);
      return false;
    }
    const id = message.id as RequestId;
    if (message.method === "initialize" && batch === undefined) {
      // Re-encoded with the id first, so its bytes sit at a known place.
      const token = encoder.encode(JSON.stringify(id));
      this.#initialize(encoder.encode(JSON.stringify({ id, ...message })), id, ID_FIRST, ID_FIRST + token.length);
    } else this.#request(id, message.method as string, () => objectParams(message), line, batch);
    return false;
  }

  #initialize(line: Uint8Array, id: RequestId, idStart: number, idEnd: number): void {
    if (this.state.handshake.noteInitialize(line, id, idStart, idEnd)) this.#track(id, "initialize", line, undefined);
    else this.#track(id, "plain", undefined, undefined); // a second one: the daemon refuses it
  }

  #request(
    id: RequestId,
    method: string,
    params: () => JsonObject | undefined,
    line: Uint8Array | undefined,
    batch: BatchMark | undefined,
  ): void {
    const handshake = this.state.handshake;
    if (method === "resources/subscribe" || method === "resources/unsubscribe") {
      const uri = params()?.uri;
      if (typeof uri === "string") {
        const subscribe = method === "resources/subscribe";
        // Recorded when sent (the host's intent); undone if the daemon refuses.
        if (!subscribe) handshake.unsubscribe(uri);
        else if (!handshake.subscribe(uri)) {
          this.state.warnOnce("uris", "Too many subscriptions to remember: some will not be renewed after a reconnect");
        }
        this.#track(id, subscribe ? "subscribe" : "unsubscribe", line, batch, uri);
        return;
      }
    } else if (method === "logging/setLevel") {
      const p = params();
      if (p !== undefined) {
        handshake.level = { params: JSON.stringify(p), hostId: id };
        this.#track(id, "setLevel", line, batch);
        return;
      }
    }
    this.#track(id, "plain", RESENT_METHODS.has(method) ? line : undefined, batch);
  }

  #track(id: RequestId, kind: EntryKind, line: Uint8Array | undefined, batch: BatchMark | undefined, uri?: string): void {
    const inflight = this.state.inflight;
    if (inflight.add(id, kind, { resend: line, batch, uri })) return;
    if (inflight.size < inflight.maxEntries) return; // a duplicate id: the first one stands
    this.state.stats.untracked++;
    this.state.warnOnce(
      "inflight",
      `Too many requests in flight to track (${inflight.maxEntries}): some will not be failed after a reconnect`,
    );
  }

  #initialized(): void {
    const handshake = this.state.handshake;
    if (handshake.init !== undefined) handshake.initializedSent = true;
  }

  #cancelled(message: unknown): void {
    const requestId = paramsOf(message)?.requestId;
    if (typeof requestId !== "string" && typeof requestId !== "number") return;
    // `initialize` must not be cancelled (MCP); the daemon will still answer it.
    if (this.state.inflight.get(requestId)?.kind !== "initialize") this.state.inflight.take(requestId);
  }
}

/** `params` of a message when it is an object with object params. */
export function paramsOf(message: unknown): JsonObject | undefined {
  return isJsonObject(message) ? objectParams(message) : undefined;
}

/** `JSON.parse` of one line, counted; undefined when it is not JSON. */
export function parseCounted(line: Uint8Array, stats: ScanStats): unknown {
  stats.parses++;
  const value = parseLine(line);
  return value instanceof ParseFailure ? undefined : value;
}
