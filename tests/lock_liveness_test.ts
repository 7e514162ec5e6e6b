/**
 * The lock record format and the process half of the liveness verdict, against real
 * processes: alive, dead (SIGKILLed and reaped), and pid reuse (alive pid, other start
 * time) — which must count as stale.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { acquireLock } from "../src/state/lock.ts";
import { judgeLiveness } from "../src/state/lock_liveness.ts";
import {
  type LockRecord,
  parseLockOwner,
  parseLockRecord,
  serializeLockRecord,
} from "../src/state/lock_record.ts";
import { probeWithProcfs, probeWithPs, readProcessStart } from "../src/state/process_start.ts";
import { testIf } from "./_test_if.ts";
import { waitFor } from "./harness/cleanup.ts";
import { testDeps } from "./fixtures/lock_deps.ts";

const info = { protocol: 1, version: "0.1.0", build: "b", socket: "/tmp/s.sock" };
const hasProcfs = existsSync("/proc/self/stat");
const hasPs = existsSync("/bin/ps") || existsSync("/usr/bin/ps");

/** A real, idle process of our own to judge; killed and reaped by `stop()`. */
async function startSleeper() {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.on("spawn", resolve);
    child.on("error", reject);
  });
  return {
    pid: child.pid!,
    async stop() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

function record(fields: Partial<LockRecord>): LockRecord {
  return {
    pid: 1,
    startTime: null,
    nonce: "n",
    protocol: 1,
    version: "v",
    build: "b",
    socket: "/s",
    createdAt: 1,
    ...fields,
  };
}

test("lock record: round trip, tolerant of unknown and missing fields", { timeout: 5_000 }, () => {
  const full = record({ pid: 42, startTime: "linux:boot:7", nonce: "abc", createdAt: 9 });
  const text = serializeLockRecord(full);
  assert.ok(text.endsWith("}\n") && !text.slice(0, -1).includes("\n"));
  assert.deepEqual(parseLockRecord(text), full);
  assert.deepEqual(parseLockRecord('{"pid":7,"nonce":"x","future":{"a":1}}'), {
    pid: 7,
    startTime: null,
    nonce: "x",
    protocol: 0,
    version: "",
    build: "",
    socket: "",
    createdAt: 0,
  });
  assert.deepEqual(parseLockOwner(text), {
    pid: 42,
    startTime: "linux:boot:7",
    nonce: "abc",
    createdAt: 9,
  });
});

test("lock record: corrupt, empty and unsafe records parse as null", { timeout: 5_000 }, () => {
  const bad = [
    "",
    "\n",
    "{",
    '{"pid": garbage',
    "[]",
    "null",
    "42",
    '"text"',
    '{"nonce":"x"}',
    '{"pid":1}',
    '{"pid":1,"nonce":""}',
    '{"pid":0,"nonce":"x"}', // kill(0, 0) would probe our own process group
    '{"pid":-5,"nonce":"x"}',
    '{"pid":1.5,"nonce":"x"}',
    '{"pid":"1","nonce":"x"}',
  ];
  for (const text of bad) assert.equal(parseLockRecord(text), null, text);
});

test("process probe: procfs and ps agree on running and gone processes", {
  timeout: 10_000,
}, async () => {
  const sleeper = await startSleeper();
  const start = await readProcessStart(testDeps, sleeper.pid);
  assert.equal(typeof start, "string");
  if (hasProcfs) {
    const probe = await probeWithProcfs(testDeps, sleeper.pid);
    assert.ok(probe.state === "running");
    assert.equal(probe.startTime, start);
    assert.equal(probe.activity?.stopped, false);
    assert.equal(typeof probe.activity?.cpuTicks, "number");
  }
  let psStart: string | null = null;
  if (hasPs) {
    const probe = await probeWithPs(testDeps, sleeper.pid);
    assert.equal(probe.state, "running");
    psStart = probe.state === "running" ? probe.startTime : null;
    assert.match(psStart ?? "", /^ps:\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}$/);
    assert.deepEqual(await probeWithPs(testDeps, sleeper.pid), probe); // stable
    assert.deepEqual(probe.state === "running" && probe.activity, { stopped: false, runnable: false, cpuTicks: null });
  }
  await sleeper.stop();
  assert.equal(await readProcessStart(testDeps, sleeper.pid), null);
  if (hasProcfs) assert.deepEqual(await probeWithProcfs(testDeps, sleeper.pid), { state: "gone" });
  if (hasPs) assert.deepEqual(await probeWithPs(testDeps, sleeper.pid), { state: "gone" });
});

