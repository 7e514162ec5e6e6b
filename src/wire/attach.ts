/**
 * Finding the daemon for a server key, starting one when there is none, and saying
 * hello. The outcome is either an attached connection or the reason no daemon can be
 * had (the proxy then runs the server directly: a host always gets a working server).
 *
 * Liveness verdict, in order (DESIGN.md): connect + hello; ECONNREFUSED/ENOENT = no
 * listener; then the lock record (pid, start time). Alive but silent = hung.
 */
import type { Conn, Runtime } from "../runtime/types.ts";
import { RuntimeError } from "../runtime/types.ts";
import { PROTOCOL, VERSION } from "../version.ts";
import { type ClientHello, type DaemonHello, encodeHello, MAX_HELLO_BYTES, parseDaemonHello } from "./hello.ts";
import { readFirstLine } from "./first_line.ts";
import { parseLockRecord } from "../state/lock_record.ts";
import { judgeLiveness } from "../state/lock_liveness.ts";
import { type DaemonProcess, patiently, SILENT } from "./patience.ts";
import type { KeyPaths } from "../state/paths.ts";

export interface AttachOptions {
  paths: KeyPaths;
  key: string;
  token: string;
  build: string;
  role: "proxy" | "control";
  /** Give up on a daemon that accepted but did not say hello by then. */
  helloTimeoutMs: number;
  /** Overall budget for finding or starting a daemon, and for waiting on a busy one. */
  deadlineMs: number;
  /** The daemon's process when known without the election lock (control clients). */
  owner?: DaemonProcess;
  /** Start a daemon (detached). Omitted for control clients: they never start one. */
  startDaemon?: () => void;
  /** Why a daemon we started could not run (it exited with an error), or null. */
  startFailed?: () => string | null;
}

export type Attached = { conn: Conn; hello: DaemonHello; rest: Uint8Array };
export type AttachFailure = { reason: string; unresponsive: boolean };

const encoder = new TextEncoder();
const POLL_MS = 15;

export async function attach(runtime: Runtime, o: AttachOptions): Promise<Attached | AttachFailure> {
  const deadline = Date.now() + o.deadlineMs;
  let startedAt = 0;
  for (;;) {
    const result = await hello(runtime, o, deadline);
    if ("conn" in result) {
      // A draining daemon still answers control requests; proxies go to a new one.
      if (result.hello.state === "ready" || o.role === "control") return result;
      result.conn.close();
    } else if (result.unresponsive || result.fatal) {
      return result;
    }
    if (o.startDaemon === undefined) return { reason: "no daemon is running", unresponsive: false };
    // Waiting out the deadline would only start the same failing daemon again and again.
    const failed = o.startFailed?.();
    if (failed) return { reason: failed, unresponsive: false };
    // Start one unless a live process holds the election lock (a daemon on its way up),
    // and not more often than every half second: losers of the election exit at once.
    if (Date.now() - startedAt > 500 && !(await lockHeldByLiveProcess(runtime, o.paths.lock))) {
      o.startDaemon();
      startedAt = Date.now();
    }
    if (Date.now() > deadline) {
      return { reason: `no daemon answered within ${o.deadlineMs} ms`, unresponsive: false };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

type HelloResult = Attached | (AttachFailure & { fatal: boolean });

/**
 * Connect and exchange hellos. A daemon still silent after `helloTimeoutMs` is watched
 * (see `SilenceWatch`) and waited for while it works, until `until` at the latest.
 */
async function hello(runtime: Runtime, o: AttachOptions, until: number): Promise<HelloResult> {
  let conn: Conn;
  try {
    conn = await runtime.connectUnix(o.paths.socket);
  } catch (err) {
    const code = err instanceof RuntimeError ? err.code : "EOTHER";
    // EAGAIN: the daemon's accept backlog is full (Deno says so; node and Bun say
    // ECONNREFUSED). A busy daemon, not a missing one: try again.
    const retry = code === "ENOENT" || code === "ECONNREFUSED" || code === "EAGAIN";
    return { reason: `cannot connect to "${o.paths.socket}": ${code}`, unresponsive: false, fatal: !retry };
  }
  const mine: ClientHello = {
    protocol: PROTOCOL,
    version: VERSION,
    build: o.build,
    token: o.token,
    role: o.role,
    pid: runtime.pid,
    key: o.key,
  };
  const sentAt = Date.now();
  try {
    const exchange = conn.write(encoder.encode(encodeHello(mine))).then(() =>
      readFirstLine(conn, MAX_HELLO_BYTES)
    );
    const owner = () => o.owner !== undefined ? Promise.resolve(o.owner) : readLockOwner(runtime, o.paths.lock);
    const first = await patiently(runtime, owner, exchange, o.helloTimeoutMs, until);
    if (first === "gone") {
      conn.close();
      return { reason: "daemon exited before it answered", unresponsive: false, fatal: false };
    }
    if (first === SILENT) {
      conn.close();
      const waited = Date.now() - sentAt;
      return { reason: `daemon at "${o.paths.socket}" did not answer within ${waited} ms`, unresponsive: true, fatal: true };
    }
    if (first === null) {
      conn.close(); // closed on us: it is shutting down
      return { reason: "daemon closed the connection", unresponsive: false, fatal: false };
    }
    const theirs = parseDaemonHello(first.line);
    if (typeof theirs === "string" || theirs.error) {
      conn.close();
      const why = typeof theirs === "string" ? theirs : theirs.error;
      return { reason: `daemon refused the hello: ${why}`, unresponsive: false, fatal: true };
    }
    return { conn, hello: theirs, rest: first.rest };
  } catch (err) {
    conn.close();
    return { reason: `hello failed: ${err instanceof Error ? err.message : err}`, unresponsive: false, fatal: false };
  }
}

async function readLockOwner(runtime: Runtime, lockPath: string) {
  const text = await runtime.fs.readTextFile(lockPath).catch(() => null);
  return text === null ? null : parseLockRecord(text);
}

async function lockHeldByLiveProcess(runtime: Runtime, lockPath: string): Promise<boolean> {
  const record = await readLockOwner(runtime, lockPath);
  return record !== null && (await judgeLiveness(runtime, record)) === "alive";
}
