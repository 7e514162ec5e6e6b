/**
 * The breaker: the mutual exclusion under which a stale lock file is deleted.
 *
 * Why it exists: deleting by path is not compare-and-delete. Two contenders that both
 * saw the same dead record would both unlink — the second unlink hitting the fresh lock
 * the first one's successor just linked (measured: 3–12 winners per round).
 *
 * Design, and what must stay true:
 * - A claim is per stale content: `<lock>.breaker.<id>.<gen>`, id = hash of the exact
 *   lock bytes seen. A valid record's bytes hold a random nonce and never reappear once
 *   deleted, so a late claimant that re-reads the lock simply finds other bytes and does
 *   nothing (no ABA).
 * - Claims are taken with link() of a complete temp file: exactly one contender wins a
 *   given name, and a claim is never seen half-written.
 * - A crashed holder must not wedge everyone, yet a dead holder's claim is never deleted
 *   to make room (two deleters could each delete the other's fresh claim). Instead the
 *   next generation `<gen+1>` is claimed — again by link, so again one winner. Only a
 *   holder that is provably gone (pid dead, or start time changed) is skipped, and such
 *   a process can never resume inside the critical section.
 * - A live holder is never broken. Time (file mtime older than the stale timeout) only
 *   decides for claims that cannot be judged: unparseable bytes, or a holder whose start
 *   time was unknown (pid reuse would otherwise wedge that lock for the reuser's life).
 * - Lower generations are pruned only after the lock bytes they guarded are gone.
 */
import { createHash, randomBytes } from "node:crypto";
import { RuntimeError } from "../runtime/types.ts";
import { judgeLiveness, type LivenessDeps } from "./lock_liveness.ts";
import { type LockOwner, parseLockOwner, serializeLockOwner } from "./lock_record.ts";

/** Age after which an unjudgeable claim counts as abandoned; far beyond any critical section. */
export const BREAKER_STALE_MS = 30_000;

/** Generations tried before giving up (each needs a holder that died mid-clear). */
const MAX_GENERATIONS = 64;

/** Identifies the exact lock bytes a claim is about. */
export function lockBytesId(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

/** The claim file of generation `generation` for lock content `bytes`. */
export function breakerPath(lockPath: string, bytes: Uint8Array, generation: number): string {
  return `${lockPath}.breaker.${lockBytesId(bytes)}.${generation}`;
}

/** A breaker claim we hold. */
export interface HeldBreaker {
  readonly path: string;
  /**
   * Give the claim up (compare-and-delete on our nonce). With `pruneBelow`, also delete
   * the lower generations — only valid once the guarded lock bytes are gone.
   */
  release(options: { pruneBelow: boolean }): Promise<void>;
}

export interface AcquireBreakerOptions {
  /** Our identity, written into the claim. */
  owner: Pick<LockOwner, "pid" | "startTime">;
  /** See {@link BREAKER_STALE_MS}. */
  staleMs?: number;
}

/**
 * Claim the right to delete the lock file whose content is `seen`. Returns null when a
 * live process holds that right (the caller waits and re-reads the lock).
 */
export async function acquireBreaker(
  deps: LivenessDeps,
  lockPath: string,
  seen: Uint8Array,
  options: AcquireBreakerOptions,
): Promise<HeldBreaker | null> {
  const staleMs = options.staleMs ?? BREAKER_STALE_MS;
  const nonce = randomBytes(16).toString("hex");
  const claim = serializeLockOwner({ ...options.owner, nonce, createdAt: Date.now() });
  const temp = `${lockPath}.${nonce}.tmp`;
  await deps.fs.writeFileExclusive(temp, claim, 0o600);
  try {
    for (let generation = 0, vanished = 0; generation < MAX_GENERATIONS;) {
      const path = breakerPath(lockPath, seen, generation);
      try {
        await deps.fs.link(temp, path);
        return held(deps, lockPath, seen, generation, nonce);
      } catch (err) {
        if (!(err instanceof RuntimeError && err.code === "EEXIST")) throw err;
      }
      const verdict = await judgeClaim(deps, path, staleMs);
      if (verdict === "live") return null;
      if (verdict === "stale") generation++;
      else if (++vanished > 8) return null; // released under us repeatedly: let the caller re-read
    }
    return null;
  } finally {
    await deps.fs.unlink(temp).catch(() => {});
  }
}

async function judgeClaim(
  deps: LivenessDeps,
  path: string,
  staleMs: number,
): Promise<"live" | "stale" | "vanished"> {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = (await deps.fs.lstat(path)).mtimeMs;
    text = await deps.fs.readTextFile(path);
  } catch (err) {
    if (err instanceof RuntimeError && err.code === "ENOENT") return "vanished";
    throw err;
  }
  const old = Date.now() - mtimeMs > staleMs;
  const holder = parseLockOwner(text);
  if (holder === null) return old ? "stale" : "live";
  if (await judgeLiveness(deps, holder) !== "alive") return "stale";
  return holder.startTime === null && old ? "stale" : "live";
}

function held(
  deps: LivenessDeps,
  lockPath: string,
  seen: Uint8Array,
  generation: number,
  nonce: string,
): HeldBreaker {
  const path = breakerPath(lockPath, seen, generation);
  return {
    path,
    async release({ pruneBelow }) {
      if (pruneBelow) {
        for (let lower = 0; lower < generation; lower++) {
          await deps.fs.unlink(breakerPath(lockPath, seen, lower)).catch(() => {});
        }
      }
      try {
        const holder = parseLockOwner(await deps.fs.readTextFile(path));
        if (holder?.nonce === nonce) await deps.fs.unlink(path);
      } catch (err) {
        if (!(err instanceof RuntimeError && err.code === "ENOENT")) throw err;
      }
    },
  };
}
