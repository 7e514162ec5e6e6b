/**
 * What the proxy must remember about its host to survive the daemon: the handshake,
 * live subscriptions, the log level, the requests in flight and the server→client
 * requests the host holds. Pure: lines in, verdicts and lines out, no I/O, no timers.
 *
 * The relay calls {@link HostSession.fromHost} for each host line it commits to the
 * current daemon and {@link HostSession.fromDaemon} for each daemon line; both return
 * whether to pass the line on. When the daemon goes away, {@link HostSession.onDisconnect}
 * gives the lines the host gets at once; after reconnecting, {@link HostSession.replay}
 * gives the lines the new daemon gets before anything else from the host.
 *
 * At a disconnect, a request the host sent is failed (JSON-RPC error −32008), except
 * those where failing is worse than asking again and asking again is harmless: they
 * are resent with the host's own id, so the host gets its answer from the new daemon
 * (see {@link RESENT_METHODS}; `initialize` above all: hosts give up on a failed
 * handshake, and MCP forbids cancelling it). A request is resent at most
 * `maxResends` times, so a request that kills daemons cannot loop forever. Requests
 * of a JSON-RPC batch are never resent; they fail together as one array.
 *
 * Lines in both directions are classified by a top-level byte scan
 * (`_peek_message.ts`) that allocates nothing for a typical line; `JSON.parse` runs
 * only for batches and the rare line whose content matters (`initialize` and replay
 * answers, subscriptions, log levels, cancellations). Returned lines carry no
 * trailing newline, like the lines of a `LineSplitter`.
 */
import { recoverFields } from "../rpc/id_recovery.ts";
import type { FramedLine } from "../rpc/line_splitter.ts";
import type { JsonObject, RequestId } from "../rpc/message.ts";
import { classifyMessage } from "../rpc/validate.ts";
import { Handshake } from "./_handshake.ts";
import { HeldRequests } from "./_held_requests.ts";
import { HostRecorder, paramsOf, parseCounted, type ScanStats } from "./_host_recorder.ts";
import { InflightTable } from "./_inflight.ts";
import { MessagePeek, methodIs, peekMessage } from "./_peek_message.ts";
import { failInflight, handedBackRequest, isServerExit, replayAnswered, replayLines, type Swallowed } from "./_recovery.ts";

export { RESENT_METHODS } from "./_recovery.ts";

/** What the relay does with the line it just handed over. */
export type Verdict = "forward" | "drop";

export interface HostSessionOptions {
  /** Host request ids tracked at once; more are forwarded but not failed at a disconnect. */
  maxInflight?: number;
  /** Bytes of host lines kept for resending (`initialize` is always kept). */
  maxResendBytes?: number;
  /** Live subscription URIs remembered for replay. */
  maxSubscriptions?: number;
  /** Server→client requests the host holds, remembered to cancel them at a disconnect. */
  maxHeldRequests?: number;
  /** Reconnects one request may be resent across before it fails. */
  maxResends?: number;
  /** Prefix of the proxy's own request ids; default `shoal-replay-<random>-`. */
  replayIdPrefix?: string;
}

/** What to send a new daemon first, and the ids whose answers the host must not see. */
export interface Replay {
  /** Send these now, before any host line. */
  lines: Uint8Array[];
  /**
   * What follows once the replayed `initialize` is accepted (`initialized`,
   * subscriptions, resent requests, log level): handed over by
   * {@link HostSession.takeDaemonLines}. Host lines wait while {@link HostSession.replaying}.
   */
  afterHandshake: Uint8Array[];
  swallow: Set<RequestId>;
}

/** Counters for tests and status: lines scanned, lines fully parsed, requests untracked. */
export type HostSessionStats = ScanStats;

// Returned when there is nothing to take, so the hot path allocates nothing; frozen so
// a caller that pushes into it fails loudly instead of corrupting the next answer.
const NONE = Object.freeze([]) as unknown as never[];

export class HostSession {
  readonly stats: HostSessionStats = { scans: 0, parses: 0, untracked: 0 };
  readonly #inflight: InflightTable;
  readonly #handshake: Handshake;
  readonly #held: HeldRequests;
  readonly #maxResends: number;
  readonly #prefix: string;
  readonly #peek = new MessagePeek();
  readonly #recorder: HostRecorder;
  #swallow = new Map<RequestId, Swallowed>();
  /** Host ids chosen at the last disconnect to be resent by the next replay. */
  #resend: RequestId[] = [];
  #nextPrivateId = 1;
  #hostLines: Uint8Array[] = [];
  /** The rest of the replay while its `initialize` is unanswered; undefined = not replaying. */
  #afterHandshake: Uint8Array[] | undefined = undefined;
  #daemonLines: Uint8Array[] = [];
  #warnings: string[] = [];
  #warned = new Set<string>();

