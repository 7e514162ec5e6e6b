/**
 * The book of a chaos run: every call a host made and how it ended, every fault the
 * test injected, and the invariant violations found along the way.
 *
 * An error is only acceptable when a fault explains it: a server crash error needs a
 * server kill, a lost-daemon error a daemon kill, a closed connection a kill of that
 * host's own proxy, each one while the call was in flight. The fault windows allow
 * {@link DETECTION_SLACK_MS} after the kill for the victim's peers to notice it.
 */

/**
 * What the test did: `kill -9` of a server, a daemon or a proxy, or the graceful
 * paths that must heal the same way: `shoal stop --all` and `shoal restart`.
 */
export type FaultKind = "server" | "daemon" | "proxy" | "stop" | "restart";

/** The faults that may explain each kind of error. */
const EXPLAINS: Record<"server-crash" | "daemon-lost", FaultKind[]> = {
  "server-crash": ["server", "restart"],
  "daemon-lost": ["daemon", "stop"],
};
const ALL_KINDS: FaultKind[] = ["server", "daemon", "proxy", "stop", "restart"];

export interface Fault {
  kind: FaultKind;
  pid: number;
  /** Just before and just after `kill -9` (or the command). */
  before: number;
  after: number;
  /** What the test saw of the victim's surroundings (for the timeline). */
  note: string;
  /** When the first call sent after the kill succeeded. */
  firstSuccessAt?: number;
  firstSuccess?: CallRecord;
}

/** How a failed call failed. */
export type ErrorOutcome = "server-crash" | "daemon-lost" | "proxy-killed" | "timeout" | "other";
export type Outcome = "ok" | "wrong-payload" | ErrorOutcome;

/** A call as the worker saw it. `hostKilledAt` = the test killed this host's proxy. */
export interface CallRecord {
  host: string;
  payload: string;
  startedAt: number;
  endedAt: number;
  hostKilledAt?: number;
}

/** How long after a kill a request may still be caught by it (peers notice EOF/exit). */
export const DETECTION_SLACK_MS = 1000;

const OUTCOMES: Outcome[] = [
  "ok",
  "server-crash",
  "daemon-lost",
  "proxy-killed",
  "timeout",
  "wrong-payload",
  "other",
];

/** Sort an error from the SDK into the fault that explains it (or none). */
export function classifyError(error: unknown, hostKilled: boolean): ErrorOutcome {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = String(message ?? error);
  if (code === -32001 && /timed out/i.test(text)) return "timeout";
  if (code === -32008) return "daemon-lost";
  if (typeof code === "number" && code <= -32000 && code >= -32019 && /Server exited/.test(text)) {
    return "server-crash";
  }
  if (hostKilled && /Connection closed|Not connected/.test(text)) return "proxy-killed";
  return "other";
}

