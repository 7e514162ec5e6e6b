/**
 * One real server process (a "lane"): spawned in its own process group so stopping it
 * reaches every descendant, stdout framed into lines for the router, stdin fed through
 * a bounded {@link Outbox}, stderr kept line by line in the log and in a bounded tail
 * for `status` and crash errors, and restarted by the {@link RestartPolicy} when it
 * dies on its own.
 */
import type { ChildProcess, ExitStatus, Runtime } from "../runtime/types.ts";
import { ErrorCode } from "../rpc/error_codes.ts";
import { recoverFields } from "../rpc/id_recovery.ts";
import { LineSplitter, type OversizedLine } from "../rpc/line_splitter.ts";
import { isJsonObject, isRequestId } from "../rpc/message.ts";
import { errorResponse } from "../rpc/responses.ts";
import type { Logger } from "./log.ts";
import { Outbox } from "./outbox.ts";
import { RestartPolicy } from "./restart_policy.ts";

export type UpstreamState = "starting" | "running" | "restarting" | "crash-loop" | "stopped";

export interface UpstreamOptions {
  lane: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  logger: Logger;
  maxMessageBytes: number;
  /**
   * Bytes queued for the server's stdin while it does not read; past this, messages
   * are refused and requests among them answered with an error at once. Default:
   * twice `maxMessageBytes` (one largest message being written, one waiting).
   */
  maxQueueBytes?: number;
  /** A complete line from the server's stdout. */
  onLine(line: Uint8Array): void;
  /** A line too long to keep: only its head is passed on. */
  onOversized(line: OversizedLine): void;
  /** The process exited (crash or stop). `restarting` tells whether a new one follows. */
  onExit(detail: UpstreamExit): void;
  /** A new process is running after a restart: replay the handshake. */
  onRestart(): void;
  policy?: RestartPolicy;
  /** Grace periods of the stop sequence. */
  stopGraceMs?: number;
}

export interface UpstreamExit extends ExitStatus {
  lastStderr: string;
  restarting: boolean;
  /** When the next process starts, or null when none will. */
  retryInMs: number | null;
}

const STDERR_TAIL_LINES = 20;
const STDERR_LINE_MAX = 2048;

export class Upstream {
  readonly lane: string;
  state: UpstreamState = "starting";
  pid = 0;
  restarts = 0;
  lastExit: ExitStatus | null = null;
  readonly stderrTail: string[] = [];
  #child: ChildProcess | null = null;
  #startedAt = 0;
  #stdin: Outbox | null = null;
  /** Messages refused since the server's stdin filled up (0 = it keeps up). */
  #refused = 0;
  #stopping = false;
  #restartNow = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #runtime: Runtime;
  readonly #o: UpstreamOptions;
  readonly #policy: RestartPolicy;

  constructor(runtime: Runtime, options: UpstreamOptions) {
    this.#runtime = runtime;
    this.#o = options;
    this.lane = options.lane;
    this.#policy = options.policy ?? new RestartPolicy();
  }

