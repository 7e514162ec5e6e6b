/**
 * The daemon log: one line per event, `ts level event key=value…`. It writes to the
 * daemon's stderr, which the launcher points at `<state>/<key>.log`. Message bodies
 * only appear at trace level; environment values and the token never appear at all.
 */
import type { ByteWriter } from "../runtime/types.ts";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
const encoder = new TextEncoder();

export type LogFields = Record<string, unknown>;

export class Logger {
  readonly #out: ByteWriter;
  readonly #min: number;
  readonly #context: string;
  #chain: Promise<void> = Promise.resolve();

  constructor(out: ByteWriter, level: LogLevel = "info", context = "") {
    this.#out = out;
    this.#min = RANK[level];
    this.#context = context;
  }

  /** A logger that prefixes every line with `fields` (per client, per lane). */
  with(fields: LogFields): Logger {
    const child = new Logger(this.#out, levelOf(this.#min), `${this.#context}${format(fields)}`);
    child.#chain = this.#chain;
    return child;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#min;
  }

  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const line = `${new Date().toISOString()} ${level} ${event}${this.#context}${format(fields)}\n`;
    // Ordered, never awaited by callers: a slow or closed log must not stall the relay.
    this.#chain = this.#chain.then(() => this.#out.write(encoder.encode(line))).catch(() => {});
  }

  trace(event: string, fields?: LogFields): void {
    this.log("trace", event, fields);
  }
  debug(event: string, fields?: LogFields): void {
    this.log("debug", event, fields);
  }
  info(event: string, fields?: LogFields): void {
    this.log("info", event, fields);
  }
  warn(event: string, fields?: LogFields): void {
    this.log("warn", event, fields);
  }
  error(event: string, fields?: LogFields): void {
    this.log("error", event, fields);
  }

  /** Resolves when everything logged so far has been written. */
  flush(): Promise<void> {
    return this.#chain;
  }
}

function levelOf(rank: number): LogLevel {
  return (Object.keys(RANK) as LogLevel[]).find((l) => RANK[l] === rank) ?? "info";
}

/** ` k=v k2="v 2"`: values with spaces, quotes or newlines are JSON-quoted. */
export function format(fields: LogFields): string {
  let out = "";
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
    out += /^[^\s"=]+$/.test(s) ? ` ${k}=${s}` : ` ${k}=${JSON.stringify(s)}`;
  }
  return out;
}
