#!/usr/bin/env node
// Where a call's CPU goes inside shoal: runs the daemon in the foreground under Bun's
// sampling profiler (and one proxy too), drives 8 hosts × 32 calls in flight against
// the echo fixture for a few seconds (--hosts 1 puts all of it through the profiled
// proxy), then stops everything and prints the hottest functions of each profile. Bun
// weights each sample by the time since the previous one, so idle gaps land on
// whatever ran last: trust the sample counts ("Samples" in Function Details) over the
// percentages of rarely sampled functions. Runs shoal from the sources (`bun src/main.ts`)
// so the profile names real functions; pass --root to profile another checkout.
//
//   node bench/profile.mjs [--adapter bun|node] [--hosts 8] [--seconds 5] [--root DIR] [--out DIR]
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Host, killLiveHosts } from "./host.mjs";
import { keepInFlight, sleep } from "./load.mjs";
import { processTree } from "./proc_mem.mjs";
import { formatMarkdown } from "./machine.mjs";
import { ROOT, SERVERS } from "./subjects.mjs";

const { values: o } = parseArgs({
  options: {
    adapter: { type: "string", default: "bun" },
    seconds: { type: "string", default: "5" },
    root: { type: "string", default: ROOT },
    out: { type: "string", default: resolve(ROOT, "bench/results/profile") },
    top: { type: "string", default: "25" },
    hosts: { type: "string", default: "8" },
  },
});

const bun = resolve(ROOT, "node_modules/.bin/bun");
const main = resolve(o.root, "src/main.ts");
const server = SERVERS.echo;
const stateDir = mkdtempSync("/tmp/shp-");
const env = { ...process.env, SHOAL_ADAPTER: o.adapter };
rmSync(o.out, { recursive: true, force: true });
mkdirSync(o.out, { recursive: true });
const prof = (name) => [`--cpu-prof-md`, `--cpu-prof-dir=${o.out}`, `--cpu-prof-name=${name}.md`];
const serverArgs = ["--state-dir", stateDir, "--", server.command, ...server.args];

const daemon = spawn(bun, [
  ...prof("daemon"),
  main,
  "daemon",
  "--foreground",
  "--idle",
  "0",
  ...serverArgs,
], {
  env,
  stdio: ["ignore", "ignore", "inherit"],
});
const stopDaemon = () =>
  spawn(bun, [main, "stop", "--all", "--state-dir", stateDir], { env, stdio: "inherit" });

/** Poll `status` until our foreground daemon serves (else a proxy would start another). */
async function daemonReady() {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const status = await new Promise((done) => {
      execFile(
        bun,
        [main, "status", "--json", "--state-dir", stateDir],
        { env },
        (_err, stdout) => done(stdout),
      );
    });
    try {
      if (JSON.parse(status).daemons.some((d) => d.pid === daemon.pid)) return;
    } catch {
      // Not up yet.
    }
    if (daemon.exitCode !== null) {
      throw new Error(`The profiled daemon exited (${daemon.exitCode})`);
    }
    await sleep(50);
  }
  throw new Error("The profiled daemon did not come up within 15 s");
}

try {
  await daemonReady();
  const hosts = [];
  for (let i = 0; i < Number(o.hosts); i++) {
    const prefix = i === 0 ? prof("proxy") : [];
    hosts.push(new Host({ command: bun, args: [...prefix, main, "proxy", ...serverArgs], env }));
  }
  await Promise.all(hosts.map((h, i) => h.initialize(`profile-${i}`)));
  const seconds = Number(o.seconds);
  const groups = {
    host: [process.pid],
    proxies: processTree(hosts.map((h) => h.pid)),
    daemon: [daemon.pid],
  };
  const r = await keepInFlight(hosts, server.call, {
    inFlight: 32,
    warmupMs: 500,
    measureMs: seconds * 1000,
  }, groups);
  console.log(
    `adapter ${o.adapter}: ${r.callsPerS} calls/s; CPU µs per call: ${
      JSON.stringify(r.cpuUsPerCall)
    }`,
  );
  await Promise.all(hosts.map((h) => h.close()));
} finally {
  killLiveHosts();
  await new Promise((done) => stopDaemon().once("exit", done));
  await new Promise((done) => (daemon.exitCode === null ? daemon.once("exit", done) : done()));
  rmSync(stateDir, { recursive: true, force: true });
}

await sleep(200);
for (const file of readdirSync(o.out).filter((f) => f.endsWith(".md"))) {
  formatMarkdown(resolve(o.out, file));
  console.log(`\n## ${file}: functions with the most samples (self)\n`);
  console.log(hottest(readFileSync(resolve(o.out, file), "utf8"), Number(o.top)));
}

/**
 * The functions with the most samples, from the "Function Details" section of Bun's
 * Markdown profile (`### \`name\`` then a line with the location and `Samples: N`).
 */
function hottest(md, n) {
  const lines = md.split("\n");
  const rows = [];
  let total = 0;
  for (let i = 0; i < lines.length - 1; i++) {
    const name = /^### `(.+)`$/.exec(lines[i]);
    const detail = name && /^`?([^|`]*)`?\s*\|.*Samples: (\d+)/.exec(lines[i + 1]);
    if (!detail) continue;
    rows.push({ samples: Number(detail[2]), name: name[1], where: detail[1].trim() });
    total += Number(detail[2]);
  }
  rows.sort((a, b) => b.samples - a.samples);
  const out = ["| samples | share | function | location |", "| ---: | ---: | --- | --- |"];
  for (const r of rows.slice(0, n)) {
    out.push(
      `| ${r.samples} | ${((100 * r.samples) / total).toFixed(1)} % | \`${r.name}\` | ${r.where} |`,
    );
  }
  return out.join("\n");
}
