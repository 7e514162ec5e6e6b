/**
 * Direct mode: no daemon can be had, so the proxy runs the server as its own child on
 * the host's stdio, exactly as if shoal were not there. Signals reach the child; its
 * exit status becomes ours.
 */
import type { Runtime } from "../runtime/types.ts";

export async function runDirect(
  runtime: Runtime,
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<number> {
  const child = runtime.spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  });
  const forward = (["SIGTERM", "SIGINT", "SIGHUP"] as const).map((signal) =>
    runtime.onSignal(signal, () => child.kill(signal))
  );
  const status = await child.exited;
  for (const remove of forward) remove();
  return status.code ?? 128 + signalNumber(status.signal);
}

function signalNumber(name: string | null): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[name ?? ""] ?? 1;
}
