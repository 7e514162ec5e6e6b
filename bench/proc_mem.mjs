// Memory of a set of processes, from /proc (Linux only): RSS and PSS summed over each
// process and all its descendants. PSS (proportional set size, from smaps_rollup)
// splits shared pages between the processes that map them, so summing PSS over many
// copies of one binary does not count its text N times the way summing RSS does.
import { readdirSync, readFileSync } from "node:fs";

/** Parent pid of every live process. */
function parents() {
  const map = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: parse after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      map.set(Number(name), Number(fields[1]));
    } catch {
      // The process left while we looked.
    }
  }
  return map;
}

/** `roots` and all their live descendants. */
export function processTree(roots) {
  const ppid = parents();
  const children = new Map();
  for (const [pid, parent] of ppid) {
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(pid);
  }
  const seen = new Set();
  const stack = roots.filter((pid) => ppid.has(pid));
  while (stack.length > 0) {
    const pid = stack.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/**
 * RSS, PSS and USS (KiB) of one process; zeros when it is gone. USS (pages no other
 * process maps) is what the process costs on its own: the file pages of a binary that
 * several shoal processes run are in each one's RSS but in no one's USS.
 */
export function processMemory(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    const ussKiB = field("Private_Clean") + field("Private_Dirty");
    return { rssKiB: field("Rss"), pssKiB: field("Pss"), ussKiB };
  } catch {
    return { rssKiB: 0, pssKiB: 0, ussKiB: 0 };
  }
}

/**
 * Summed RSS, PSS and USS (MiB) of `pids` (no descendants added), how many processes,
 * and the largest single RSS and USS.
 */
export function memoryOf(pids) {
  let rssKiB = 0;
  let pssKiB = 0;
  let ussKiB = 0;
  let maxRssKiB = 0;
  let maxUssKiB = 0;
  for (const pid of pids) {
    const m = processMemory(pid);
    rssKiB += m.rssKiB;
    pssKiB += m.pssKiB;
    ussKiB += m.ussKiB;
    maxRssKiB = Math.max(maxRssKiB, m.rssKiB);
    maxUssKiB = Math.max(maxUssKiB, m.ussKiB);
  }
  return {
    processes: pids.length,
    rssMiB: mib(rssKiB),
    pssMiB: mib(pssKiB),
    ussMiB: mib(ussKiB),
    maxRssMiB: mib(maxRssKiB),
    maxUssMiB: mib(maxUssKiB),
  };
}

function mib(kib) {
  return Math.round((kib / 1024) * 10) / 10;
}
