import type { Runtime } from "../runtime/types.ts";

/** Everything a CLI command needs; commands never touch runtime globals themselves. */
export interface CommandContext {
  runtime: Runtime;
  /** Arguments after the command name. */
  argv: string[];
  /** Write a line (or lines) to stdout / stderr. */
  out(text: string): Promise<void>;
  err(text: string): Promise<void>;
}

/** One `shoal <name>` subcommand. The help text lists exactly the registered ones. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full `shoal help <name>` text: usage line, description, options. */
  help: string;
  /** Returns the process exit status. */
  run(ctx: CommandContext): Promise<number>;
}
