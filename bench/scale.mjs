// Hosts grow 1 → 64 on one setup (direct: one server per host; shoal: one proxy per
// host, one daemon, one server). At every level all hosts make sequential calls at
// once (latency under contention), then the memory of everything involved is taken.
import { Host } from "./host.mjs";
import { sequentialCalls } from "./load.mjs";
import { memoryOf } from "./proc_mem.mjs";
import { summarize } from "./stats.mjs";

/**
 * @param {object} o
 * @param {() => object} o.spec how one host starts its server (or proxy)
 * @param {object} o.params the tools/call params
 * @param {number[]} o.levels host counts, ascending
 * @param {number} o.callsTotal calls per level, split between the hosts
 * @param {number} o.minCallsPerHost
 * @param {(hosts: Host[]) => Promise<Record<string, number[]>>} o.parts pids by role
 */
export async function scaleHosts(o) {
  const hosts = [];
  const levels = [];
  try {
    for (const n of o.levels) {
      const fresh = [];
      while (hosts.length < n) {
        const host = new Host(o.spec());
        hosts.push(host);
        fresh.push(host);
      }
      await Promise.all(
        fresh.map((h, i) => h.initialize(`scale-${hosts.length - fresh.length + i}`)),
      );
      const calls = Math.max(o.minCallsPerHost, Math.ceil(o.callsTotal / n));
      const samples = await sequentialCalls(hosts, o.params, { calls, warmup: o.warmupPerHost });
      const parts = await o.parts(hosts);
      const memory = {};
      for (const [role, pids] of Object.entries(parts)) memory[role] = memoryOf(pids);
      memory.total = memoryOf(Object.values(parts).flat());
      levels.push({ hosts: n, latency: summarize(samples), memory });
    }
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
  return levels;
}