  /** Spawn the process. Spawn failures count as a crash and go through the policy. */
  start(): void {
    const o = this.#o;
    this.state = "starting";
    let child: ChildProcess;
    try {
      child = this.#runtime.spawn(o.command, o.args, {
        cwd: o.cwd,
        env: o.env,
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
        detached: true,
      });
    } catch (err) {
      this.#stderrLine(`cannot start server: ${err instanceof Error ? err.message : err}`);
      this.#exited({ code: 127, signal: null });
      return;
    }
    this.#child = child;
    this.#stdin = child.stdin === null
      ? null
      : new Outbox(child.stdin, o.maxQueueBytes ?? 2 * o.maxMessageBytes);
    this.#refused = 0;
    this.pid = child.pid;
    this.#startedAt = Date.now();
    this.state = "running";
    o.logger.info("server_started", { lane: this.lane, pid: child.pid, restarts: this.restarts });
    this.#pumpStdout(child);
    const stderrDone = this.#pumpStderr(child);
    child.exited.then(async (status) => {
      // The last stderr line names the cause in crash errors: let it arrive (bounded).
      await Promise.race([stderrDone, new Promise((r) => setTimeout(r, 250))]);
      // Whatever the server started dies with it: no orphans in its process group.
      child.killGroup("SIGKILL");
      if (this.#child === child) this.#exited(status);
    });
  }

  /**
   * Queue one message (a line) for the server's stdin, in order. Dropped (and logged)
   * when not running. When the server stops reading and its queue is full, the message
   * is refused: a request gets an error response at once (through `onLine`, as if the
   * server had answered), so no host waits on bytes that were never sent, and the
   * daemon's memory stays bounded. A write failure (EPIPE) is left to the exit handler.
   */
  write(bytes: Uint8Array): void {
    const stdin = this.#stdin;
    if (stdin === null || this.state !== "running") {
      this.#o.logger.debug("server_write_dropped", { lane: this.lane, bytes: bytes.length });
      return;
    }
    this.#o.logger.body("to_server", bytes, { lane: this.lane });
    if (stdin.offer(bytes)) return;
    if (stdin.closed) return; // the write side broke: the server is exiting
    this.#refuse(stdin, bytes);
  }

  #refuse(stdin: Outbox, bytes: Uint8Array): void {
    const o = this.#o;
    if (this.#refused++ === 0) {
      o.logger.warn("server_input_full", {
        lane: this.lane,
        pid: this.pid,
        queued_bytes: stdin.pendingBytes,
        limit: stdin.maxBytes,
      });
      // The episode ends when the server has read everything queued.
      stdin.drained().then(() => {
        if (this.#stdin !== stdin || stdin.closed) return;
        const fields = { lane: this.lane, pid: this.pid, dropped: this.#refused };
        o.logger.info("server_input_resumed", fields);
        this.#refused = 0;
      });
    }
    const errors = refusedRequestErrors(bytes, stdin.maxBytes);
    // Answer after the current dispatch: the router is not re-entered mid-output.
    if (errors.length > 0) queueMicrotask(() => errors.forEach((line) => o.onLine(line)));
  }

  get running(): boolean {
    return this.state === "running";
  }

  /** Kill and respawn now (`shoal restart`): same path as a crash, without the backoff. */
  async restart(): Promise<void> {
    this.#policy.reset();
    if (this.#child === null && !this.#stopping) {
      // Waiting out a backoff: start now instead of when the timer fires.
      clearTimeout(this.#restartTimer);
      this.#respawn();
      return;
    }
    this.#restartNow = true;
    await this.#terminate();
  }

  /** Close stdin, wait, SIGTERM the group, wait, SIGKILL the group. No restart after. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    await this.#terminate();
    this.state = "stopped";
  }

  async #terminate(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    const grace = this.#o.stopGraceMs ?? 2000;
    const gone = child.exited.then(() => true);
    const within = (ms: number) =>
      Promise.race([gone, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    // EOF after what is queued, but never wait on a server that stopped reading: the
    // grace period runs either way.
    const stdin = this.#stdin;
    void (stdin?.drained() ?? Promise.resolve())
      .then(() => child.stdin?.closeWrite())
      .catch(() => {});
    if (!(await within(grace))) {
      child.killGroup("SIGTERM");
      if (!(await within(grace))) child.killGroup("SIGKILL");
    }
    await gone;
    // Whatever the server left behind in its group goes too (it may have exited first).
    child.killGroup("SIGKILL");
  }

  #exited(status: ExitStatus): void {
    const o = this.#o;
    this.#child = null;
    this.lastExit = status;
    const uptimeMs = Date.now() - this.#startedAt;
    const lastStderr = this.stderrTail.at(-1) ?? "";
    o.logger.warn("server_exited", {
      lane: this.lane,
      code: status.code ?? undefined,
      signal: status.signal ?? undefined,
      uptime_ms: uptimeMs,
      last_stderr: lastStderr || undefined,
    });
    if (this.#stopping) {
      this.state = "stopped";
      o.onExit({ ...status, lastStderr, restarting: false, retryInMs: null });
      return;
    }
    // A deliberate restart is not a crash: it neither waits nor counts toward the backoff.
    const decision = this.#restartNow ? { delayMs: 0, crashLoop: false } : this.#policy.onExit(Date.now(), uptimeMs);
    const delayMs = decision.delayMs;
    this.state = decision.crashLoop ? "crash-loop" : "restarting";
    this.#restartNow = false;
    o.onExit({ ...status, lastStderr, restarting: true, retryInMs: delayMs });
    o.logger.info("server_restart_scheduled", { lane: this.lane, delay_ms: delayMs, state: this.state });
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopping) this.#respawn();
    }, delayMs);
  }

  #respawn(): void {
    this.restarts++;
    this.start();
    if (this.running) this.#o.onRestart();
  }

  async #pumpStdout(child: ChildProcess): Promise<void> {
    const splitter = new LineSplitter({ maxMessageBytes: this.#o.maxMessageBytes });
    try {
      for (let chunk = await child.stdout!.read(); chunk !== null; chunk = await child.stdout!.read()) {
        for (const item of splitter.push(chunk)) {
          if (item instanceof Uint8Array) {
            this.#o.logger.body("from_server", item, { lane: this.lane });
            this.#o.onLine(item);
          } else this.#o.onOversized(item);
        }
      }
    } catch {
      // The stream broke because the process died; the exit handler takes it from here.
    }
  }

  async #pumpStderr(child: ChildProcess): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for (let chunk = await child.stderr!.read(); chunk !== null; chunk = await child.stderr!.read()) {
        const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
        partial = lines.pop()!.slice(0, STDERR_LINE_MAX);
        for (const line of lines) this.#stderrLine(line);
      }
    } catch {
      // As above: the process is gone.
    }
    if (partial !== "") this.#stderrLine(partial);
  }

  #stderrLine(raw: string): void {
    const line = raw.replace(/\r$/, "").slice(0, STDERR_LINE_MAX);
    if (line === "") return;
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    this.#o.logger.info("server_stderr", { lane: this.lane, line });
  }
}

const encoder = new TextEncoder();

/** Refused messages up to this size are parsed whole; larger ones are read at both ends. */
const PARSE_WHOLE_BYTES = 8192;

/**
 * The error responses, as server output lines, for the requests in one refused
 * message (the daemon writes one message, or a batch, per line). Notifications and
 * responses get none: JSON-RPC never answers those.
 */
function refusedRequestErrors(bytes: Uint8Array, limit: number): Uint8Array[] {
  const message = `Server is not reading its input: request dropped, ${limit} bytes already queued`;
  const answer = (id: string | number) =>
    encoder.encode(JSON.stringify(errorResponse(id, ErrorCode.ConnectionClosed, message)));
  if (bytes.length > PARSE_WHOLE_BYTES && bytes[0] === 0x7b /* { */) {
    // Parsing a huge refused message would cost what refusing it saves.
    const end = bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length;
    const head = bytes.subarray(0, 4096);
    const fields = recoverFields(head, bytes.subarray(Math.max(0, end - 1024), end));
    return fields.method !== undefined && fields.id !== undefined ? [answer(fields.id)] : [];
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return []; // the daemon only writes JSON; nothing to answer
  }
  return (Array.isArray(value) ? value : [value])
    .filter((m) => isJsonObject(m) && typeof m.method === "string" && isRequestId(m.id))
    .map((m) => answer((m as { id: string | number }).id));
}
