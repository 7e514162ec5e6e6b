import { controlRequest, discoverDaemons, type Found } from "../control/discover.ts";
import { ShoalError } from "../errors.ts";
import type { Runtime } from "../runtime/types.ts";
import { readToken } from "../state/token.ts";
import { probeProcess } from "../state/process_start.ts";
import type { Command } from "./command.ts";
import { parseCommandArgs } from "./args.ts";
import { controlStateDir, noMatch, select, STATE_DIR_OPTION } from "./control_options.ts";
import { buildId } from "./proxy_command.ts";

const GONE_TIMEOUT_MS = 10_000;

export const stopCommand: Command = {
  name: "stop",
  summary: "Stop a daemon (or all) gracefully, with its server",
  help: `Usage: shoal stop <key|name|pid> | --all [--state-dir DIR]

Ask a daemon to exit: it stops accepting, lets attached hosts go, stops its server
(and everything the server started) and removes its socket and lock. Waits until
the daemon is gone. A hung daemon is terminated by signal.

Options:
  --all             Stop every daemon
  --state-dir DIR   State directory to look in`,
  async run(ctx) {
    const parsed = parseCommandArgs("stop", ctx.argv, { ...STATE_DIR_OPTION, all: { type: "boolean" } });
    const target = parsed.positionals[0];
    const all = parsed.values.all === true;
    if (all === (target !== undefined)) {
      throw new ShoalError("ERR_USAGE", "stop: name one daemon (key or name) or pass --all");
    }
    const stateDir = await controlStateDir(ctx.runtime, parsed.values["state-dir"]);
    const build = buildId(ctx.runtime.getEnv("SHOAL_BUILD_OVERRIDE"));
    const found = stateDir === null ? [] : await discoverDaemons(ctx.runtime, stateDir, build);
    const chosen = all ? found : select(found, target!);
    if (chosen.length === 0) {
      if (all) {
        await ctx.out("No shoal daemon is running");
        return 0;
      }
      throw noMatch(target!);
    }
    const token = (await readToken(ctx.runtime, stateDir!)) ?? "";
    const results = await Promise.all(chosen.map((f) => stopOne(ctx.runtime, f, token, build)));
    for (const line of results) await ctx.out(line);
    return results.some((line) => line.startsWith("failed")) ? 1 : 0;
  },
};

async function stopOne(runtime: Runtime, f: Found, token: string, build: string): Promise<string> {
  const pid = f.kind === "running" ? f.status.pid : f.pid;
  const label = f.kind === "running" ? `${f.status.name} (key ${f.status.key}, pid ${pid})` : `key ${f.key} (pid ${pid})`;
  let how = "stopped";
  if (f.kind === "running") {
    const reply = await controlRequest(runtime, f.socket, token, build, "stop", { owner: { pid, startTime: null } });
    if (!reply.ok) {
      how = "terminated";
      terminate(runtime, pid);
    }
  } else {
    how = "terminated (it was unresponsive)";
    terminate(runtime, pid);
  }
  if (await waitGone(runtime, pid, GONE_TIMEOUT_MS)) return `${how} ${label}`;
  runtime.kill(pid, "SIGKILL");
  if (await waitGone(runtime, pid, 2000)) return `killed ${label} (it did not exit in time)`;
  return `failed to stop ${label}`;
}

/** A stopped (SIGSTOP) process handles SIGTERM only once continued. */
function terminate(runtime: Runtime, pid: number): void {
  runtime.kill(pid, "SIGTERM");
  runtime.kill(pid, "SIGCONT");
}

/** Gone = no such process, or a zombie nobody has reaped yet. */
async function waitGone(runtime: Runtime, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await probeProcess(runtime, pid)).state !== "running") return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