  constructor(options: HostSessionOptions = {}) {
    this.#inflight = new InflightTable(options.maxInflight ?? 100_000, options.maxResendBytes ?? 1024 * 1024);
    this.#handshake = new Handshake(options.maxSubscriptions ?? 10_000);
    this.#held = new HeldRequests(options.maxHeldRequests ?? 10_000);
    this.#maxResends = options.maxResends ?? 2;
    this.#prefix = options.replayIdPrefix ?? `shoal-replay-${crypto.randomUUID().slice(0, 8)}-`;
    this.#recorder = new HostRecorder({
      inflight: this.#inflight,
      handshake: this.#handshake,
      held: this.#held,
      stats: this.stats,
      warnOnce: (key, message) => this.#warnOnce(key, message),
    });
  }

  /** Host requests not yet answered. */
  get inflightCount(): number {
    return this.#inflight.size;
  }

  /** Server→client requests the host has not answered yet. */
  get heldCount(): number {
    return this.#held.size;
  }

  /** URIs the host is subscribed to (legacy era). */
  get subscriptions(): ReadonlySet<string> {
    return this.#handshake.live;
  }

  /** `none` (modern era, or not yet), `pending` (initialize in flight) or `ready`. */
  get handshake(): "none" | "pending" | "ready" {
    const init = this.#handshake.init;
    return init === undefined ? "none" : init.answered ? "ready" : "pending";
  }

  /** A line the host wrote. `drop` = a late answer to a request of a daemon now gone. */
  fromHost(line: FramedLine): Verdict {
    return this.#recorder.record(line) ? "drop" : "forward";
  }

  /** A line from the daemon. `drop` = the answer to one of the proxy's own requests. */
  fromDaemon(line: FramedLine): Verdict {
    if (!(line instanceof Uint8Array)) {
      if (this.#inflight.size === 0) return "forward";
      // An id and no method at either end: a response (the daemon reads it the same way).
      const fields = recoverFields(line.head, line.tail);
      if (fields.method === undefined && fields.id !== undefined) {
        this.#settle(fields.id, false, () => undefined);
      }
      return "forward";
    }
    this.stats.scans++;
    const peek = peekMessage(line, this.#peek);
    switch (peek.kind) {
      case "response":
        return this.#settle(peek.id!, peek.isError, () => parseCounted(line, this.stats));
      case "request":
        this.#hold(peek.id!);
        return "forward";
      case "notification":
        if (this.#held.size > 0 && methodIs(line, peek, "notifications/cancelled")) {
          this.#serverCancelled(parseCounted(line, this.stats));
        }
        return "forward";
      case "batch":
      case "unsure":
        return this.#daemonValue(parseCounted(line, this.stats));
      default:
        return "forward";
    }
  }

  /** Lines shoal owes the host (after a replay: `list_changed`); take after each `fromDaemon`. */
  takeHostLines(): Uint8Array[] {
    if (this.#hostLines.length === 0) return NONE;
    const lines = this.#hostLines;
    this.#hostLines = [];
    return lines;
  }

  /** Requests wait to be resent: reconnect now, not on the host's next line. */
  get resending(): boolean {
    return this.#resend.length > 0;
  }

  /**
   * The replayed `initialize` is not answered yet: host lines must wait, or the new
   * daemon would refuse them as sent before the handshake.
   */
  get replaying(): boolean {
    return this.#afterHandshake !== undefined;
  }

  /** Lines for the current daemon that continue the replay; take after each `fromDaemon`. */
  takeDaemonLines(): Uint8Array[] {
    if (this.#daemonLines.length === 0) return NONE;
    const lines = this.#daemonLines;
    this.#daemonLines = [];
    return lines;
  }

  /** One-line diagnostics for the proxy's stderr or log (replay problems, full tables). */
  takeWarnings(): string[] {
    if (this.#warnings.length === 0) return NONE;
    const warnings = this.#warnings;
    this.#warnings = [];
    return warnings;
  }

  /**
   * The daemon connection is gone. Returns the lines for the host: an error for each
   * request that will not be resent (one array per batch), then a
   * `notifications/cancelled` for each server→client request the host holds (the
   * server that asked is gone; the host can close its prompt).
   */
  onDisconnect(reason: string): Uint8Array[] {
    const { failed, resend } = failInflight(this.#inflight, this.#handshake, reason, this.#maxResends);
    this.#resend = resend;
    this.#swallow.clear();
    this.#hostLines = [];
    this.#afterHandshake = undefined;
    this.#daemonLines = [];
    failed.push(...this.#held.disconnect(reason));
    return failed;
  }

  /**
   * Lines for a new daemon, to send before any further host line (see
   * `replayLines` in `_recovery.ts` for the order), and the private ids among them.
   * A replayed handshake goes alone: the rest waits for its answer, and when the new
   * daemon's server dies during it, it is asked again (see {@link #replayedInitialize}).
   */
  replay(): Replay {
    this.#swallow.clear();
    this.#daemonLines = [];
    const resend = this.#resend.filter((id) => this.#inflight.get(id)?.line !== undefined);
    this.#resend = [];
    const lines = replayLines(this.#handshake, this.#inflight, resend, (swallowed) => this.#privateId(swallowed));
    const swallow = new Set(this.#swallow.keys());
    if (this.#handshake.init?.answered !== true) {
      this.#afterHandshake = undefined;
      return { lines, afterHandshake: [], swallow };
    }
    this.#afterHandshake = lines.slice(1);
    return { lines: lines.slice(0, 1), afterHandshake: this.#afterHandshake, swallow };
  }

  /**
   * The new daemon answered the replayed `initialize`. A daemon whose server died
   * before answering (a fresh daemon's first handshake fails for every host waiting
   * on it) would leave this host uninitialized there for good: ask again; the daemon
   * holds the request until the server is back, so this is paced by its restarts.
   * Any other answer ends the replay: the rest of it goes out, refusals are warned.
   */
  #replayedInitialize(isError: boolean, value: () => unknown): void {
    if (isError && isServerExit(value()) && this.#afterHandshake !== undefined) {
      this.#daemonLines.push(this.#handshake.initializeWith(this.#privateId({ kind: "initialize" })));
      return;
    }
    const { hostLines, warning } = replayAnswered(this.#handshake, { kind: "initialize" }, isError, value);
    this.#hostLines.push(...hostLines);
    if (warning !== undefined) this.#warnings.push(warning);
    this.#daemonLines.push(...(this.#afterHandshake ?? []));
    this.#afterHandshake = undefined;
  }

  #settle(id: RequestId, isError: boolean, value: () => unknown): Verdict {
    const swallowed = this.#swallow.get(id);
    if (swallowed !== undefined) {
      this.#swallow.delete(id);
      if (swallowed.kind === "initialize") {
        this.#replayedInitialize(isError, value);
        return "drop";
      }
      const { hostLines, warning } = replayAnswered(this.#handshake, swallowed, isError, value);
      this.#hostLines.push(...hostLines);
      if (warning !== undefined) this.#warnings.push(warning);
      return "drop";
    }
    if (isError && this.#keepHandedBack(id, value)) return "drop";
    const entry = this.#inflight.take(id);
    if (entry?.kind === "initialize") this.#handshake.onInitializeAnswer(value());
    else if (entry?.kind === "subscribe" && isError) this.#handshake.unsubscribe(entry.uri!);
    return "forward";
  }

  /**
   * A stopping daemon handed back a request its server never saw (−32012 with the
   * request in `data`): keep it to resend to the next daemon instead of failing it.
   */
  #keepHandedBack(id: RequestId, value: () => unknown): boolean {
    const entry = this.#inflight.get(id);
    if (entry === undefined || entry.resends >= this.#maxResends) return false;
    const request = handedBackRequest(value(), id);
    return request !== undefined && this.#inflight.keep(id, request);
  }

  #daemonValue(value: unknown): Verdict {
    if (!Array.isArray(value)) return this.#daemonMessage(value);
    for (const element of value) this.#daemonMessage(element);
    return "forward";
  }

  #daemonMessage(value: unknown): Verdict {
    const kind = classifyMessage(value);
    if (typeof kind !== "string") return "forward";
    const message = value as JsonObject;
    if (kind === "response") return this.#settle(message.id as RequestId, message.error !== undefined, () => message);
    if (kind === "request") this.#hold(message.id as RequestId);
    else if (message.method === "notifications/cancelled") this.#serverCancelled(message);
    return "forward";
  }

  #hold(id: RequestId): void {
    if (!this.#held.hold(id)) this.#warnOnce("held", "Too many server requests held by the host to track");
  }

  #serverCancelled(message: unknown): void {
    const requestId = paramsOf(message)?.requestId;
    if (typeof requestId === "string" || typeof requestId === "number") this.#held.withdraw(requestId);
  }

  #privateId(swallowed: Swallowed): string {
    const id = `${this.#prefix}${this.#nextPrivateId++}`;
    this.#swallow.set(id, swallowed);
    return id;
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#warnings.push(message);
  }
}
