/**
 * The daemon: wins the election for one server key, publishes its socket only once it
 * is listening, runs the server, and relays between the server and every attached
 * proxy through the router. It lingers when idle, heals split brain through a
 * periodic self-check, and exits in the documented order:
 * stop accepting → unlink socket → drain (bounded) → stop the server (whole process
 * group) → unlink the lock only if it still holds our nonce. Who gets in is the front
 * door's job (front_door.ts).
 */
import type { Conn, Listener, Runtime } from "../runtime/types.ts";
import { VERSION } from "../version.ts";
import { Router } from "../mcp/router.ts";
import { DEFAULT_LANE, type RouterOutput } from "../mcp/types.ts";
import { acquireDaemonLock, type DaemonLock } from "./daemon_lock.ts";
import { ClientSession } from "./client_session.ts";
import { handleControl } from "./control_handler.ts";
import { type DaemonOptions, SELF_CHECK_MS } from "./daemon_options.ts";
import { FrontDoor } from "./front_door.ts";
import { Logger, LogSink } from "./log.ts";
import { rotateLog } from "./log_rotation.ts";
import { moveSocketAside, publishSocket } from "./publish.ts";
import { Upstream } from "./upstream.ts";
import { IdleCollector } from "./idle_gc.ts";
import { IdleLanes } from "./idle_lanes.ts";
import { IdleTimer } from "./idle_timer.ts";
import { keyPaths, type KeyPaths } from "../state/paths.ts";
import { ensureToken } from "../state/token.ts";
import { ensureStateDir } from "../state/state_dir.ts";
import { attach } from "../wire/attach.ts";
import { STOPPING_BYTES } from "../wire/stopping.ts";

const encoder = new TextEncoder();
const DRAIN_MS = 2000;

export type DaemonPhase = "ready" | "draining" | "stopping";

export class Daemon {
  readonly options: DaemonOptions;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly paths: KeyPaths;
  readonly startedAt = Date.now();
  readonly router: Router;
  readonly idle: IdleTimer;
  readonly #sink: LogSink;
  readonly #gc: IdleCollector;
  readonly #idleLanes: IdleLanes;
  readonly lanes = new Map<string, Upstream>();
  readonly sessions = new Map<number, ClientSession>();
  phase: DaemonPhase = "ready";
  #listener: Listener | null = null;
  #lock: DaemonLock | null = null;
  #door: FrontDoor | null = null;
  #drainSocket: string | null = null;
  #nextClient = 1;
  #selfCheck: ReturnType<typeof setInterval> | undefined;
  #done!: (status: number) => void;
  readonly finished: Promise<number>;

