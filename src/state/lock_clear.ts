/**
 * Compare-and-delete of a stale lock file, under the breaker (see lock_breaker.ts).
 */
import { RuntimeError } from "../runtime/types.ts";
import { acquireBreaker } from "./lock_breaker.ts";
import { judgeLiveness, type LivenessDeps } from "./lock_liveness.ts";
import { type LockOwner, parseLockRecord } from "./lock_record.ts";

/**
 * - `cleared`: we deleted the stale file;
 * - `changed`: the lock no longer holds `seen` (someone else cleared or replaced it);
 * - `busy`: a live process holds the breaker for these bytes — wait and re-read.
 */
export type ClearOutcome = "cleared" | "changed" | "busy";

/**
 * Delete `lockPath` if it still holds exactly `seen` and that content is stale: its
 * owner is dead or its pid reused, or it is not a record at all. Corrupt or empty
 * files are garbage (records are published complete by link()), but they too are only
 * deleted here, under the breaker, by exact bytes.
 */
export async function clearStaleLock(
  deps: LivenessDeps,
  lockPath: string,
  seen: Uint8Array,
  options: { owner: Pick<LockOwner, "pid" | "startTime">; breakerStaleMs?: number },
): Promise<ClearOutcome> {
  const breaker = await acquireBreaker(deps, lockPath, seen, {
    owner: options.owner,
    staleMs: options.breakerStaleMs,
  });
  if (breaker === null) return "busy";
  let outcome: ClearOutcome = "changed";
  try {
    // Holding the breaker for these bytes, nobody else may delete them: if they are
    // still there after this read, they are still there at our unlink.
    const current = await readOrNull(deps, lockPath);
    if (current === null || !sameBytes(current, seen)) return outcome;
    const record = parseLockRecord(new TextDecoder().decode(current));
    if (record !== null && await judgeLiveness(deps, record) === "alive") return outcome;
    await deps.fs.unlink(lockPath);
    outcome = "cleared";
    return outcome;
  } finally {
    await breaker.release({ pruneBelow: outcome === "cleared" });
  }
}

/** The file's bytes, or null when it does not exist. */
export async function readOrNull(
  deps: Pick<LivenessDeps, "fs">,
  path: string,
): Promise<Uint8Array | null> {
  try {
    return await deps.fs.readFile(path);
  } catch (err) {
    if (err instanceof RuntimeError && err.code === "ENOENT") return null;
    throw err;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
