import { ShoalError } from "../errors.ts";
import type { Runtime } from "../runtime/types.ts";
import type { Command, CommandContext } from "./command.ts";
import { intOption, parseCommandArgs } from "./args.ts";
import { controlStateDir, STATE_DIR_OPTION } from "./control_options.ts";

const FOLLOW_POLL_MS = 200;

export const logsCommand: Command = {
  name: "logs",
  summary: "Print a daemon's log (server stderr included)",
  help: `Usage: shoal logs <key|name> [-f] [-n N] [--state-dir DIR]

Print the last lines of the log of the daemon with this key (or unique key prefix,
or name). Logs outlive their daemon and rotate to <log>.1 past --log-max-bytes
(see "shoal help proxy"). Never starts a daemon.

Options:
  -n, --lines N     How many lines from the end (default 50; 0 = all)
  -f, --follow      Keep printing lines as they are written (Ctrl-C to stop)
  --state-dir DIR   State directory to look in`,
  async run(ctx) {
    const parsed = parseCommandArgs("logs", ctx.argv, {
      ...STATE_DIR_OPTION,
      lines: { type: "string", short: "n" },
      follow: { type: "boolean", short: "f" },
    });
    const target = parsed.positionals[0];
    if (target === undefined) throw new ShoalError("ERR_USAGE", "logs: name a daemon by key or name");
    const lines = intOption("logs", "lines", parsed.values.lines, 50);
    const stateDir = await controlStateDir(ctx.runtime, parsed.values["state-dir"]);
    if (stateDir === null) throw noLog(target);
    const path = await findLog(ctx.runtime, stateDir, target);
    const text = await ctx.runtime.fs.readTextFile(path);
    const all = text.split("\n");
    if (all.at(-1) === "") all.pop();
    const tail = lines === 0 ? all : all.slice(-lines);
    if (tail.length > 0) await ctx.out(tail.join("\n"));
    if (parsed.values.follow === true) await follow(ctx, path, new TextEncoder().encode(text).length);
    return 0;
  },
};

/** The log whose key is `target` (or starts with it), or whose daemon was named `target`. */
async function findLog(runtime: Runtime, stateDir: string, target: string): Promise<string> {
  const logs = (await runtime.fs.readDir(stateDir)).filter((n) => n.endsWith(".log"));
  const byKey = logs.filter((n) => n === `${target}.log` || (target.length >= 4 && n.startsWith(target)));
  if (byKey.length === 1) return `${stateDir}/${byKey[0]}`;
  if (byKey.length > 1) {
    throw new ShoalError("ERR_USAGE", `logs: "${target}" matches ${byKey.length} keys: give more of the key`);
  }
  for (const name of logs) {
    const text = await runtime.fs.readTextFile(`${stateDir}/${name}`).catch(() => "");
    if (new RegExp(`daemon_start .*\\bname=${escape(target)}(\\s|$)`, "m").test(text)) return `${stateDir}/${name}`;
  }
  throw noLog(target);
}

function noLog(target: string): ShoalError {
  return new ShoalError("ERR_NO_DAEMON", `No log matches "${target}": run "shoal status" to list daemons`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function follow(ctx: CommandContext, path: string, offset: number): Promise<void> {
  const decoder = new TextDecoder();
  for (;;) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    const bytes = await ctx.runtime.fs.readFile(path).catch(() => null);
    if (bytes === null) continue;
    if (bytes.length < offset) offset = 0; // rotated or truncated: start over
    if (bytes.length > offset) {
      const chunk = decoder.decode(bytes.subarray(offset));
      offset = bytes.length;
      await ctx.out(chunk.replace(/\n$/, ""));
    }
  }
}
