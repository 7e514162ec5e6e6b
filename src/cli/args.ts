/**
 * Argument parsing over `node:util` parseArgs (stands in for the card's @std/cli):
 * strict, with errors turned into ShoalError ERR_USAGE so the CLI prints
 * `error: …` plus a usage hint and exits 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ShoalError } from "../errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after a literal `--` (the server command), or [] when absent. */
  rest: string[];
}

/** Parse `argv`; everything after the first `--` is returned untouched in `rest`. */
export function parseCommandArgs(command: string, argv: string[], options: Options): Parsed {
  const dash = argv.indexOf("--");
  const head = dash === -1 ? argv : argv.slice(0, dash);
  const rest = dash === -1 ? [] : argv.slice(dash + 1);
  try {
    const { values, positionals } = parseArgs({
      args: head,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals, rest };
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ShoalError("ERR_USAGE", `${command}: ${tidy(message)}`);
  }
}

/** parseArgs messages are long and Node-specific; keep the part a user needs. */
function tidy(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option "${unknown[1]}"`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `option "${missing[1]}" needs a value`;
  return message.replace(/\.\s*$/, "");
}

/** Parse a non-negative integer option, or throw ERR_USAGE naming the option. */
export function intOption(command: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new ShoalError("ERR_USAGE", `${command}: option "--${name}" needs a whole number, got "${value}"`);
  }
  return n;
}
