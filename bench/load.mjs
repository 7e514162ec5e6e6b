// The load shapes: closed-loop sequential calls (latency) and a fixed number of calls
// kept in flight per host (throughput). Every call is one `tools/call` of the server's
// echo tool; a JSON-RPC error fails the benchmark instead of being counted.
import { performance } from "node:perf_hooks";
import { cpuPerCall, cpuSnapshot } from "./proc_cpu.mjs";

/** One timed call; resolves with its round trip in ms. */
function timedCall(host, params) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    host.send("tools/call", params, (message) => {
      const ms = performance.now() - started;
      if (message.error) reject(new Error(`tools/call failed: ${JSON.stringify(message.error)}`));
      else resolve(ms);
    });
  });
}

/**
 * Every host makes `calls` sequential calls (one in flight each), all hosts at once,
 * after `warmup` untimed calls each. Returns all round trips in ms.
 */
export async function sequentialCalls(hosts, params, { calls, warmup }) {
  const samples = [];
  const loop = async (host, n, keep) => {
    for (let i = 0; i < n; i++) {
      const ms = await timedCall(host, params);
      if (keep) samples.push(ms);
    }
  };
  await Promise.all(hosts.map((h) => loop(h, warmup, false)));
  await Promise.all(hosts.map((h) => loop(h, calls, true)));
  return samples;
}

/**
 * Keep `inFlight` calls outstanding on every host: each answer sends the next call
 * (all answers of one read leave in one write). Counts answers in a `measureMs` window
 * after `warmupMs`, then lets the outstanding calls drain. `groups` (name → pids) get
 * their CPU use per call over the same window. Returns `{ callsPerS, cpuUsPerCall }`.
 */
export async function keepInFlight(hosts, params, { inFlight, warmupMs, measureMs }, groups = {}) {
  const paramsJson = JSON.stringify(params);
  let counting = false;
  let running = true;
  let answered = 0;
  let failure = null;
  let outstanding = 0;
  let drained = () => {};
  for (const host of hosts) {
    let batch = "";
    const settle = (message) => {
      outstanding--;
      if (message.error) {
        failure ??= new Error(`tools/call failed: ${JSON.stringify(message.error)}`);
      }
      if (counting) answered++;
      if (running && failure === null) {
        outstanding++;
        batch += host.line("tools/call", paramsJson, settle);
      } else if (outstanding === 0) drained();
    };
    host.onChunkEnd = () => {
      if (batch === "") return;
      host.write(batch);
      batch = "";
    };
    for (let i = 0; i < inFlight; i++) {
      outstanding++;
      batch += host.line("tools/call", paramsJson, settle);
    }
    host.onChunkEnd();
  }
  await sleep(warmupMs);
  const cpuBefore = cpuSnapshot(groups);
  counting = true;
  const started = performance.now();
  await sleep(measureMs);
  counting = false;
  const elapsed = performance.now() - started;
  const count = answered;
  const cpuUsPerCall = cpuPerCall(cpuBefore, cpuSnapshot(groups), count);
  running = false;
  await new Promise((resolve) => {
    drained = resolve;
    if (outstanding === 0) resolve();
  });
  for (const host of hosts) host.onChunkEnd = undefined;
  if (failure) throw failure;
  return { callsPerS: Math.round((count * 1000) / elapsed), cpuUsPerCall };
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
