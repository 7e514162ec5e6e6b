/**
 * `shoal proxy`: what a host runs instead of the server. Attach to the daemon for this
 * server (starting one when needed) and relay stdio; when no daemon can be had, run the
 * server directly and say so once on stderr. stdout carries protocol bytes only.
 */
import type { Runtime } from "../runtime/types.ts";
import { ensureStateDir } from "../state/state_dir.ts";
import { keyPaths } from "../state/paths.ts";
import { ensureToken } from "../state/token.ts";
import { type ServerSpec, specArgs } from "../cli/server_spec.ts";
import { attach } from "../wire/attach.ts";
import { runDirect } from "./direct.ts";
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

/** Run the proxy until the host or the daemon is done; returns the exit status. */
export async function runProxy(runtime: Runtime, spec: ServerSpec, options: ProxyOptions): Promise<number> {
  const direct = async (reason: string) => {
    await options.warn(`shoal: warning: running the server directly, without sharing: ${reason}`);
    return runDirect(runtime, spec.command, spec.args, { cwd: spec.cwd, env: spec.env });
  };
  let paths;
  try {
    await ensureStateDir(runtime, spec.stateDir);
    paths = keyPaths(spec.stateDir, spec.key.key, { uid: runtime.uid() });
    if (paths.socketDir !== spec.stateDir) await ensureStateDir(runtime, paths.socketDir);
  } catch (err) {
    return direct(err instanceof Error ? err.message : String(err));
  }
  const log = paths.log;
  const keyPathsNow = paths;
  const findDaemon = async () => {
    // Re-verified on every connect: the directory may have been replaced meanwhile.
    await ensureStateDir(runtime, spec.stateDir);
    return attach(runtime, {
      paths: keyPathsNow,
      key: spec.key.key,
      token: await ensureToken(runtime, spec.stateDir),
      build: options.build,
      role: "proxy",
      helloTimeoutMs: HELLO_TIMEOUT_MS,
      deadlineMs: ATTACH_DEADLINE_MS,
      startDaemon: () => {
        const child = runtime.spawn(
          runtime.execPath(),
          [...runtime.selfArgs(), "daemon", "--foreground", ...specArgs(spec)],
          {
            cwd: "/",
            env: spec.env,
            stdin: "null",
            stdout: { appendTo: log },
            stderr: { appendTo: log },
            detached: true,
          },
        );
        child.unref();
      },
    });
  };
  let first;
  try {
    first = await findDaemon();
  } catch (err) {
    return direct(err instanceof Error ? err.message : String(err));
  }
  if (!("conn" in first)) return direct(first.reason);

  const stop = new AbortController();
  const unwatch = watchParent(runtime, () => stop.abort());
  try {
    await new Relay({
      stdin: runtime.stdin,
      stdout: runtime.stdout,
      first,
      reconnect: async () => {
        const next = await findDaemon().catch(() => null);
        return next !== null && "conn" in next ? next : null;
      },
      maxMessageBytes: spec.maxMessageBytes,
      warn: (message) => void options.warn(message),
      signal: stop.signal,
    }).run();
  } finally {
    unwatch();
  }
  return 0;
}
