// The performance targets of DESIGN.md, each judged on the numbers of one run, per
// server and per daemon adapter. Added latency and throughput compare against the
// same server driven directly in the same run.

/** The best correct peer we measured (an HTTP gateway): 4k calls/s with 8 clients. */
export const PEER_CALLS_PER_S = 4000;

export const TARGETS = [
  {
    id: "added_p50",
    text: "added round-trip latency p50 (1 host, sequential)",
    limit: "≤ 0.2 ms",
    unit: "ms",
    value: (d, s) => s.latency1.p50 - d.latency1.p50,
    met: (v) => v <= 0.2,
  },
  {
    id: "added_p99",
    text: "added round-trip latency p99 (1 host, sequential)",
    limit: "≤ 1 ms",
    unit: "ms",
    value: (d, s) => s.latency1.p99 - d.latency1.p99,
    met: (v) => v <= 1,
  },
  {
    id: "throughput_share",
    text: "8 hosts × 32 in flight through shoal vs 1 host × 32 direct",
    limit: "≥ 50%",
    unit: "%",
    value: (d, s) => (100 * s.throughput8) / d.throughput1,
    met: (v) => v >= 50,
  },
  {
    id: "throughput_peer",
    text: "8 hosts × 32 in flight through shoal vs the best peer (4k calls/s)",
    limit: "≥ 10× (40k calls/s)",
    unit: "×",
    value: (_d, s) => s.throughput8 / PEER_CALLS_PER_S,
    met: (v) => v >= 10,
  },
  {
    id: "warm_attach",
    text: "warm attach: proxy spawn → initialize answered (p50)",
    limit: "≤ 25 ms",
    unit: "ms",
    value: (_d, s) => s.warm.p50,
    met: (v) => v <= 25,
  },
  {
    id: "marginal_pss",
    text: "marginal memory per extra host, PSS (N = 1 → 16)",
    limit: "≤ 12 MiB",
    unit: "MiB",
    value: (_d, s) => marginal(s.scale, 1, 16),
    met: (v) => v <= 12,
  },
  {
    id: "proxy_rss",
    text: "proxy RSS (largest proxy, any N)",
    limit: "≤ 25 MiB",
    unit: "MiB",
    value: (_d, s) => Math.max(...s.scale.map((l) => l.memory.proxies.maxRssMiB)),
    met: (v) => v <= 25,
  },
  {
    id: "idle_daemon_rss",
    text: "idle daemon RSS, server excluded (after the load, no host attached)",
    limit: "≤ 40 MiB",
    unit: "MiB",
    value: (_d, s) => s.daemonIdle.rssMiB,
    met: (v) => v <= 40,
  },
  {
    id: "memory_vs_direct",
    text: "total PSS for 16 hosts: shoal vs 16 direct servers",
    limit: "below direct",
    unit: "%",
    value: (d, s) =>
      (100 * level(s.scale, 16).memory.total.pssMiB) / level(d.scale, 16).memory.total.pssMiB,
    met: (v) => v < 100,
  },
];

function level(scale, hosts) {
  const found = scale.find((l) => l.hosts === hosts);
  if (found === undefined) throw new Error(`No measurement at ${hosts} hosts`);
  return found;
}

/** PSS added per host between `from` and `to` hosts, in MiB. */
export function marginal(scale, from, to) {
  return (level(scale, to).memory.total.pssMiB - level(scale, from).memory.total.pssMiB) /
    (to - from);
}

/** One verdict per target, server and adapter. */
export function evaluateTargets(results) {
  const verdicts = [];
  for (const [server, entry] of Object.entries(results.servers)) {
    for (const [adapter, shoal] of Object.entries(entry.shoal)) {
      for (const t of TARGETS) {
        let value;
        try {
          value = t.value(entry.direct, shoal);
        } catch {
          value = NaN; // a quick run may lack the level a target needs
        }
        const rounded = Math.round(value * 1000) / 1000;
        verdicts.push({
          id: t.id,
          server,
          adapter,
          value: rounded,
          unit: t.unit,
          limit: t.limit,
          met: t.met(value),
        });
      }
    }
  }
  return verdicts;
}
