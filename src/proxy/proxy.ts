/**
 * `shoal proxy`: what a host runs instead of the server. Attach to the daemon for this
 * server (starting one when needed) and relay stdio; when no daemon can be had, run the
 * server directly and say so once on stderr — at start, or later when the daemon is
 * lost and no other can be had (`direct_link.ts`). stdout carries protocol bytes only.
 */
import type { Runtime } from "../runtime/types.ts";
import { ensureStateDir } from "../state/state_dir.ts";
import { keyPaths } from "../state/paths.ts";
import { ensureToken } from "../state/token.ts";
import type { ServerSpec } from "../cli/server_spec.ts";
import { attach } from "../wire/attach.ts";
import { startDaemon } from "./daemon_start.ts";
import { runDirect } from "./direct.ts";
import { DirectServers } from "./direct_link.ts";
import { Relay } from "./relay.ts";
import { watchParent } from "./watchdog.ts";

/** A daemon that accepted but did not say hello by then is treated as hung. */
export const HELLO_TIMEOUT_MS = 2000;
/** Budget for finding or starting a daemon before running the server directly. */
export const ATTACH_DEADLINE_MS = 15_000;

export interface ProxyOptions {
  build: string;
  /** One-line warnings for the host's stderr (direct mode). */
  warn(message: string): Promise<void>;
}

const DIRECTLY = "shoal: warning: running the server directly, without sharing";

/** Run the proxy until the host or the daemon is done; returns the exit status. */
export async function runProxy(runtime: Runtime, spec: ServerSpec, options: ProxyOptions): Promise<number> {
  const server = { command: spec.command, args: spec.args, cwd: spec.cwd, env: spec.env };
  const direct = async (reason: string) => {
    await options.warn(`${DIRECTLY}: ${reason}`);
    return runDirect(runtime, server);
  };
  let paths;
  try {
    await ensureStateDir(runtime, spec.stateDir);
    paths = keyPaths(spec.stateDir, spec.key.key, { uid: runtime.uid() });
    if (paths.socketDir !== spec.stateDir) await ensureStateDir(runtime, paths.socketDir);
  } catch (err) {
    return direct(messageOf(err));
  }
  const keyPathsNow = paths;
  const findDaemon = async () => {
    // Re-verified on every connect: the directory may have been replaced meanwhile.
    await ensureStateDir(runtime, spec.stateDir);
    let failed: string | null = null;
    return attach(runtime, {
      paths: keyPathsNow,
      key: spec.key.key,
      token: await ensureToken(runtime, spec.stateDir),
      build: options.build,
      role: "proxy",
      helloTimeoutMs: HELLO_TIMEOUT_MS,
      deadlineMs: ATTACH_DEADLINE_MS,
      startDaemon: () => startDaemon(runtime, spec, keyPathsNow.log, (reason) => (failed = reason)),
      startFailed: () => failed,
    });
  };
  let first;
  try {
    first = await findDaemon();
  } catch (err) {
    return direct(messageOf(err));
  }
  if (!("conn" in first)) return direct(first.reason);

  const stop = new AbortController();
  const unwatch = watchParent(runtime, () => stop.abort());
  const servers = new DirectServers(runtime, server);
  let wentDirect = false;
  const relay = new Relay({
    stdin: runtime.stdin,
    stdout: runtime.stdout,
    first,
    reconnect: async () => {
      const next = await findDaemon().catch((err) => ({ reason: messageOf(err) }));
      if ("conn" in next) return next;
      if (!wentDirect) {
        wentDirect = true;
        await options.warn(`${DIRECTLY}: the daemon was lost and no other can be had: ${next.reason}`);
        // The server is ours now: a signal to the proxy must reach it, not orphan it.
        for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) runtime.onSignal(signal, () => stop.abort());
      }
      return servers.start().catch(() => null);
    },
    maxMessageBytes: spec.maxMessageBytes,
    warn: (message) => void options.warn(message),
    signal: stop.signal,
  });
  try {
    await relay.run();
  } finally {
    unwatch();
    await servers.stop();
  }
  return 0;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
