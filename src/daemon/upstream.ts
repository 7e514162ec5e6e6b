/**
 * One real server process (a "lane"): spawned in its own process group so stopping it
 * reaches every descendant, stdout framed into lines for the router, stderr kept line
 * by line in the log and in a bounded tail for `status` and crash errors, and
 * restarted by the {@link RestartPolicy} when it dies on its own.
 */
import type { ChildProcess, ExitStatus, Runtime } from "../runtime/types.ts";
import { LineSplitter, type OversizedLine } from "../rpc/line_splitter.ts";
import type { Logger } from "./log.ts";
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
  #writes: Promise<void> = Promise.resolve();
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
    this.#writes = Promise.resolve();
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

  /** Queue bytes for the server's stdin, in order. Dropped (and logged) when not running. */
  write(bytes: Uint8Array): void {
    const child = this.#child;
    if (child?.stdin == null || this.state !== "running") {
      this.#o.logger.debug("server_write_dropped", { lane: this.lane, bytes: bytes.length });
      return;
    }
    this.#writes = this.#writes.then(() => child.stdin!.write(bytes)).catch(() => {
      // EPIPE: the exit handler reports the crash; the router fails the requests.
    });
  }

  get running(): boolean {
    return this.state === "running";
  }

  /** Kill and respawn now (`shoal restart`): same path as a crash, without the backoff. */
  async restart(): Promise<void> {
    this.#policy.reset();
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
    await child.stdin?.closeWrite().catch(() => {});
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
      o.onExit({ ...status, lastStderr, restarting: false });
      return;
    }
    const decision = this.#policy.onExit(Date.now(), uptimeMs);
    const delayMs = this.#restartNow ? 0 : decision.delayMs;
    this.state = decision.crashLoop && !this.#restartNow ? "crash-loop" : "restarting";
    this.#restartNow = false;
    o.onExit({ ...status, lastStderr, restarting: true });
    o.logger.info("server_restart_scheduled", { lane: this.lane, delay_ms: delayMs, state: this.state });
    this.#restartTimer = setTimeout(() => {
      if (this.#stopping) return;
      this.restarts++;
      this.start();
      if (this.running) o.onRestart();
    }, delayMs);
  }

  async #pumpStdout(child: ChildProcess): Promise<void> {
    const splitter = new LineSplitter({ maxMessageBytes: this.#o.maxMessageBytes });
    try {
      for (let chunk = await child.stdout!.read(); chunk !== null; chunk = await child.stdout!.read()) {
        for (const item of splitter.push(chunk)) {
          if (item instanceof Uint8Array) this.#o.onLine(item);
          else this.#o.onOversized(item);
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
