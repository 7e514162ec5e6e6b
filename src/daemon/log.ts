/**
 * The daemon log: one line per event, `ts level event key=value…`. It writes to the
 * daemon's stderr, which the launcher points at `<state>/<key>.log`. Message bodies
 * only appear at trace level; environment values and the token never appear at all.
 */
import type { ByteWriter } from "../runtime/types.ts";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** How much of a message body a trace line shows. */
export const BODY_BYTES = 2048;

export type LogFields = Record<string, unknown>;

/**
 * Where log lines go, in order, never awaited by the relay. Bounded: past `maxBytes`
 * the file is rotated (`rotate`: current → `.1`, then truncated), so a chatty server's
 * stderr can never fill the disk; at most two files of `maxBytes` exist.
 */
export class LogSink {
  readonly #out: ByteWriter;
  readonly #maxBytes: number;
  readonly #rotate: (() => Promise<void>) | undefined;
  #bytes: number;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    out: ByteWriter,
    options: { maxBytes?: number; rotate?: () => Promise<void> } = {},
  ) {
    this.#out = out;
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#bytes = 0;
    this.#rotate = options.rotate;
  }

  /** The file already held `bytes` when we started appending to it. */
  startsAt(bytes: number): void {
    this.#bytes += bytes;
  }

  write(line: string): void {
    const bytes = encoder.encode(line);
    this.#chain = this.#chain.then(async () => {
      if (this.#rotate !== undefined && this.#bytes + bytes.length > this.#maxBytes) {
        await this.#rotate().catch(() => {});
        this.#bytes = 0;
      }
      this.#bytes += bytes.length;
      await this.#out.write(bytes);
    }).catch(() => {}); // a slow or closed log must not stall or crash anything
  }

  flush(): Promise<void> {
    return this.#chain;
  }
}

export class Logger {
  readonly #sink: LogSink;
  readonly #min: number;
  readonly #context: string;

  constructor(out: ByteWriter | LogSink, level: LogLevel = "info", context = "") {
    this.#sink = out instanceof LogSink ? out : new LogSink(out);
    this.#min = RANK[level];
    this.#context = context;
  }

  /** A logger that prefixes every line with `fields` (per client, per lane). */
  with(fields: LogFields): Logger {
    return new Logger(this.#sink, levelOf(this.#min), `${this.#context}${format(fields)}`);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#min;
  }

  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    this.#sink.write(`${new Date().toISOString()} ${level} ${event}${this.#context}${format(fields)}\n`);
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

  /**
   * Trace level only: a message as it crossed the wire (`from_client`, `to_server`, …),
   * its first {@link BODY_BYTES} bytes verbatim at the end of the line.
   */
  body(event: string, bytes: Uint8Array, fields: LogFields = {}): void {
    if (!this.enabled("trace")) return;
    const end = bytes.at(-1) === 10 ? bytes.length - 1 : bytes.length;
    let text = decoder.decode(bytes.subarray(0, Math.min(end, BODY_BYTES))).replace(/\n/g, "\\n");
    if (end > BODY_BYTES) text += "…";
    const head = `${new Date().toISOString()} trace ${event}${this.#context}${format({ ...fields, bytes: end })}`;
    this.#sink.write(`${head} ${text}\n`);
  }

  /** Resolves when everything logged so far has been written. */
  flush(): Promise<void> {
    return this.#sink.flush();
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
