#!/usr/bin/env node
// `npm run bench`: drive each server directly and through `shoal proxy` on every
// runtime adapter, side by side in one run; print a Markdown table and JSON, and
// write both to bench/results/latest.{md,json}. Method and targets: BENCHMARKS.md.
//
//   node bench/run.mjs [--quick] [--servers echo,everything] [--adapters bun,node,deno]
//                      [--root DIR]   (benchmark another checkout's dist/shoal and src/)
//                      [--label TEXT] (what was measured, kept in the results)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { coldStart, directStartup, warmAttach } from "./attach.mjs";
import { Host, killLiveHosts } from "./host.mjs";
import { keepInFlight, sequentialCalls, sleep } from "./load.mjs";
import { formatMarkdown, machine } from "./machine.mjs";
import { memoryOf, processTree } from "./proc_mem.mjs";
import { markdownReport } from "./report.mjs";
import { scaleHosts } from "./scale.mjs";
import { summarize } from "./stats.mjs";
import {
  ADAPTERS,
  directSpec,
  disposeAll,
  ROOT,
  SERVERS,
  Shoal,
  useCheckout,
} from "./subjects.mjs";
import { evaluateTargets } from "./targets.mjs";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    servers: { type: "string", default: Object.keys(SERVERS).join(",") },
    adapters: { type: "string", default: Object.keys(ADAPTERS).join(",") },
    root: { type: "string", default: ROOT },
    label: { type: "string", default: "" },
  },
});
useCheckout(resolve(flags.root));

const q = flags.quick ? 0.2 : 1; // --quick: a smoke run of the whole pipeline
const n = (x, min = 1) => Math.max(min, Math.round(x * q));
export const CONFIG = {
  latency: { calls: n(2000, 100), warmup: n(500, 50) },
  concurrent: { hosts: 8, callsPerHost: n(250, 20), warmup: n(50, 10) },
  throughput: { inFlight: 32, hosts: 8, warmupMs: n(1000, 300), measureMs: n(3000, 600) },
  startup: { cold: n(5, 2), warm: n(20, 4), direct: n(5, 2) },
  scale: {
    levels: flags.quick ? [1, 4, 16] : [1, 2, 4, 8, 16, 32, 64],
    callsTotal: n(2048, 256),
    minCallsPerHost: n(32, 8),
    warmupPerHost: n(20, 4),
  },
};

/**
 * Pause between the last host leaving and the idle-daemon memory reading: past the
 * daemon's collection one second after the last host leaves (src/daemon/daemon.ts).
 */
const IDLE_SETTLE_MS = 2000;

const pick = (list, table, what) =>
  list.split(",").filter(Boolean).map((name) => {
    if (!(name in table)) {
      throw new Error(`Unknown ${what} "${name}": choose from ${Object.keys(table).join(", ")}`);
    }
    return name;
  });
const serverNames = pick(flags.servers, SERVERS, "server");
const adapterNames = pick(flags.adapters, ADAPTERS, "adapter");

const say = (text) => process.stderr.write(`[bench ${elapsed()}] ${text}\n`);
const begun = Date.now();
const elapsed = () => `${((Date.now() - begun) / 1000).toFixed(0).padStart(3)}s`;

