/**
 * Daemon election by atomic hard link (DESIGN.md "Election"): the full record is
 * written to a private temp file, then linked to the lock path. link() either creates
 * the name with complete content or fails with EEXIST, so there is exactly one winner
 * and nobody ever reads a half-written record.
 */
import { randomBytes } from "node:crypto";
import { type Runtime, RuntimeError } from "../runtime/types.ts";
import { type ClearOutcome, clearStaleLock, readOrNull } from "./lock_clear.ts";
import { judgeLiveness, type Liveness } from "./lock_liveness.ts";
import { type LockRecord, parseLockRecord, serializeLockRecord } from "./lock_record.ts";
import { sweepLockLeftovers } from "./lock_sweep.ts";
import { readProcessStart } from "./process_start.ts";

/** What election needs from the runtime (`kill(pid, 0)` must count EPERM as alive). */
export type LockDeps = Pick<Runtime, "fs" | "spawn" | "kill" | "pid">;

export interface AcquireLockOptions {
  protocol: number;
  version: string;
  build: string;
  /** The socket path the winner will listen on. */
  socket: string;
  /**
   * How long to keep trying while a stale lock is being cleared by someone else
   * (default 5000). Past it the verdict is `taken` with the stale liveness.
   */
  waitMs?: number;
  /** See `BREAKER_STALE_MS`. */
  breakerStaleMs?: number;
  signal?: AbortSignal;
}

/** A lock we won. */
export interface HeldLock {
  readonly path: string;
  readonly record: LockRecord;
  /** Does the lock file still hold our nonce? (the daemon's periodic self-check) */
  isHeld(): Promise<boolean>;
  /** Compare-and-delete: unlink only if the file still holds our nonce; true if it did. */
  release(): Promise<boolean>;
}

/**
 * The election result. `taken` carries the record found (null when the file is not a
 * record) and its liveness: `alive` normally; a stale value only when clearing was
 * still blocked by another live clearer after `waitMs`.
 */
export type LockVerdict =
  | { won: true; lock: HeldLock }
  | { won: false; record: LockRecord | null; liveness: Liveness | "corrupt" };

/**
 * Try to become the owner of `lockPath`. A live owner's lock is never touched; a stale
 * one (owner dead, pid reused, or a corrupt file) is cleared by compare-and-delete under
 * the breaker, then the link is retried — so many contenders racing on a stale lock
 * still produce exactly one winner.
 *
 * @example
 * ```ts
 * const verdict = await acquireLock(rt, paths.lock, { protocol, version, build, socket });
 * if (verdict.won) { ...listen...; await verdict.lock.release(); }
 * else if (verdict.liveness === "alive") { ...connect to verdict.record.socket... }
 * ```
 */
export async function acquireLock(
  deps: LockDeps,
  lockPath: string,
  options: AcquireLockOptions,
): Promise<LockVerdict> {
  const owner = { pid: deps.pid, startTime: await readProcessStart(deps, deps.pid) };
  const record: LockRecord = {
    ...owner,
    nonce: randomBytes(16).toString("hex"),
    protocol: options.protocol,
    version: options.version,
    build: options.build,
    socket: options.socket,
    createdAt: Date.now(),
  };
  const temp = `${lockPath}.${record.nonce}.tmp`;
  await deps.fs.writeFileExclusive(temp, serializeLockRecord(record), 0o600);
  const deadline = Date.now() + (options.waitMs ?? 5000);
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        await deps.fs.link(temp, lockPath);
        await deps.fs.unlink(temp).catch(() => {});
        await sweepLockLeftovers(deps, lockPath).catch(() => {});
        return { won: true, lock: heldLock(deps, lockPath, record) };
      } catch (err) {
        if (!(err instanceof RuntimeError && err.code === "EEXIST")) throw err;
      }
      const seen = await readOrNull(deps, lockPath);
      if (seen === null) continue; // released between our link and read: race again
      const holder = parseLockRecord(new TextDecoder().decode(seen));
      const liveness = holder === null ? "corrupt" : await judgeLiveness(deps, holder);
      if (liveness === "alive") return { won: false, record: holder, liveness };
      const outcome: ClearOutcome = await clearStaleLock(deps, lockPath, seen, {
        owner,
        breakerStaleMs: options.breakerStaleMs,
      });
      if (outcome === "cleared") continue;
      if (Date.now() >= deadline) return { won: false, record: holder, liveness };
      // Busy: a live clearer is at work. Jitter keeps waiters from re-reading in lockstep.
      if (outcome === "busy") await delay(1 + Math.random() * 4, options.signal);
    }
  } finally {
    await deps.fs.unlink(temp).catch(() => {});
  }
}

function heldLock(deps: LockDeps, path: string, record: LockRecord): HeldLock {
  const holdsOurs = async () => {
    const bytes = await readOrNull(deps, path);
    return bytes !== null &&
      parseLockRecord(new TextDecoder().decode(bytes))?.nonce === record.nonce;
  };
  return {
    path,
    record,
    isHeld: holdsOurs,
    async release() {
      // Nobody deletes a live owner's file, so between this read and the unlink the
      // file can only still be ours.
      if (!await holdsOurs()) return false;
      try {
        await deps.fs.unlink(path);
        return true;
      } catch (err) {
        if (err instanceof RuntimeError && err.code === "ENOENT") return false;
        throw err;
      }
    },
  };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
