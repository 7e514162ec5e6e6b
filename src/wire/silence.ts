/**
 * Telling a busy daemon from a hung one. A daemon that accepted a connection but has not
 * said hello is either hung (stopped by a signal or a debugger, wedged in a system call,
 * its accept loop dead) or merely busy (starved of CPU on a loaded machine, in a long
 * GC, paging). A flat timeout cannot tell them apart, and getting it wrong is costly:
 * on a loaded CI machine fifty proxies waiting on one starved daemon all gave up at the
 * same instant and each ran a server of its own. So once the hello timeout passes, the
 * proxy looks at the daemon process itself (pid from the election lock) and keeps
 * waiting while it shows signs of work. Pure: the caller brings the probes and the clock.
 */
import type { ProcessProbe } from "../state/process_start.ts";

/** How long a silent daemon may show no sign of work before it counts as hung. */
export const STALL_MS = 1000;
/** How often a silent daemon is looked at once the hello timeout has passed. */
export const OBSERVE_MS = 200;

/**
 * - `gone`: the process has exited (its connection will close; try again);
 * - `hung`: stopped, or no sign of work for {@link STALL_MS}, or nothing to go on;
 * - `wait`: it is working (running, runnable or using CPU); give it more time.
 */
export type SilenceVerdict = "gone" | "hung" | "wait";

/**
 * Judge a silent daemon from successive probes of its process.
 *
 * @example
 * ```ts
 * const watch = new SilenceWatch();
 * while (watch.observe(await probeProcess(rt, pid), Date.now()) === "wait") await sleep(OBSERVE_MS);
 * ```
 */
export class SilenceWatch {
  #ticks: number | null = null;
  #quietSince: number | null = null;

  observe(probe: ProcessProbe, now: number): SilenceVerdict {
    if (probe.state !== "running") return "gone";
    const activity = probe.activity;
    if (activity === undefined || activity.stopped) return "hung";
    const used = activity.cpuTicks;
    const progressed = activity.runnable || (used !== null && this.#ticks !== null && used > this.#ticks);
    this.#ticks = used;
    if (progressed || this.#quietSince === null) this.#quietSince = now;
    return now - this.#quietSince >= STALL_MS ? "hung" : "wait";
  }
}
