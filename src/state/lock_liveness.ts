/**
 * The process half of the liveness verdict (DESIGN.md: connect + hello first — that is
 * the daemon's job — then kill(pid, 0), then start time for pid reuse).
 */
import type { Runtime } from "../runtime/types.ts";
import type { LockOwner } from "./lock_record.ts";
import { probeProcess } from "./process_start.ts";

/**
 * - `alive`: the pid exists and started when the record says (or its start time cannot
 *   be checked — then we must assume it is the owner);
 * - `dead`: no such process (or only a zombie);
 * - `reused`: a process has the pid but started at another time: the owner is gone.
 */
export type Liveness = "alive" | "dead" | "reused";

/** Runtime `kill(pid, 0)` must report EPERM as alive: the process exists. */
export type LivenessDeps = Pick<Runtime, "fs" | "spawn" | "kill">;

/**
 * Judge whether the process that wrote `owner` still runs. `dead` and `reused` are
 * final (a dead process never comes back), which is what makes stale clearing safe.
 *
 * @example
 * ```ts
 * if (await judgeLiveness(rt, record) !== "alive") { ... }
 * ```
 */
export async function judgeLiveness(
  deps: LivenessDeps,
  owner: Pick<LockOwner, "pid" | "startTime">,
): Promise<Liveness> {
  if (!deps.kill(owner.pid, 0)) return "dead";
  const probe = await probeProcess(deps, owner.pid);
  if (probe.state !== "running") return "dead";
  if (owner.startTime === null || probe.startTime === null) return "alive";
  return probe.startTime === owner.startTime ? "alive" : "reused";
}
