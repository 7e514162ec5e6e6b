/**
 * Removal of what crashed contenders leave beside a lock: their temp files
 * (`<lock>.<nonce>.tmp`) and breaker claims (`<lock>.breaker.<id>.<gen>`). Without it
 * a state directory would collect one file per crash forever.
 */
import { basename, dirname, join } from "node:path";
import { BREAKER_STALE_MS } from "./lock_breaker.ts";
import { judgeLiveness, type LivenessDeps } from "./lock_liveness.ts";
import { parseLockOwner } from "./lock_record.ts";

/**
 * Delete leftovers whose writer is provably gone (or that are unreadable and older
 * than {@link BREAKER_STALE_MS}). Call only while holding the lock: then the lock file
 * holds our bytes, every claim is about other bytes that are already deleted, and a
 * deleted claim can at most let a late claimant re-read the lock and find nothing to
 * do. Files of live processes are never touched. Best effort: errors are the caller's
 * to ignore.
 */
export async function sweepLockLeftovers(deps: LivenessDeps, lockPath: string): Promise<number> {
  const dir = dirname(lockPath);
  const prefix = `${basename(lockPath)}.`;
  const names = (await deps.fs.readDir(dir)).filter((name) =>
    name.startsWith(prefix) && (name.endsWith(".tmp") || name.includes(".breaker."))
  );
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    try {
      const { mtimeMs } = await deps.fs.lstat(path);
      const owner = parseLockOwner(await deps.fs.readTextFile(path));
      // A temp file being written right now may not parse yet: only age condemns it.
      const gone = owner === null
        ? Date.now() - mtimeMs > BREAKER_STALE_MS
        : await judgeLiveness(deps, owner) !== "alive";
      if (gone) {
        await deps.fs.unlink(path);
        removed++;
      }
    } catch {
      // Vanished meanwhile (its owner finished): nothing to sweep.
    }
  }
  return removed;
}
