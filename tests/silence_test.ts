/**
 * The busy-or-hung verdict on a daemon that has not said hello (pure: probes in,
 * verdicts out). The system side is in system_busy_daemon_test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Activity, ProcessProbe } from "../src/state/process_start.ts";
import { SilenceWatch, STALL_MS } from "../src/wire/silence.ts";

const running = (activity?: Partial<Activity>): ProcessProbe => ({
  state: "running",
  startTime: null,
  activity: activity && { stopped: false, runnable: false, cpuTicks: 0, ...activity },
});

test("silence: an exited daemon is gone, a stopped one is hung at once", () => {
  assert.equal(new SilenceWatch().observe({ state: "gone" }, 0), "gone");
  assert.equal(new SilenceWatch().observe({ state: "zombie" }, 0), "gone");
  assert.equal(new SilenceWatch().observe(running({ stopped: true }), 0), "hung");
});

test("silence: nothing to go on (no activity readable) keeps the plain timeout", () => {
  assert.equal(new SilenceWatch().observe(running(), 0), "hung");
});

test("silence: a daemon using CPU is waited for, however long it takes", () => {
  const watch = new SilenceWatch();
  for (let t = 0, ticks = 0; t <= 20 * STALL_MS; t += 200, ticks += 1) {
    assert.equal(watch.observe(running({ cpuTicks: ticks }), t), "wait", `at ${t} ms`);
  }
});

test("silence: a runnable daemon starved of CPU is waited for", () => {
  const watch = new SilenceWatch();
  for (let t = 0; t <= 10 * STALL_MS; t += 200) {
    assert.equal(watch.observe(running({ runnable: true, cpuTicks: 7 }), t), "wait", `at ${t} ms`);
  }
});

test("silence: a sleeping daemon with no CPU progress is hung after STALL_MS", () => {
  const watch = new SilenceWatch();
  assert.equal(watch.observe(running({ cpuTicks: 5 }), 1000), "wait");
  assert.equal(watch.observe(running({ cpuTicks: 5 }), 1000 + STALL_MS - 1), "wait");
  assert.equal(watch.observe(running({ cpuTicks: 5 }), 1000 + STALL_MS), "hung");
});

test("silence: progress restarts the stall clock; stopping mid-wait is hung", () => {
  const watch = new SilenceWatch();
  assert.equal(watch.observe(running({ cpuTicks: 1 }), 0), "wait");
  assert.equal(watch.observe(running({ cpuTicks: 1 }), STALL_MS - 100), "wait");
  assert.equal(watch.observe(running({ cpuTicks: 2 }), STALL_MS), "wait"); // worked
  assert.equal(watch.observe(running({ cpuTicks: 2 }), 2 * STALL_MS - 1), "wait");
  assert.equal(watch.observe(running({ cpuTicks: 2, stopped: true }), 2 * STALL_MS), "hung");
});

test("silence: without CPU figures (ps) only a runnable state counts as work", () => {
  const watch = new SilenceWatch();
  assert.equal(watch.observe(running({ cpuTicks: null, runnable: true }), 0), "wait");
  assert.equal(watch.observe(running({ cpuTicks: null }), STALL_MS - 1), "wait");
  assert.equal(watch.observe(running({ cpuTicks: null }), STALL_MS), "hung");
});
