import { Daemon } from "../daemon/daemon.ts";
import { daemonOptions } from "../embed.ts";
import { ShoalError } from "../errors.ts";
import type { Command } from "./command.ts";
import { parseCommandArgs } from "./args.ts";
import { buildId } from "./proxy_command.ts";
import { SERVER_OPTIONS, SERVER_OPTIONS_HELP, serverSpec } from "./server_spec.ts";

export const daemonCommand: Command = {
  name: "daemon",
  summary: "Run a shared daemon in the foreground (debugging, service managers)",
  help: `Usage: shoal daemon --foreground [options] -- <command> [args...]

Run the daemon for a server in the foreground: it serves every proxy of the same
server key until stopped (SIGTERM, SIGINT, "shoal stop") or, with --idle, until
idle. Logs go to stderr. Proxies normally start daemons themselves.
Exits 0 at once when another daemon already serves the key.

Options:
  --foreground            Required: run in this process
${SERVER_OPTIONS_HELP}`,
  async run(ctx) {
    const parsed = parseCommandArgs("daemon", ctx.argv, {
      ...SERVER_OPTIONS,
      foreground: { type: "boolean" },
    });
    if (parsed.values.foreground !== true) {
      throw new ShoalError("ERR_USAGE", 'daemon: pass --foreground (proxies start background daemons themselves)');
    }
    const spec = await serverSpec(ctx.runtime, "daemon", parsed);
    const daemon = new Daemon(ctx.runtime, daemonOptions(spec, {
      build: buildId(ctx.runtime.getEnv("SHOAL_BUILD_OVERRIDE")),
      launchedBy: ["shoal", "daemon", ...ctx.argv].join(" "),
    }));
    if (!(await daemon.start())) return 0;
    return await daemon.finished;
  },
};
