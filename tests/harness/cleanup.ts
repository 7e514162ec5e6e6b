/**
 * Test hygiene: short private state dirs, polling instead of sleeping, and the final
 * check that a test left no process, socket or lock behind.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

/**
 * A fresh 0700 directory `/tmp/sh-XXXXXX`. Kept short on purpose: socket paths
 * inside it must stay far below the 103-byte limit.
 */
export function makeStateDir(): string {
  return mkdtempSync("/tmp/sh-");
}

/** Remove a dir made by {@link makeStateDir}; a missing dir is fine. */
export function removeStateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether `pid` is a live process. A zombie counts as dead: it has exited, and a
 * container's pid 1 may never reap orphans.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but is not ours, which is still "alive".
    return (error as { code?: string }).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no procfs (macOS): kill(0) is all we have
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Names the condition in the timeout error. */
  what?: string;
}

/** Poll `predicate` until it returns a truthy value (returned) or the time is up (throws). */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.what ?? "condition"}`);
    }
    await sleep(options.intervalMs ?? 20);
  }
}

/**
 * The only sanctioned fixed sleep: wait `ms` to prove that something did NOT
 * happen in that window (no notification, no exit). Never use it for readiness.
 */
export function provesAbsence(ms: number): Promise<void> {
  return sleep(ms);
}

/** Socket and lock files left under `dir` (recursively). */
export function leftoverFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      return; // dir already removed: nothing left
    }
    for (const name of names) {
      const full = join(path, name);
      const info = lstatSync(full, { throwIfNoEntry: false });
      if (!info) continue;
      if (info.isDirectory()) walk(full);
      else if (info.isSocket() || name.endsWith(".sock") || name.endsWith(".lock")) {
        found.push(full);
      }
    }
  };
  walk(dir);
  return found;
}

/**
 * Fail unless, within `timeoutMs` (exits and unlinks are asynchronous), none of
 * `pids` is alive and `stateDir` holds no socket or lock.
 */
export async function assertNoLeftovers(
  stateDir: string,
  pids: number[],
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const remaining = () => ({
    live: pids.filter(isAlive),
    files: leftoverFiles(stateDir),
  });
  try {
    await waitFor(() => {
      const { live, files } = remaining();
      return live.length === 0 && files.length === 0;
    }, { timeoutMs: options.timeoutMs ?? 3_000 });
  } catch {
    const { live, files } = remaining();
    throw new Error(
      `Expected no leftovers: live pids [${live.join(", ")}], files [${files.join(", ")}]`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
