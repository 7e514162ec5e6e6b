/**
 * The won lock: its record, compare-and-delete release, the self-check, and the sweep
 * of leftovers from crashed contenders that runs after a win.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { acquireLock } from "../src/state/lock.ts";
import { breakerPath } from "../src/state/lock_breaker.ts";
import { parseLockRecord, serializeLockOwner } from "../src/state/lock_record.ts";
import { readProcessStart } from "../src/state/process_start.ts";
import { testDeps } from "./fixtures/lock_deps.ts";

const info = { protocol: 3, version: "9.9.9", build: "build-x", socket: "/tmp/k.sock" };

async function withLockDir(fn: (lock: string, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync("/tmp/sh-");
  try {
    await fn(join(dir, "k.lock"), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("acquireLock: the winner's full record, private, and no temp file left", {
  timeout: 10_000,
}, async () => {
  await withLockDir(async (lock, dir) => {
    const before = Date.now();
    const verdict = await acquireLock(testDeps, lock, info);
    assert.ok(verdict.won);
    const record = parseLockRecord(readFileSync(lock, "utf8"));
    assert.deepEqual(record, verdict.lock.record);
    assert.equal(record?.pid, testDeps.pid);
    assert.equal(record?.startTime, await readProcessStart(testDeps, testDeps.pid));
    assert.match(record?.nonce ?? "", /^[0-9a-f]{32}$/);
    assert.deepEqual(
      [record?.protocol, record?.version, record?.build, record?.socket],
      [3, "9.9.9", "build-x", "/tmp/k.sock"],
    );
    assert.ok(record!.createdAt >= before && record!.createdAt <= Date.now());
    assert.equal(lstatSync(lock).mode & 0o077, 0);
    assert.deepEqual(readdirSync(dir), ["k.lock"]);
    // A second election by a live owner (even ourselves) is lost, with the holder's record.
    const again = await acquireLock(testDeps, lock, info);
    assert.deepEqual(again, { won: false, record, liveness: "alive" });
    assert.deepEqual(readdirSync(dir), ["k.lock"]);
    assert.equal(await verdict.lock.isHeld(), true);
    assert.equal(await verdict.lock.release(), true);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(await verdict.lock.release(), false); // idempotent
    assert.equal(await verdict.lock.isHeld(), false);
  });
});

test("release is compare-and-delete: another owner's file is never removed", {
  timeout: 10_000,
}, async () => {
  await withLockDir(async (lock) => {
    const verdict = await acquireLock(testDeps, lock, info);
    assert.ok(verdict.won);
    // Someone replaced the file (e.g. we were judged stale during a suspend).
    const theirs = readFileSync(lock, "utf8").replace(verdict.lock.record.nonce, "f".repeat(32));
    writeFileSync(lock, theirs);
    assert.equal(await verdict.lock.isHeld(), false);
    assert.equal(await verdict.lock.release(), false);
    assert.equal(readFileSync(lock, "utf8"), theirs);
    writeFileSync(lock, "garbage");
    assert.equal(await verdict.lock.release(), false);
    assert.equal(readFileSync(lock, "utf8"), "garbage");
  });
});

test("a win sweeps leftovers of dead contenders and keeps those of live ones", {
  timeout: 10_000,
}, async () => {
  await withLockDir(async (lock, dir) => {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    await new Promise((resolve) => child.on("spawn", resolve));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    const dead = serializeLockOwner({ pid: child.pid!, startTime: null, nonce: "d", createdAt: 1 });
    const live = serializeLockOwner({
      pid: testDeps.pid,
      startTime: await readProcessStart(testDeps, testDeps.pid),
      nonce: "l",
      createdAt: 1,
    });
    const gone = new TextEncoder().encode("bytes long gone");
    writeFileSync(`${lock}.aaaa.tmp`, dead); // contender killed before its link
    writeFileSync(breakerPath(lock, gone, 0), dead); // clearer killed inside the breaker
    writeFileSync(`${lock}.bbbb.tmp`, live); // a live contender about to link
    writeFileSync(breakerPath(lock, gone, 1), live);
    writeFileSync(`${lock}.cccc.tmp`, "{half"); // being written right now
    writeFileSync(join(dir, "other.lock.dddd.tmp"), dead); // another key's: not ours to judge
    const verdict = await acquireLock(testDeps, lock, info);
    assert.ok(verdict.won);
    assert.deepEqual(
      readdirSync(dir).sort(),
      [
        "k.lock",
        `k.lock.bbbb.tmp`,
        breakerPath("k.lock", gone, 1),
        "k.lock.cccc.tmp",
        "other.lock.dddd.tmp",
      ].sort(),
    );
    await verdict.lock.release();
  });
});

test("acquireLock: an aborted signal stops the wait for a busy breaker", {
  timeout: 10_000,
}, async () => {
  await withLockDir(async (lock, dir) => {
    writeFileSync(lock, "garbage");
    const owner = {
      pid: testDeps.pid,
      startTime: await readProcessStart(testDeps, testDeps.pid),
      nonce: "held",
      createdAt: 1,
    };
    writeFileSync(
      breakerPath(lock, new TextEncoder().encode("garbage"), 0),
      serializeLockOwner(owner),
    );
    const controller = new AbortController();
    const pending = acquireLock(testDeps, lock, {
      ...info,
      waitMs: 60_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("stop waiting")), 50);
    await assert.rejects(pending, /stop waiting/);
    assert.equal(readFileSync(lock, "utf8"), "garbage");
    assert.equal(readdirSync(dir).filter((name) => name.endsWith(".tmp")).length, 0);
  });
});
