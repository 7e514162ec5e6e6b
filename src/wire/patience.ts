/**
 * Waiting for a daemon's answer without mistaking a busy daemon for a hung one: past a
 * short timeout, keep waiting while the daemon's process shows signs of work (see
 * `SilenceWatch`), up to a deadline. Used for the hello of every client and for the
 * answers of control requests.
 */
import type { Runtime } from "../runtime/types.ts";
import { probeProcess } from "../state/process_start.ts";
import { OBSERVE_MS, SilenceWatch } from "./silence.ts";

/** What a reply is when the daemon was judged hung, or was still silent at the deadline. */
export const SILENT = Symbol("silent");

/** The daemon's process: its pid, and its start time when known (guards pid reuse). */
export interface DaemonProcess {
  pid: number;
  startTime: string | null;
}

/** `promise`'s value, or SILENT when it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof SILENT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof SILENT>((r) => (timer = setTimeout(() => r(SILENT), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `reply` if it comes within `timeoutMs`, or later while the daemon works, until `until`.
 * SILENT when the daemon is judged hung (or there is no process to look at), or at
 * `until`; "gone" when its process exited.
 *
 * @example
 * ```ts
 * const line = await patiently(rt, () => Promise.resolve({ pid, startTime: null }), read, 1500, Date.now() + 10_000);
 * ```
 */
export async function patiently<T>(
  runtime: Runtime,
  owner: () => Promise<DaemonProcess | null>,
  reply: Promise<T>,
  timeoutMs: number,
  until: number,
): Promise<T | typeof SILENT | "gone"> {
  const early = await within(reply, timeoutMs);
  if (early !== SILENT) return early;
  const daemon = await owner();
  if (daemon === null) return SILENT; // nothing to go on: the timeout stands
  const watch = new SilenceWatch();
  for (;;) {
    const probe = await probeProcess(runtime, daemon.pid);
    // Another process has the pid now: the daemon is gone.
    if (probe.state === "running" && daemon.startTime !== null && probe.startTime !== null) {
      if (probe.startTime !== daemon.startTime) return "gone";
    }
    const verdict = watch.observe(probe, Date.now());
    if (verdict === "gone") return "gone";
    if (verdict === "hung" || Date.now() >= until) return SILENT;
    const answer = await within(reply, Math.min(OBSERVE_MS, until - Date.now()));
    if (answer !== SILENT) return answer;
  }
}
