/**
 * Direct mode: no daemon can be had, so the proxy runs the server as its own child on
 * the host's stdio, exactly as if shoal were not there. Signals reach the child; its
 * exit status becomes ours. The child leads its own process group, and a host killed
 * outright (we are reparented) takes the group down with it: nothing is orphaned.
 */
import type { Runtime } from "../runtime/types.ts";
import { type DirectServerSpec, stopGroup } from "./direct_link.ts";
import { watchParent } from "./watchdog.ts";

export async function runDirect(runtime: Runtime, server: DirectServerSpec): Promise<number> {
  const child = runtime.spawn(server.command, server.args, {
    cwd: server.cwd,
    env: server.env,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    detached: true,
  });
  const forward = (["SIGTERM", "SIGINT", "SIGHUP"] as const).map((signal) =>
    runtime.onSignal(signal, () => child.killGroup(signal))
  );
  const unwatch = watchParent(runtime, () => void stopGroup(child));
  const status = await child.exited;
  unwatch();
  for (const remove of forward) remove();
  child.killGroup("SIGTERM"); // what the server started and left behind
  return status.code ?? 128 + signalNumber(status.signal);
}

function signalNumber(name: string | null): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[name ?? ""] ?? 1;
}
