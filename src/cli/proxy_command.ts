import { BUILD } from "../version.ts";
import { runProxy } from "../proxy/proxy.ts";
import type { Command } from "./command.ts";
import { parseCommandArgs } from "./args.ts";
import { SERVER_OPTIONS, SERVER_OPTIONS_HELP, serverSpec } from "./server_spec.ts";

export const proxyCommand: Command = {
  name: "proxy",
  summary: "Run in a host's MCP config instead of the server: share one server",
  help: `Usage: shoal proxy [options] -- <command> [args...]

Put this in a host's MCP server config in place of <command> [args...]. The first
proxy for a server starts a shared daemon that runs the server once; every later
proxy attaches to it. Each host still sees a private MCP server. stdout carries MCP
messages only; if no daemon can be had, the server runs directly (one warning on
stderr).

Options:
${SERVER_OPTIONS_HELP}

Example:
  shoal proxy -- npx -y @modelcontextprotocol/server-everything`,
  async run(ctx) {
    const parsed = parseCommandArgs("proxy", ctx.argv, SERVER_OPTIONS);
    const spec = await serverSpec(ctx.runtime, "proxy", parsed);
    return await runProxy(ctx.runtime, spec, {
      build: buildId(ctx.runtime.getEnv("SHOAL_BUILD_OVERRIDE")),
      warn: ctx.err,
    });
  },
};

/** The build id, overridable (tests simulate an upgrade with SHOAL_BUILD_OVERRIDE). */
export function buildId(override: string | undefined): string {
  return override || BUILD;
}