async function directRun(server) {
  const spec = directSpec(server);
  const out = {};
  say(`${server.label}: direct start-up`);
  out.startup = await directStartup(spec, CONFIG.startup.direct);
  const hosts = [];
  try {
    for (let i = 0; i < CONFIG.concurrent.hosts; i++) hosts.push(new Host(spec));
    await Promise.all(hosts.map((h, i) => h.initialize(`direct-${i}`)));
    await measureLoad(
      server,
      out,
      hosts,
      "direct",
      (hs) => ({ server: processTree(hs.map((h) => h.pid)) }),
    );
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
  say(`${server.label}: direct scaling ${CONFIG.scale.levels.join(",")}`);
  out.scale = await scaleHosts({
    ...CONFIG.scale,
    spec: () => spec,
    params: server.call,
    parts: (hs) => ({ servers: processTree(hs.map((h) => h.pid)) }),
  });
  return out;
}

/** Latency (1 host, then 8 at once) and throughput (1 × 32, 8 × 32) on ready hosts. */
async function measureLoad(server, out, hosts, label, groupsOf) {
  const c = CONFIG;
  say(`${server.label}: ${label} latency`);
  out.latency1 = summarize(await sequentialCalls([hosts[0]], server.call, c.latency));
  out.latency8 = summarize(
    await sequentialCalls(hosts, server.call, {
      calls: c.concurrent.callsPerHost,
      warmup: c.concurrent.warmup,
    }),
  );
  say(`${server.label}: ${label} throughput`);
  const t = c.throughput;
  for (const [key, group] of [["1", [hosts[0]]], ["8", hosts.slice(0, t.hosts)]]) {
    const r = await keepInFlight(group, server.call, t, {
      host: [process.pid],
      ...(await groupsOf(group)),
    });
    out[`throughput${key}`] = r.callsPerS;
    out[`cpu${key}`] = r.cpuUsPerCall;
  }
}

async function shoalRun(server, adapterName) {
  const shoal = new Shoal(adapterName, server);
  const out = { stateDir: shoal.stateDir };
  const tag = `${server.label} via shoal/${adapterName}`;
  try {
    say(`${tag}: cold start`);
    out.cold = await coldStart(shoal, CONFIG.startup.cold);
    const hosts = [new Host(shoal.proxySpec())];
    try {
      await hosts[0].initialize("anchor");
      const daemon = await shoal.daemon();
      out.daemonAdapter = daemon.adapter;
      if (daemon.adapter !== adapterName) {
        throw new Error(`Daemon runs the ${daemon.adapter} adapter, expected ${adapterName}`);
      }
      out.daemonFresh = daemonMemory(daemon.pid);
      say(`${tag}: warm attach`);
      out.warm = await warmAttach(shoal, CONFIG.startup.warm);
      while (hosts.length < CONFIG.concurrent.hosts) hosts.push(new Host(shoal.proxySpec()));
      await Promise.all(hosts.slice(1).map((h, i) => h.initialize(`host-${i + 1}`)));
      await measureLoad(server, out, hosts, `shoal/${adapterName}`, async (hs) => {
        const d = await shoal.daemon();
        return {
          proxies: processTree(hs.map((h) => h.pid)),
          daemon: [d.pid],
          server: processTree(d.upstreams.map((u) => u.pid)),
        };
      });
    } finally {
      await Promise.all(hosts.map((h) => h.close()));
    }
    await sleep(IDLE_SETTLE_MS);
    const daemon = await shoal.daemon();
    out.daemonIdle = daemonMemory(daemon.pid);
    say(`${tag}: scaling ${CONFIG.scale.levels.join(",")}`);
    out.scale = await scaleHosts({
      ...CONFIG.scale,
      spec: () => shoal.proxySpec(),
      params: server.call,
      parts: async (hs) => {
        const d = await shoal.daemon();
        return {
          server: processTree(d.upstreams.map((u) => u.pid)),
          daemon: [d.pid],
          proxies: processTree(hs.map((h) => h.pid)),
        };
      },
    });
  } finally {
    await shoal.dispose();
  }
  return out;
}

/** The daemon process alone (its server is a child and is not counted). */
function daemonMemory(pid) {
  const { rssMiB, pssMiB, ussMiB } = memoryOf([pid]);
  return { rssMiB, pssMiB, ussMiB };
}

async function main() {
  const busy = loadavg()[0];
  if (busy > 0.5) {
    say(`warning: load average ${busy.toFixed(2)}: other work on this machine skews the numbers`);
  }
  const results = {
    startedAt: new Date(begun).toISOString(),
    label: flags.label,
    machine: await machine(resolve(flags.root)),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    config: CONFIG,
    servers: {},
  };
  for (const name of serverNames) {
    const server = SERVERS[name];
    const entry = {
      label: server.label,
      command: [server.command, ...server.args].join(" "),
      direct: null,
      shoal: {},
    };
    results.servers[name] = entry;
    entry.direct = await directRun(server);
    for (const adapter of adapterNames) entry.shoal[adapter] = await shoalRun(server, adapter);
  }
  results.durationS = Math.round((Date.now() - begun) / 1000);
  results.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  results.targets = evaluateTargets(results);
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const mdPath = resolve(dir, "latest.md");
  writeFileSync(mdPath, markdownReport(results));
  formatMarkdown(mdPath);
  writeFileSync(resolve(dir, "latest.json"), JSON.stringify(results, null, 2) + "\n");
  const md = readFileSync(mdPath, "utf8");
  process.stdout.write(`${md}\n\`\`\`json\n${JSON.stringify(results)}\n\`\`\`\n`);
  say(`done; wrote bench/results/latest.md and latest.json`);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    killLiveHosts();
    await disposeAll();
    process.exit(130);
  });
}
try {
  await main();
} catch (err) {
  killLiveHosts();
  await disposeAll();
  process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
  process.exit(1);
}
