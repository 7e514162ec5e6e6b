#!/usr/bin/env node
// A/B check for an optimisation: two shoal binaries, same server, rounds alternating
// A and B (so drift in machine load hits both), each round measuring warm attach,
// 1-host sequential latency and 8 hosts × 32 in flight with the CPU each process group
// spent per call. Prints the median of each measure per binary.
//
//   node bench/compare.mjs --a dist/shoal --b /tmp/other/shoal [--adapter bun] [--rounds 3]
import { parseArgs } from "node:util";
import { warmAttach } from "./attach.mjs";
import { Host, killLiveHosts } from "./host.mjs";
import { keepInFlight, sequentialCalls } from "./load.mjs";
import { processTree } from "./proc_mem.mjs";
import { summarize } from "./stats.mjs";
import { ADAPTERS, disposeAll, SERVERS, Shoal } from "./subjects.mjs";

const { values: o } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    adapter: { type: "string", default: "bun" },
    server: { type: "string", default: "echo" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
  },
});
if (!o.a || !o.b) throw new Error("Pass two binaries: --a PATH --b PATH");
const server = SERVERS[o.server];

async function round(bin) {
  ADAPTERS[o.adapter] = { ...ADAPTERS[o.adapter], command: bin, prefix: [] };
  const shoal = new Shoal(o.adapter, server);
  const hosts = [];
  try {
    for (let i = 0; i < 8; i++) hosts.push(new Host(shoal.proxySpec()));
    await Promise.all(hosts.map((h, i) => h.initialize(`ab-${i}`)));
    const warm = await warmAttach(shoal, 10);
    const latency = summarize(
      await sequentialCalls([hosts[0]], server.call, { calls: 2000, warmup: 500 }),
    );
    const d = await shoal.daemon();
    const groups = {
      host: [process.pid],
      proxies: processTree(hosts.map((h) => h.pid)),
      daemon: [d.pid],
      server: processTree(d.upstreams.map((u) => u.pid)),
    };
    const t = await keepInFlight(hosts, server.call, {
      inFlight: 32,
      warmupMs: 1000,
      measureMs: Number(o.seconds) * 1000,
    }, groups);
    return {
      warm_attach_p50_ms: warm.p50,
      latency_p50_ms: latency.p50,
      latency_p99_ms: latency.p99,
      calls_per_s: t.callsPerS,
      ...prefixed(t.cpuUsPerCall),
    };
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
    await shoal.dispose();
  }
}

function prefixed(cpu) {
  return Object.fromEntries(Object.entries(cpu).map(([k, v]) => [`cpu_${k}_us`, v]));
}

function median(values) {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

const runs = { a: [], b: [] };
try {
  for (let i = 0; i < Number(o.rounds); i++) {
    for (const key of ["a", "b"]) {
      const r = await round(o[key]);
      runs[key].push(r);
      process.stderr.write(`round ${i + 1} ${key}: ${JSON.stringify(r)}\n`);
    }
  }
} catch (err) {
  killLiveHosts();
  await disposeAll();
  throw err;
}
const keys = Object.keys(runs.a[0]);
console.log(`| measure (median of ${o.rounds}) | A ${o.a} | B ${o.b} |`);
console.log("| --- | --- | --- |");
for (const k of keys) {
  console.log(`| ${k} | ${median(runs.a.map((r) => r[k]))} | ${median(runs.b.map((r) => r[k]))} |`);
}
