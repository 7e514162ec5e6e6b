/**
 * The parent-pid watchdog: a host killed with SIGKILL never closes anything for us, but
 * we get reparented. Polling ppid is the one portable signal of that.
 */
import type { Runtime } from "../runtime/types.ts";

export const PARENT_POLL_MS = 500;

/** Call `onOrphaned` once when our parent changes; returns a function that stops watching. */
export function watchParent(runtime: Runtime, onOrphaned: () => void): () => void {
  const parent = runtime.ppid();
  const timer = setInterval(() => {
    if (runtime.ppid() !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, PARENT_POLL_MS);
  return () => clearInterval(timer);
}