export class ChaosLedger {
  requests = 0;
  readonly counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  readonly faults: Fault[] = [];
  readonly startedAt = Date.now();
  readonly skipped = Object.fromEntries(ALL_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  /** Invariant violations, each one line naming what went wrong. */
  readonly problems: string[] = [];
  maxCallMs = 0;
  /** Per kind: the latest a call started after a kill and was still failed by it. */
  readonly maxLatenessMs = Object.fromEntries(ALL_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  /** Faults still waiting for a success after them (kept short: they settle fast). */
  #awaitingSuccess: Fault[] = [];
  #failures: Array<
    { call: CallRecord; outcome: Exclude<ErrorOutcome, "timeout" | "other">; what: string }
  > = [];
  /** Errors per fault kind that explains them. */
  readonly explainedBy = Object.fromEntries(ALL_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  /** Per kind: the call behind {@link maxLatenessMs}. */
  readonly latest: Partial<Record<FaultKind, string>> = {};

  /** `kill()` the victim and book the fault. */
  fault(kind: FaultKind, pid: number, note: string, kill: () => void): Fault {
    const before = Date.now();
    kill();
    return this.book({ kind, pid, before, after: Date.now(), note });
  }

  /** Book a fault that took a while (a command): its window is the whole run. */
  book(fault: Fault): Fault {
    this.faults.push(fault);
    if (fault.kind !== "proxy") this.#awaitingSuccess.push(fault);
    return fault;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  succeeded(call: CallRecord, text: string): void {
    this.requests++;
    this.#took(call);
    if (text !== call.payload) {
      this.counts["wrong-payload"]++;
      this.problem(
        `${call.host}: sent ${JSON.stringify(call.payload)}, got ${
          JSON.stringify(text.slice(0, 200))
        }`,
      );
      return;
    }
    this.counts.ok++;
    if (this.#awaitingSuccess.length === 0) return;
    this.#awaitingSuccess = this.#awaitingSuccess.filter((fault) => {
      // Same millisecond as the kill: the call may have been answered before it.
      if (call.startedAt <= fault.after) return true;
      fault.firstSuccessAt = call.endedAt;
      fault.firstSuccess = call;
      return false;
    });
  }

  /** Book a failed call; whether a fault explains it is judged by {@link attribute}. */
  failed(call: CallRecord, error: unknown): void {
    this.requests++;
    this.#took(call);
    const outcome = classifyError(error, call.hostKilledAt !== undefined);
    this.counts[outcome]++;
    const what = `${call.host} ${JSON.stringify(call.payload)} sent +${
      call.startedAt - this.startedAt
    } ms: ${(error as Error)?.message ?? error}`;
    if (outcome === "timeout" || outcome === "other") return this.problem(`${outcome}: ${what}`);
    this.#failures.push({ call, outcome, what });
  }

  /**
   * After the run (a command's fault is booked when it returns, after the errors it
   * caused): every error needs a fault of its kind during the call, and the call must
   * have started no later than {@link DETECTION_SLACK_MS} after that fault.
   */
  attribute(): void {
    for (const { call, outcome, what } of this.#failures) {
      const kinds: FaultKind[] = outcome === "proxy-killed" ? ["proxy"] : EXPLAINS[outcome];
      const windows = outcome === "proxy-killed"
        ? [{
          kind: "proxy" as const,
          before: call.hostKilledAt!,
          after: call.hostKilledAt!,
          note: "",
          pid: 0,
        }]
        : this.faults.filter((f) => kinds.includes(f.kind));
      // The latest fault that could have caught the call: the tightest explanation.
      const cause = windows.filter((f) =>
        f.before <= call.endedAt && call.startedAt <= f.after + DETECTION_SLACK_MS
      )
        .at(-1);
      if (cause === undefined) {
        this.problem(`${outcome} with no ${kinds.join("/")} fault during the call: ${what}`);
        continue;
      }
      this.explainedBy[cause.kind]++;
      const lateness = call.startedAt - cause.after;
      if (lateness > this.maxLatenessMs[cause.kind]) {
        this.maxLatenessMs[cause.kind] = lateness;
        this.latest[cause.kind] =
          `${what} (sent +${lateness} ms after ${cause.kind} ${cause.pid}, ended +${
            call.endedAt - cause.after
          } ms)`;
      }
    }
  }

  #took(call: CallRecord): void {
    this.maxCallMs = Math.max(this.maxCallMs, call.endedAt - call.startedAt);
  }

  /** Milliseconds from each kill of `kind` to the first success of a call sent after it. */
  recoveryMs(kind: FaultKind): number[] {
    return this.faults.filter((f) => f.kind === kind && f.firstSuccessAt !== undefined)
      .map((f) => f.firstSuccessAt! - f.after);
  }

  /** The counts, one fact per line, for the test's output. */
  report(extra: Record<string, unknown>): string {
    const kills = (kind: FaultKind) => this.faults.filter((f) => f.kind === kind).length;
    const spread = (values: number[]) => {
      if (values.length === 0) return "n/a";
      const sorted = [...values].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      return `min ${sorted[0]} / median ${median} / max ${sorted.at(-1)} ms over ${sorted.length}`;
    };
    const lines = [
      `requests: ${this.requests}, successes: ${this.counts.ok}`,
      `errors: server crash (−32000…−32019) ${this.counts["server-crash"]}, daemon lost (−32008) ${
        this.counts["daemon-lost"]
      }, proxy killed ${
        this.counts["proxy-killed"]
      }, timeout ${this.counts.timeout}, wrong payload ${
        this.counts["wrong-payload"]
      }, other ${this.counts.other}`,
      `errors explained by: ${ALL_KINDS.map((k) => `${k} ${this.explainedBy[k]}`).join(", ")}`,
      `faults: ${ALL_KINDS.map((k) => `${k} ${kills(k)}`).join(", ")} (skipped: ${
        ALL_KINDS.map((k) => `${k} ${this.skipped[k]}`).join(", ")
      })`,
      ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
      `server kill → first successful call: ${spread(this.recoveryMs("server"))}`,
      `daemon kill → first successful call: ${spread(this.recoveryMs("daemon"))}`,
      `shoal restart → first successful call: ${spread(this.recoveryMs("restart"))}`,
      `shoal stop → first successful call: ${spread(this.recoveryMs("stop"))}`,
      `longest call: ${this.maxCallMs} ms; latest start after a fault that still failed: ${
        ALL_KINDS.map((k) => `${k} ${this.maxLatenessMs[k]} ms`).join(", ")
      }`,
    ];
    for (const [kind, call] of Object.entries(this.latest)) {
      if (this.maxLatenessMs[kind as FaultKind] > 100) {
        lines.push(`latest failure after a ${kind} fault: ${call}`);
      }
    }
    for (const f of this.faults) {
      const c = f.firstSuccess;
      const recovered = c === undefined
        ? ""
        : `, first success after ${f.firstSuccessAt! - f.after} ms (${c.host} ${c.payload} sent +${
          c.startedAt - f.after
        } ms)`;
      const what = f.kind === "stop" || f.kind === "restart"
        ? `shoal ${f.kind}`
        : `kill -9 ${f.kind} ${f.pid}`;
      lines.push(`  +${f.before - this.startedAt} ms ${what} (${f.note})${recovered}`);
    }
    return lines.join("\n");
  }
}