  constructor(runtime: Runtime, options: DaemonOptions) {
    this.runtime = runtime;
    this.options = options;
    this.paths = keyPaths(options.stateDir, options.key.key, { uid: runtime.uid() });
    this.#sink = new LogSink(runtime.stderr, {
      maxBytes: options.logMaxBytes,
      rotate: () => rotateLog(runtime.fs, this.paths.log),
    });
    this.logger = new Logger(this.#sink, options.logLevel).with({ key: options.key.key });
    this.router = new Router();
    this.finished = new Promise((resolve) => (this.#done = resolve));
    this.idle = new IdleTimer(options.idleMs, () => this.#idleExpired());
    this.#idleLanes = new IdleLanes(options.idleMs, (lane) => this.dispatch(this.router.releaseLane(lane)));
    this.#gc = new IdleCollector(runtime, this.logger, () => this.sessions.size === 0 && this.phase === "ready");
  }

  /**
   * Win the election and start serving. Resolves false when another live daemon already
   * serves this key (the caller exits quietly: the proxy will find that one).
   */
  async start(): Promise<boolean> {
    const o = this.options;
    await ensureStateDir(this.runtime, o.stateDir);
    this.#sink.startsAt((await this.runtime.fs.stat(this.paths.log).catch(() => null))?.size ?? 0);
    if (this.paths.socketDir !== o.stateDir) await ensureStateDir(this.runtime, this.paths.socketDir);
    const token = await ensureToken(this.runtime, o.stateDir);
    const lock = await acquireDaemonLock(this.runtime, this.paths, o.build);
    if (lock === null) {
      this.logger.debug("election_lost", { pid: this.runtime.pid });
      return false;
    }
    // tmux rule: a daemon may serve the socket while its lock file was lost; ask first.
    const existing = await attach(this.runtime, {
      paths: this.paths,
      key: o.key.key,
      token,
      build: o.build,
      role: "control",
      helloTimeoutMs: 1000,
      deadlineMs: 0,
    });
    if ("conn" in existing) {
      existing.conn.close();
      await lock.release();
      this.logger.info("election_won_but_served", { pid: existing.hello.pid });
      return false;
    }
    this.#lock = lock;
    this.logger.info("daemon_start", {
      version: VERSION,
      build: o.build,
      pid: this.runtime.pid,
      adapter: this.runtime.name,
      name: o.key.name,
      command: o.launchedBy,
      socket: this.paths.socket,
      idle_s: o.idleMs / 1000,
    });
    this.#door = new FrontDoor({ build: o.build, key: o.key.key, pid: this.runtime.pid, token }, {
      logger: this.logger,
      phase: () => this.phase,
      clientCount: () => this.clientCount,
      control: (conn, rest) => handleControl(this, conn, rest),
      attach: (conn, pid, rest) => this.#attach(conn, pid, rest),
      drain: (reason) => this.drain(reason),
      shutdown: (reason) => this.shutdown(reason),
    });
    // A daemon that cannot listen gives the key back: the next one may succeed.
    this.#listener = await publishSocket(this.runtime, this.paths, lock.nonce).catch(async (err) => {
      await lock.release();
      throw err;
    });
    this.#startLane(DEFAULT_LANE);
    this.#armIdle();
    this.#selfCheck = setInterval(() => this.#checkSelf(), SELF_CHECK_MS);
    this.runtime.onSignal("SIGTERM", () => this.shutdown("SIGTERM"));
    this.runtime.onSignal("SIGINT", () => this.shutdown("SIGINT"));
    this.runtime.onSignal("SIGHUP", () => this.logger.info("sighup_ignored"));
    this.#door!.serve(this.#listener);
    return true;
  }

  /** Number of attached proxies (control connections never count). */
  get clientCount(): number {
    return this.sessions.size;
  }

  /** Stop taking new hosts and give up the key; exit when the last host leaves. */
  async drain(reason: string, ownsSocket = true): Promise<void> {
    if (this.phase !== "ready") return;
    this.phase = "draining";
    this.logger.info("draining", { reason, clients: this.clientCount });
    // Keep listening under a private name so `status` and `stop` still reach us; after a
    // lost lock the well-known path may already be another daemon's: never touch theirs.
    if (ownsSocket) this.#drainSocket = await moveSocketAside(this.runtime, this.paths);
    await this.#lock?.release();
    this.#lock = null;
    if (this.clientCount === 0) await this.shutdown("drained");
  }

  #attach(conn: Conn, pid: number, initial: Uint8Array): void {
    const id = this.#nextClient++;
    const o = this.options;
    const logger = this.logger.with({ client: id });
    const session = new ClientSession({
      id,
      pid,
      conn,
      initial,
      logger,
      maxMessageBytes: o.maxMessageBytes,
      maxQueueBytes: o.maxQueueBytes,
      onLine: (line) => this.dispatch(this.router.fromClient(id, line)),
      onOversized: (line) => this.dispatch(this.router.fromClient(id, line)),
      onEnd: () => this.#clientEnded(session),
      onClose: (reason) => this.#detach(session, reason),
    });
    this.sessions.set(id, session);
    this.idle.disarm();
    this.#gc.cancel();
    logger.info("client_attached", { pid, clients: this.sessions.size });
    this.dispatch(this.router.addClient(id));
    session.pump();
  }

  /** The host closed stdin: answer what it still waits for (bounded), then let it go. */
  async #clientEnded(session: ClientSession): Promise<void> {
    await this.#whileInFlight(() => this.#inFlight(session.id) > 0);
    await session.finish("host closed its input");
  }

  /** Wait while `busy()` holds, at most DRAIN_MS. */
  async #whileInFlight(busy: () => boolean): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (Date.now() < deadline && busy()) await new Promise((r) => setTimeout(r, 20));
  }

  #inFlight(client: number): number {
    return this.router.snapshot().clients.find((c) => c.client === client)?.inFlight ?? 0;
  }

  #detach(session: ClientSession, reason: string): void {
    if (!this.sessions.delete(session.id)) return;
    this.logger.info("client_detached", { client: session.id, reason, clients: this.sessions.size });
    this.dispatch(this.router.removeClient(session.id));
    this.#idleLanes.update(this.router.snapshot().lanes);
    if (this.sessions.size === 0) {
      if (this.phase === "draining") this.shutdown("drained");
      else this.#armIdle();
    }
  }

  /** Carry out router outputs: bytes to the server or a host, log lines. */
  dispatch(outputs: RouterOutput[]): void {
    // A broadcast repeats one message object: serialize it once.
    let last: unknown = undefined;
    let bytes = new Uint8Array();
    const encode = (message: unknown) => {
      if (message !== last) {
        last = message;
        bytes = encoder.encode(`${JSON.stringify(message)}\n`);
      }
      return bytes;
    };
    for (const out of outputs) {
      if (out.kind === "client") {
        this.sessions.get(out.client)?.send(encode(out.message));
      } else if (out.kind === "upstream") {
        const lane = this.lanes.get(out.lane) ?? this.#startLane(out.lane);
        lane.write(encode(out.message));
      } else if (out.kind === "stop") {
        const lane = this.lanes.get(out.lane);
        this.lanes.delete(out.lane);
        this.logger.info("lane_released", { lane: out.lane });
        lane?.stop();
      } else {
        this.logger.log(out.level, out.event, out.fields);
      }
    }
  }

  #startLane(lane: string): Upstream {
    const o = this.options;
    const upstream: Upstream = new Upstream(this.runtime, {
      lane,
      command: o.command,
      args: o.args,
      cwd: o.cwd,
      env: o.env,
      logger: this.logger,
      maxMessageBytes: o.maxMessageBytes,
      maxQueueBytes: o.maxQueueBytes,
      // A released lane's process may still talk while it stops; its id may already
      // serve a new process. Only the current process of a lane speaks for it.
      onLine: (line) => current() && this.dispatch(this.router.fromUpstream(lane, line)),
      onOversized: (line) => current() && this.dispatch(this.router.fromUpstream(lane, line)),
      onExit: (detail) => current() && this.dispatch(this.router.laneExited(lane, detail)),
      onRestart: () => current() && this.dispatch(this.router.laneRestarted(lane)),
    });
    const current = (): boolean => this.lanes.get(lane) === upstream;
    this.lanes.set(lane, upstream);
    upstream.start();
    return upstream;
  }

  #armIdle(): void {
    if (this.sessions.size !== 0 || this.phase !== "ready") return;
    this.idle.arm();
    this.#gc.arm();
  }


  /** Unlink the socket first so no new host can arrive, then re-check, then exit. */
  async #idleExpired(): Promise<void> {
    if (this.sessions.size > 0 || this.phase !== "ready") return;
    this.logger.info("idle_expired", { idle_s: this.options.idleMs / 1000 });
    await this.#unlinkSocket();
    if (this.sessions.size > 0) {
      // A host slipped in between: keep serving it, and republish for the next ones.
      this.#listener?.close();
      this.#listener = await publishSocket(this.runtime, this.paths, this.#lock!.nonce);
      this.#door!.serve(this.#listener);
      return;
    }
    await this.shutdown("idle");
  }

  async #checkSelf(): Promise<void> {
    if (this.phase !== "ready") return;
    const problem = await this.#lock?.verify(this.paths);
    if (problem) {
      this.logger.warn("self_check_failed", { problem: problem.reason });
      await this.drain(problem.reason, !problem.lockLost);
    }
  }

  async #unlinkSocket(): Promise<void> {
    await this.runtime.fs.unlink(this.paths.socket).catch(() => {});
  }

  /** The documented exit order. Idempotent; resolves `finished` with the exit status. */
  async shutdown(reason: string): Promise<void> {
    if (this.phase === "stopping") return;
    this.phase = "stopping";
    this.logger.info("daemon_stopping", { reason, clients: this.sessions.size });
    clearInterval(this.#selfCheck);
    this.#gc.cancel();
    this.idle.disarm();
    this.#idleLanes.cancel();
    this.#listener?.close();
    if (this.#lock !== null) await this.#unlinkSocket();
    if (this.#drainSocket !== null) await this.runtime.fs.unlink(this.#drainSocket).catch(() => {});
    // Goodbye first: proxies reconnect lazily and send new requests to the next daemon;
    // what is already in flight here gets its answer (bounded) instead of an error.
    for (const s of this.sessions.values()) s.send(STOPPING_BYTES);
    // What waits for a restarting server never reached it: proxies resend it elsewhere.
    this.dispatch(this.router.handBackHeld());
    await this.#whileInFlight(() => [...this.sessions.keys()].some((id) => this.#inFlight(id) > 0));
    const drains = [...this.sessions.values()].map((s) => s.finish("daemon stopping"));
    await Promise.race([Promise.all(drains), new Promise((r) => setTimeout(r, DRAIN_MS))]);
    for (const s of this.sessions.values()) s.close("daemon stopping");
    await Promise.all([...this.lanes.values()].map((lane) => lane.stop()));
    await this.#lock?.release();
    this.logger.info("daemon_exit", { reason, served: this.router.snapshot().totals.requestsServed });
    await this.logger.flush();
    this.#done(0);
  }
}
