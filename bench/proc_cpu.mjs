// CPU time per process group, from /proc/<pid>/stat (utime + stime, in clock ticks of
// 10 ms). Taken around a throughput window it says where each call's CPU goes: the
// host (this benchmark process), the proxies, the daemon, the server.
import { readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU ms used so far by one process (0 when it is gone). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  } catch {
    return 0;
  }
}

/** Snapshot of CPU ms per group: `{ name: pids }` → `{ name: ms }`. */
export function cpuSnapshot(groups) {
  const out = {};
  for (const [name, pids] of Object.entries(groups)) {
    out[name] = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  }
  return out;
}

/** CPU µs per call for each group between two snapshots. */
export function cpuPerCall(before, after, calls) {
  const out = {};
  for (const name of Object.keys(before)) {
    out[name] = calls > 0 ? Math.round(((after[name] - before[name]) * 1000) / calls) : NaN;
  }
  return out;
}
