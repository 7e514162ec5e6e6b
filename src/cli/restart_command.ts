import { controlRequest, discoverDaemons } from "../control/discover.ts";
import { ShoalError } from "../errors.ts";
import { readToken } from "../state/token.ts";
import type { Command } from "./command.ts";
import { parseCommandArgs } from "./args.ts";
import { controlStateDir, noMatch, select, STATE_DIR_OPTION } from "./control_options.ts";
import { buildId } from "./proxy_command.ts";

export const restartCommand: Command = {
  name: "restart",
  summary: "Restart a daemon's server; attached hosts stay connected",
  help: `Usage: shoal restart <key|name|pid> [--state-dir DIR]

Stop the server of a daemon (its whole process group) and start it again through the
crash-recovery path: requests in flight get an error, the handshake is replayed,
subscriptions and log level are restored, and hosts are told the lists changed.

Options:
  --state-dir DIR   State directory to look in`,
  async run(ctx) {
    const parsed = parseCommandArgs("restart", ctx.argv, STATE_DIR_OPTION);
    const target = parsed.positionals[0];
    if (target === undefined) throw new ShoalError("ERR_USAGE", "restart: name a daemon by key or name");
    const stateDir = await controlStateDir(ctx.runtime, parsed.values["state-dir"]);
    const build = buildId(ctx.runtime.getEnv("SHOAL_BUILD_OVERRIDE"));
    if (stateDir === null) throw noMatch(target);
    const chosen = select(await discoverDaemons(ctx.runtime, stateDir, build), target);
    if (chosen.length === 0) throw noMatch(target);
    if (chosen.length > 1) throw new ShoalError("ERR_USAGE", `restart: "${target}" matches ${chosen.length} daemons: use the key`);
    const [f] = chosen;
    if (f.kind !== "running") {
      throw new ShoalError("ERR_DAEMON_UNRESPONSIVE", `Cannot restart key ${f.key}: its daemon (pid ${f.pid}) is unresponsive; run "shoal stop ${f.key}"`);
    }
    const token = (await readToken(ctx.runtime, stateDir)) ?? "";
    const reply = await controlRequest(ctx.runtime, f.socket, token, build, "restart", {
      owner: { pid: f.status.pid, startTime: null },
    });
    if (!reply.ok) throw new ShoalError("ERR_DAEMON_REFUSED", `Cannot restart ${f.status.name}: ${reply.error}`);
    await ctx.out(`restarted the server of ${f.status.name} (key ${f.status.key})`);
    return 0;
  },
};
