/**
 * Stale clearing goes through the breaker, and the breaker neither lets two clearers in
 * nor lets a crashed clearer wedge the lock. A corrupt or empty lock file is garbage
 * (records are published whole by link), yet it is deleted only under the breaker:
 * a live process holding the breaker for those bytes blocks the clearing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquireLock } from "../src/state/lock.ts";
import { breakerPath } from "../src/state/lock_breaker.ts";
import { serializeLockOwner, serializeLockRecord } from "../src/state/lock_record.ts";
import { readProcessStart } from "../src/state/process_start.ts";
import { testDeps } from "./fixtures/lock_deps.ts";

const info = { protocol: 1, version: "0.1.0", build: "b", socket: "/tmp/s.sock" };
const encoder = new TextEncoder();

async function withLockDir(fn: (lock: string, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync("/tmp/sh-");
  try {
    await fn(join(dir, "k.lock"), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pid of a process that existed and is now gone (SIGKILLed and reaped). */
async function deadPid(): Promise<number> {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  await new Promise((resolve) => child.on("spawn", resolve));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  return child.pid!;
}

/** A breaker claim file at `path` as a process `pid` would have written it. */
function writeClaim(path: string, pid: number, startTime: string | null): void {
  writeFileSync(path, serializeLockOwner({ pid, startTime, nonce: "claim", createdAt: 1 }));
}

const ownStart = () => readProcessStart(testDeps, testDeps.pid);
const ageFile = (path: string) => utimesSync(path, new Date(0), new Date(0));

for (const [what, content] of [["A corrupt", '{"pid": garb'], ["An empty", ""]] as const) {
  test(`${what} lock file is cleared only through the breaker`, { timeout: 10_000 }, async () => {
    await withLockDir(async (lock, dir) => {
      writeFileSync(lock, content);
      const claim = breakerPath(lock, encoder.encode(content), 0);
      writeClaim(claim, testDeps.pid, await ownStart()); // a live clearer holds the breaker
      const blocked = await acquireLock(testDeps, lock, { ...info, waitMs: 300 });
      assert.deepEqual(blocked, { won: false, record: null, liveness: "corrupt" });
      assert.equal(readFileSync(lock, "utf8"), content); // not deleted behind the breaker's back
      rmSync(claim); // the clearer is done
      const verdict = await acquireLock(testDeps, lock, info);
      assert.equal(verdict.won, true);
      assert.deepEqual(readdirSync(dir), ["k.lock"]);
      if (verdict.won) await verdict.lock.release();
    });
  });
}

test("a dead owner's lock is not cleared while a live process holds its breaker", {
  timeout: 10_000,
}, async () => {
  await withLockDir(async (lock) => {
    const stale = serializeLockRecord({
      pid: await deadPid(),
      startTime: null,
      nonce: "stale",
      ...info,
      createdAt: 1,
    });
    writeFileSync(lock, stale);
    writeClaim(breakerPath(lock, encoder.encode(stale), 0), testDeps.pid, await ownStart());
    const blocked = await acquireLock(testDeps, lock, { ...info, waitMs: 200 });
    assert.equal(blocked.won, false);
    assert.deepEqual(blocked.won ? null : [blocked.record?.nonce, blocked.liveness], [
      "stale",
      "dead",
    ]);
    assert.equal(readFileSync(lock, "utf8"), stale);
    // A breaker held for other bytes does not block these.
    writeFileSync(lock, stale.replace("stale", "other"));
    const verdict = await acquireLock(testDeps, lock, info);
    assert.equal(verdict.won, true);
    if (verdict.won) await verdict.lock.release();
  });
});

test("a breaker left by a crashed clearer does not wedge the lock: the next generation clears", {
  timeout: 10_000,
}, async () => {
  await withLockDir(async (lock, dir) => {
    writeFileSync(lock, "garbage");
    const bytes = encoder.encode("garbage");
    const dead = await deadPid();
    writeClaim(breakerPath(lock, bytes, 0), dead, "linux:x:1");
    writeClaim(breakerPath(lock, bytes, 1), testDeps.pid, `${await ownStart()}9`); // pid reused
    const verdict = await acquireLock(testDeps, lock, info);
    assert.equal(verdict.won, true);
    // Generation 2 did the clearing; the dead generations were pruned after the delete.
    assert.deepEqual(readdirSync(dir), ["k.lock"]);
    if (verdict.won) await verdict.lock.release();
  });
});

test("an unjudgeable breaker blocks until its mtime is older than the stale timeout", {
  timeout: 10_000,
}, async () => {
  await withLockDir(async (lock, dir) => {
    writeFileSync(lock, "garbage");
    const claim = breakerPath(lock, encoder.encode("garbage"), 0);
    for (
      const write of [
        () => writeFileSync(claim, "{half"),
        () => writeClaim(claim, testDeps.pid, null),
      ]
    ) {
      write(); // unparseable, or a live pid whose start time is unknown
      const blocked = await acquireLock(testDeps, lock, { ...info, waitMs: 200 });
      assert.equal(blocked.won, false);
      assert.equal(readFileSync(lock, "utf8"), "garbage");
      ageFile(claim);
      const verdict = await acquireLock(testDeps, lock, info);
      assert.equal(verdict.won, true);
      assert.deepEqual(readdirSync(dir), ["k.lock"]);
      if (verdict.won) await verdict.lock.release();
      writeFileSync(lock, "garbage");
    }
  });
});
