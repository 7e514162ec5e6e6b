/**
 * The CLI dispatcher: `shoal <command> …`, `--help`, `--version`, `help <command>`.
 * The only layer that prints or chooses an exit status; library code throws.
 */
import { ShoalError } from "../errors.ts";
import type { Runtime } from "../runtime/types.ts";
import { VERSION } from "../version.ts";
import type { Command, CommandContext } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { mainHelp } from "./help.ts";

const encoder = new TextEncoder();

/** Run the CLI with `argv` (arguments after the program name); returns the exit status. */
export async function runCli(runtime: Runtime, argv: string[]): Promise<number> {
  const ctx = (rest: string[]): CommandContext => ({
    runtime,
    argv: rest,
    out: (text) => writeLine(runtime.stdout, text),
    err: (text) => writeLine(runtime.stderr, text),
  });
  const [first, ...rest] = argv;
  const c = ctx(rest);
  try {
    if (first === undefined) {
      await c.err(mainHelp(COMMANDS));
      return 2;
    }
    if (first === "--help" || first === "-h") {
      await c.out(mainHelp(COMMANDS));
      return 0;
    }
    if (first === "--version" || first === "-V") {
      await c.out(`shoal ${VERSION}`);
      return 0;
    }
    if (first === "help") return await help(c, rest);
    const command = find(first);
    if (command === undefined) {
      throw new ShoalError(
        "ERR_USAGE",
        first.startsWith("-") ? `unknown option "${first}"` : `unknown command "${first}"`,
      );
    }
    if (rest.includes("--help") && !beforeDashDash(rest, "--help")) {
      await c.out(command.help);
      return 0;
    }
    return await command.run(c);
  } catch (err) {
    return await report(c, err, first);
  }
}

function find(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** `--help` counts only before the `--` that starts a server command. */
function beforeDashDash(argv: string[], flag: string): boolean {
  const dash = argv.indexOf("--");
  const at = argv.indexOf(flag);
  return dash !== -1 && at > dash;
}

async function help(c: CommandContext, rest: string[]): Promise<number> {
  const [name] = rest;
  if (name === undefined) {
    await c.out(mainHelp(COMMANDS));
    return 0;
  }
  const command = find(name);
  if (command === undefined) throw new ShoalError("ERR_USAGE", `unknown command "${name}"`);
  await c.out(command.help);
  return 0;
}

async function report(c: CommandContext, err: unknown, commandName?: string): Promise<number> {
  if (err instanceof ShoalError) {
    await c.err(`error: ${err.message}`);
    if (err.code === "ERR_USAGE") {
      const topic = commandName && find(commandName) ? `shoal help ${commandName}` : "shoal --help";
      await c.err(`hint: run "${topic}" for usage`);
    }
    return err.exitCode;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  await c.err(`error: internal error: ${detail}`);
  return 1;
}

async function writeLine(
  writer: { write(data: Uint8Array): Promise<void> },
  text: string,
): Promise<void> {
  try {
    await writer.write(encoder.encode(text.endsWith("\n") ? text : `${text}\n`));
  } catch {
    // A closed stdout/stderr (EPIPE) must not turn a finished command into a crash.
  }
}