test("process probe: a spinning process shows CPU progress; a SIGSTOP'd one shows stopped and none", {
  timeout: 15_000,
}, async () => {
  const spinner = spawn("node", ["-e", "for (;;) {}"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => spinner.on("exit", () => resolve()));
  const pid = spinner.pid!;
  const activity = async (probe: typeof probeWithPs) => {
    const p = await probe(testDeps, pid);
    assert.equal(p.state, "running");
    return p.state === "running" ? p.activity! : null;
  };
  try {
    await new Promise((r) => setTimeout(r, 300));
    if (hasProcfs) {
      const before = await activity(probeWithProcfs);
      await new Promise((r) => setTimeout(r, 300));
      const after = await activity(probeWithProcfs);
      assert.equal(after!.stopped, false);
      assert.ok(after!.cpuTicks! > before!.cpuTicks!, `CPU ticks advance: ${before!.cpuTicks} → ${after!.cpuTicks}`);
    }
    process.kill(pid, "SIGSTOP");
    await new Promise((r) => setTimeout(r, 100));
    if (hasProcfs) {
      const first = await activity(probeWithProcfs);
      await new Promise((r) => setTimeout(r, 300));
      const later = await activity(probeWithProcfs);
      assert.deepEqual({ ...first!, runnable: false }, { ...later!, runnable: false }, "no progress while stopped");
      assert.equal(later!.stopped, true);
    }
    if (hasPs) assert.equal((await activity(probeWithPs))!.stopped, true);
  } finally {
    spinner.kill("SIGKILL");
    await exited;
  }
});

testIf(hasProcfs, "process probe: a busy worker thread counts as work while the main thread sleeps", {
  timeout: 15_000,
}, async () => {
  // Like a daemon whose event loop waits for a worker thread writing its log.
  // The worker says it is up just before it starts spinning; only then is "ready" printed.
  const script = 'const w = new (require("node:worker_threads").Worker)(' +
    '"require(\'node:worker_threads\').parentPort.postMessage(1); for (;;) {}", { eval: true }); ' +
    'w.once("message", () => console.log("ready")); setInterval(() => {}, 1000)';
  const busy = spawn("node", ["-e", script], { stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise<void>((resolve) => busy.on("exit", () => resolve()));
  try {
    await new Promise((resolve) => busy.stdout!.once("data", resolve));
    const mainState = () => {
      const main = readFileSync(`/proc/${busy.pid}/stat`, "utf8");
      return main.slice(main.lastIndexOf(")") + 2)[0];
    };
    await waitFor(() => mainState() === "S", { what: "the main thread to sleep" });
    const probe = await probeWithProcfs(testDeps, busy.pid!);
    assert.ok(probe.state === "running" && probe.activity?.runnable === true, JSON.stringify(probe));
  } finally {
    busy.kill("SIGKILL");
    await exited;
  }
});

testIf(
  hasProcfs,
  "process probe: procfs start time survives a command name with spaces and parens",
  {
    timeout: 5_000,
  },
  async () => {
    const fs = {
      ...testDeps.fs,
      readTextFile: (path: string) =>
        path === "/proc/77/stat"
          ? Promise.resolve(
            "77 (a) b (c) S 1 77 77 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456 1 2\n",
          )
          : testDeps.fs.readTextFile(path),
    };
    const probe = await probeWithProcfs({ ...testDeps, fs }, 77);
    assert.equal(probe.state, "running");
    assert.match(
      probe.state === "running" ? probe.startTime ?? "" : "",
      /^linux:[0-9a-f-]*:123456$/,
    );
  },
);

test("liveness: alive with the same start time, reused with another, dead once reaped", {
  timeout: 10_000,
}, async () => {
  const sleeper = await startSleeper();
  const startTime = await readProcessStart(testDeps, sleeper.pid);
  try {
    assert.equal(await judgeLiveness(testDeps, { pid: sleeper.pid, startTime }), "alive");
    // Same pid, different start time: the pid now belongs to another process.
    assert.equal(
      await judgeLiveness(testDeps, { pid: sleeper.pid, startTime: `${startTime}0` }),
      "reused",
    );
    // No start time recorded: reuse cannot be proven, so the pid decides.
    assert.equal(await judgeLiveness(testDeps, { pid: sleeper.pid, startTime: null }), "alive");
  } finally {
    await sleeper.stop();
  }
  assert.equal(await judgeLiveness(testDeps, { pid: sleeper.pid, startTime }), "dead");
  assert.equal(await judgeLiveness(testDeps, { pid: sleeper.pid, startTime: null }), "dead");
});

test("acquireLock: a record whose pid is alive but whose start time differs is stale", {
  timeout: 10_000,
}, async () => {
  const dir = mkdtempSync("/tmp/sh-");
  const sleeper = await startSleeper();
  try {
    const lock = join(dir, "k.lock");
    const startTime = await readProcessStart(testDeps, sleeper.pid);
    // The true owner alive: taken, the file untouched.
    const live = serializeLockRecord(record({ pid: sleeper.pid, startTime, nonce: "live" }));
    writeFileSync(lock, live);
    const taken = await acquireLock(testDeps, lock, info);
    assert.equal(taken.won, false);
    assert.deepEqual(taken.won ? null : [taken.record?.nonce, taken.liveness], ["live", "alive"]);
    assert.equal(readFileSync(lock, "utf8"), live);
    // Same live pid, other start time (pid reuse): cleared and won.
    writeFileSync(lock, serializeLockRecord(record({ pid: sleeper.pid, startTime: "linux:x:1" })));
    const verdict = await acquireLock(testDeps, lock, info);
    assert.equal(verdict.won, true);
    assert.equal(JSON.parse(readFileSync(lock, "utf8")).pid, testDeps.pid);
    assert.equal(await judgeLiveness(testDeps, { pid: sleeper.pid, startTime }), "alive");
    if (verdict.won) assert.equal(await verdict.lock.release(), true);
  } finally {
    await sleeper.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
