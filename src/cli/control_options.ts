import type { Runtime } from "../runtime/types.ts";
import { resolveStateDir, verifyStateDir } from "../state/state_dir.ts";
import type { Found } from "../control/discover.ts";
import { ShoalError } from "../errors.ts";

export const STATE_DIR_OPTION = { "state-dir": { type: "string" } } as const;

/**
 * The state dir for a control command: resolved and verified, never created. null when
 * it does not exist: then no daemon can be running.
 */
export async function controlStateDir(runtime: Runtime, override: unknown): Promise<string | null> {
  const dir = await resolveStateDir(runtime, {
    override: override as string | undefined,
    env: runtime.env(),
    uid: runtime.uid(),
    cwd: runtime.cwd(),
  });
  const exists = await runtime.fs.lstat(dir).then(() => true, () => false);
  if (!exists) return null;
  await verifyStateDir(runtime, dir);
  return dir;
}

/** Daemons matching a key (or a key prefix of 4+ characters), a name, or a daemon pid. */
export function select(found: Found[], target: string): Found[] {
  return found.filter((f) => {
    const key = f.kind === "running" ? f.status.key : f.key;
    const pid = f.kind === "running" ? f.status.pid : f.pid;
    return key === target || key.startsWith(target) && target.length >= 4 ||
      (f.kind === "running" && f.status.name === target) || String(pid) === target;
  });
}

export function noMatch(target: string): ShoalError {
  return new ShoalError("ERR_NO_DAEMON", `No daemon matches "${target}": run "shoal status" to list them`);
}
