import type { Runtime } from "../runtime/types.ts";
import { resolveStateDir, verifyStateDir } from "../state/state_dir.ts";
import type { Found } from "../control/discover.ts";
import { ShoalError } from "../errors.ts";

export const STATE_DIR_OPTION = { "state-dir": { type: "string" } } as const;

/** The state dir for a control command: resolved and verified, never created. */
export async function controlStateDir(runtime: Runtime, override: unknown): Promise<string> {
  const dir = await resolveStateDir(runtime, {
    override: override as string | undefined,
    env: runtime.env(),
    uid: runtime.uid(),
    cwd: runtime.cwd(),
  });
  await verifyStateDir(runtime, dir);
  return dir;
}

/** Daemons matching a key (or unique key prefix) or a name. */
export function select(found: Found[], target: string): Found[] {
  return found.filter((f) => {
    const key = f.kind === "running" ? f.status.key : f.key;
    return key === target || key.startsWith(target) && target.length >= 4 ||
      (f.kind === "running" && f.status.name === target);
  });
}

export function noMatch(target: string): ShoalError {
  return new ShoalError("ERR_NO_DAEMON", `No daemon matches "${target}": run "shoal status" to list them`);
}
