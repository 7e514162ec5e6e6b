import type { Command } from "./command.ts";
import { VERSION } from "../version.ts";

/** The `shoal --help` text, generated from the registered commands only. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `shoal ${VERSION} — one MCP server, many agents`,
    "",
    "Usage:",
    "  shoal <command> [options]",
    "",
    "Commands:",
    ...lines,
    `  ${"help".padEnd(width)}  Show help for a command`,
    "",
    "Options:",
    "  -h, --help     Show this help",
    "  -V, --version  Print the version",
    "",
    'Run "shoal help <command>" for a command\'s options.',
  ].join("\n");
}
