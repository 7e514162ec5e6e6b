/**
 * One real daemon (`shoal daemon --foreground`, detached like a proxy would start it)
 * in a private state dir, for tests that talk to its socket directly: where the socket,
 * token and log are, what `status --json` says, and what /proc says about its fds and
 * memory. `close()` stops it and proves nothing is left behind.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { waitFor } from "./cleanup.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RawSocket } from "./raw_socket.ts";
import { ROOT, shoalArgv } from "./shoal.ts";
import { makeWorld, type World } from "./shoal_env.ts";

/** Raw server for hostile tests: floods, stops reading stdin, reports what it holds. */
export const HOSTILE_SERVER = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "hostile_server.mjs",
);

export interface SocketDaemonOptions {
  /** Server command (default: the hostile fixture server). */
  server?: string[];
  /** Extra daemon options, e.g. ["--max-message-bytes", "4096"]. */
  extra?: string[];
  /** Added to the daemon's environment. */
  env?: Record<string, string>;
}

export interface ProcStats {
  fds: number;
  rssKiB: number;
  hwmKiB: number;
}

export interface SocketDaemon {
  world: World;
  pid: number;
  socket: string;
  token: string;
  /** Where the daemon's stderr (its log) goes. */
  logPath: string;
  log(): string;
  /**
   * The log once `pattern` matches at least `count` times. The daemon writes its log
   * asynchronously, so a line can land just after the event a test saw on a socket.
   */
  logged(pattern: RegExp, count?: number): Promise<string>;
  /** `daemons[0]` of `shoal status --json`. */
  status(): Promise<any>;
  /** Connect and say a valid proxy hello. */
  attach(): Promise<RawSocket>;
  stats(): ProcStats;
  close(): Promise<void>;
}

export async function startSocketDaemon(options: SocketDaemonOptions = {}): Promise<SocketDaemon> {
  const world = makeWorld();
  const stateDir = world.stateDir;
  const logPath = `${stateDir}/daemon.out`;
  const server = options.server ?? ["node", HOSTILE_SERVER];
  const { command, args } = shoalArgv(
    "daemon",
    "--foreground",
    "--state-dir",
    stateDir,
    "--idle",
    "0",
    ...(options.extra ?? []),
    "--",
    ...server,
  );
  const log = openSync(logPath, "a", 0o600);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", log, log],
    detached: true,
  });
  closeSync(log);
  child.unref();
  const pid = child.pid!;
  const readLog = () => readFileSync(logPath, "utf8");
  try {
    const socket = await waitFor(() => readdirSync(stateDir).find((n) => n.endsWith(".sock")), {
      timeoutMs: 15_000,
      what: "the daemon's socket",
    });
    const daemon: SocketDaemon = {
      world,
      pid,
      socket: `${stateDir}/${socket}`,
      token: readFileSync(`${stateDir}/token`, "utf8").trim(),
      logPath,
      log: readLog,
      logged: (pattern, count = 1) => {
        const all = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
        return waitFor(() => {
          const log = readLog();
          return (log.match(all)?.length ?? 0) >= count ? log : "";
        }, {
          what: `${count} × ${pattern} in the daemon log`,
        });
      },
      async status() {
        const { status, json } = await world.status();
        if (status !== 0 || json?.daemons?.length !== 1) {
          throw new Error(
            `Expected one daemon in status (exit ${status}): ${JSON.stringify(json)}`,
          );
        }
        return json.daemons[0];
      },
      attach: () => RawSocket.attach(daemon.socket, daemon.token),
      stats: () => procStats(pid),
      close: () => world.close([pid]),
    };
    // Ready means the server answered the handshake once: later hosts hit the cache.
    const first = await daemon.attach();
    await first.initialize("readiness");
    first.destroy();
    await waitFor(async () => (await daemon.status()).clients.length === 0, {
      what: "readiness client to leave",
    });
    return daemon;
  } catch (err) {
    await world.close([pid]).catch(() => {});
    throw new Error(`Cannot start the daemon: ${err}; log: ${safeRead(readLog)}`);
  }
}

/** Open fds, resident and peak resident memory of `pid`, from /proc. */
export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM") };
}

function safeRead(read: () => string): string {
  try {
    return read();
  } catch {
    return "(none)";
  }
}
