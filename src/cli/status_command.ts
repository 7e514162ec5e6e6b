import { discoverDaemons } from "../control/discover.ts";
import { formatStatus } from "../control/format_status.ts";
import type { Command } from "./command.ts";
import { parseCommandArgs } from "./args.ts";
import { controlStateDir, select, STATE_DIR_OPTION } from "./control_options.ts";
import { buildId } from "./proxy_command.ts";

export const statusCommand: Command = {
  name: "status",
  summary: "Show running daemons, their servers and clients",
  help: `Usage: shoal status [--json] [--state-dir DIR] [key|name|pid]

List every daemon of this user (or only the one matching key, key prefix or name):
server command, pids, clients, restarts, requests served, idle timer, paths, memory.
Never starts a daemon. Exit status: 0 when a daemon runs, 3 when none does.

Options:
  --json            One JSON object: { "schema": 1, "daemons": [...] } (docs/status.md)
  --state-dir DIR   State directory to look in`,
  async run(ctx) {
    const parsed = parseCommandArgs("status", ctx.argv, { ...STATE_DIR_OPTION, json: { type: "boolean" } });
    const json = parsed.values.json === true;
    const stateDir = await controlStateDir(ctx.runtime, parsed.values["state-dir"]);
    if (stateDir === null) return nothing(ctx, json);
    let found = await discoverDaemons(ctx.runtime, stateDir, buildId(ctx.runtime.getEnv("SHOAL_BUILD_OVERRIDE")));
    if (parsed.positionals[0] !== undefined) found = select(found, parsed.positionals[0]);
    if (found.length === 0) return nothing(ctx, json);
    if (json) {
      const daemons = found.map((f) =>
        f.kind === "running" ? { ...f.status, responsive: true } : {
          schema: 1,
          key: f.key,
          pid: f.pid,
          state: "unresponsive",
          responsive: false,
          socket: f.socket,
          error: f.reason,
        }
      );
      await ctx.out(JSON.stringify({ schema: 1, stateDir, daemons }, null, 2));
    } else {
      await ctx.out(formatStatus(found));
    }
    return 0;
  },
};

async function nothing(ctx: { out(t: string): Promise<void> }, json: boolean): Promise<number> {
  await ctx.out(json ? JSON.stringify({ schema: 1, daemons: [] }, null, 2) : "No shoal daemon is running");
  return 3;
}
