// The Markdown report of one run: per server, latency, throughput, start-up, memory
// and scaling tables with the direct run as the first row; then every target, met or
// not, per server and daemon adapter.
import { marginal, TARGETS } from "./targets.mjs";

const ms = (x) => (Number.isFinite(x) ? x.toFixed(3) : "–");
const ms1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const signed = (x) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(3)}` : "–");

function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function setups(entry) {
  return [
    ["direct", entry.direct],
    ...Object.entries(entry.shoal).map(([adapter, s]) => [`shoal · ${adapter}`, s]),
  ];
}

function latencyTable(entry) {
  const d = entry.direct;
  return table(
    ["setup", "1 host p50", "p90", "p99", "added p50", "added p99", "8 hosts p50", "p90", "p99"],
    setups(entry).map(([name, s]) => [
      name,
      ms(s.latency1.p50),
      ms(s.latency1.p90),
      ms(s.latency1.p99),
      s === d ? "–" : signed(s.latency1.p50 - d.latency1.p50),
      s === d ? "–" : signed(s.latency1.p99 - d.latency1.p99),
      ms(s.latency8.p50),
      ms(s.latency8.p90),
      ms(s.latency8.p99),
    ]),
  );
}

function throughputTable(entry, config) {
  const d = entry.direct;
  const k = config.throughput.inFlight;
  const h = config.throughput.hosts;
  return table(
    ["setup", `1 host × ${k}`, `${h} hosts × ${k}`, `${h} × ${k} vs direct 1 × ${k}`],
    setups(entry).map(([name, s]) => [
      s === d ? `direct (${h} hosts = ${h} servers)` : name,
      int(s.throughput1),
      int(s.throughput8),
      `${((100 * s.throughput8) / d.throughput1).toFixed(0)}%`,
    ]),
  );
}

function cpuTable(entry, config) {
  const k = config.throughput.inFlight;
  const h = config.throughput.hosts;
  const groups = ["host", "proxies", "daemon", "server"];
  const cell = (cpu, g) => (cpu && g in cpu ? String(cpu[g]) : "–");
  const sum = (cpu) => (cpu ? String(Object.values(cpu).reduce((a, b) => a + b, 0)) : "–");
  return table(
    ["setup", "load", ...groups, "total"],
    setups(entry).flatMap(([name, s]) => [
      [name, `1 host × ${k}`, ...groups.map((g) => cell(s.cpu1, g)), sum(s.cpu1)],
      [name, `${h} hosts × ${k}`, ...groups.map((g) => cell(s.cpu8, g)), sum(s.cpu8)],
    ]),
  );
}

function startupTable(entry) {
  const d = entry.direct;
  return table(
    ["setup", "cold p50", "cold max", "warm attach p50", "p90", "max"],
    setups(entry).map(([name, s]) =>
      s === d
        ? [
          "direct (server spawn → initialize)",
          ms1(d.startup.p50),
          ms1(d.startup.max),
          "–",
          "–",
          "–",
        ]
        : [
          name,
          ms1(s.cold.p50),
          ms1(s.cold.max),
          ms1(s.warm.p50),
          ms1(s.warm.p90),
          ms1(s.warm.max),
        ]
    ),
  );
}

function memoryTable(entry) {
  const d = entry.direct;
  const shown = d.scale.map((l) => l.hosts).filter((n) => [1, 4, 16, 64].includes(n));
  const cell = (scale, n) => {
    const l = scale.find((x) => x.hosts === n);
    return l
      ? `${ms1(l.memory.total.pssMiB)} / ${
        ms1(l.memory.total.rssMiB)
      } (${l.memory.total.processes})`
      : "–";
  };
  const parts = (s) => {
    const l = s.scale.find((x) => x.hosts === 16) ?? s.scale.at(-1);
    if (s === d) return `${l.hosts} servers ${ms1(l.memory.servers.pssMiB)}`;
    const m = l.memory;
    return `server ${ms1(m.server.pssMiB)}, daemon ${ms1(m.daemon.pssMiB)}, ${l.hosts} proxies ${
      ms1(m.proxies.pssMiB)
    }`;
  };
  return table(
    [
      "setup",
      ...shown.map((n) => `N=${n} PSS / RSS (procs)`),
      "PSS per extra host (1→16)",
      "largest proxy RSS / USS",
      "daemon RSS fresh / idle",
      "PSS split at N=16",
    ],
    setups(entry).map(([name, s]) => [
      name,
      ...shown.map((n) => cell(s.scale, n)),
      ms1(safe(() => marginal(s.scale, 1, 16))),
      s === d
        ? "–"
        : `${ms1(Math.max(...s.scale.map((l) => l.memory.proxies.maxRssMiB)))} / ${
          ms1(Math.max(...s.scale.map((l) => l.memory.proxies.maxUssMiB)))
        }`,
      s === d ? "–" : `${ms1(s.daemonFresh.rssMiB)} / ${ms1(s.daemonIdle.rssMiB)}`,
      parts(s),
    ]),
  );
}

function scalingTable(entry) {
  const levels = entry.direct.scale.map((l) => l.hosts);
  return table(
    ["setup (p50 / p99 ms)", ...levels.map((n) => `${n} hosts`)],
    setups(entry).map(([name, s]) => [
      name,
      ...levels.map((n) => {
        const l = s.scale.find((x) => x.hosts === n);
        return l ? `${ms(l.latency.p50)} / ${ms(l.latency.p99)}` : "–";
      }),
    ]),
  );
}

function targetsTable(results) {
  const rows = [];
  for (const t of TARGETS) {
    for (const server of Object.keys(results.servers)) {
      const verdicts = results.targets.filter((v) => v.id === t.id && v.server === server);
      rows.push([
        t.text,
        t.limit,
        server,
        ...verdicts.map((v) => `${v.met ? "met" : "**not met**"} ${formatValue(v)}`),
      ]);
    }
  }
  const adapters = Object.keys(Object.values(results.servers)[0]?.shoal ?? {});
  return table(["target", "limit", "server", ...adapters], rows);
}

function formatValue(v) {
  if (!Number.isFinite(v.value)) return "(n/a)";
  if (v.unit === "%") return `(${v.value.toFixed(0)}%)`;
  if (v.unit === "×") return `(${v.value.toFixed(1)}×)`;
  return `(${
    v.unit === "ms" && Math.abs(v.value) < 10 ? v.value.toFixed(3) : v.value.toFixed(1)
  } ${v.unit})`;
}

function safe(f) {
  try {
    return f();
  } catch {
    return NaN;
  }
}

export function markdownReport(results) {
  const m = results.machine;
  const out = [
    `# shoal benchmark — ${results.startedAt}`,
    "",
    ...(results.label ? [`Measured: ${results.label}.`, ""] : []),
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}; ` +
    `Node ${m.node}, ${m.deno}, Bun ${m.bun}, ${m.shoal} (commit ${m.commit}, ${m.checkout}). Run took ${results.durationS} s; ` +
    `load average ${results.loadAverageAtStart.join(" ")} at the start, ${
      results.loadAverageAtEnd.join(" ")
    } at the end.`,
    "Latency in ms (round trip of one `tools/call` echo, measured in the host); " +
    "throughput in calls/s; memory in MiB summed over every process involved.",
  ];
  for (const entry of Object.values(results.servers)) {
    out.push(
      "",
      `## ${entry.label}`,
      "",
      `\`${entry.command}\``,
      "",
      "### Round-trip latency (ms)",
      "",
      latencyTable(entry),
      "",
      "### Throughput (calls/s)",
      "",
      throughputTable(entry, results.config),
      "",
      "### CPU per call while keeping calls in flight (µs, from /proc/<pid>/stat)",
      "",
      cpuTable(entry, results.config),
      "",
      "### Start-up: spawn → `initialize` answered (ms)",
      "",
      startupTable(entry),
      "",
      "### Memory: everything involved, N hosts (MiB)",
      "",
      memoryTable(entry),
      "",
      "### Scaling: all hosts calling at once, one call in flight each",
      "",
      scalingTable(entry),
    );
  }
  out.push("", "## Targets", "", targetsTable(results), "");
  return out.join("\n");
}
