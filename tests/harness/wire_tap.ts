/**
 * Counting what crossed a stdio pipe. Wrap any command with {@link tapped}; the tap
 * (`tests/fixtures/tee.mjs`) appends one JSON record per line in each direction, so a
 * test can count, say, the progress notifications a server really sent, or prove an
 * `initialize` reached the server exactly once.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, FIXTURES } from "./fixtures.ts";

/** One line seen by the tap. `in` = towards the wrapped command, `out` = from it. */
export interface WireRecord {
  /** Epoch ms when the tap read the line. */
  t: number;
  /** Pid of the tap process: tells apart several processes logging to one file. */
  pid: number;
  dir: "in" | "out";
  line: string;
  /** The parsed line, or undefined when it is not JSON. */
  message: Record<string, any> | undefined;
}

/** `command` wrapped so that its stdio is logged to `logPath`. */
export function tapped(logPath: string, command: Command): Command {
  return { command: "node", args: [FIXTURES.tee, logPath, "--", command.command, ...command.args] };
}

/**
 * A fixture server run by `node`, tapped: the argv a host config would hold (the daemon
 * starts it), and the log of everything between daemon and server
 * (`<stateDir>/server.wire`).
 */
export function tappedServer(stateDir: string, fixture: string): { log: string; argv: string[] } {
  const log = join(stateDir, "server.wire");
  const server = tapped(log, { command: "node", args: [fixture] });
  return { log, argv: [server.command, ...server.args] };
}

/** Every record in the log so far (an absent log means nothing crossed yet). */
export function readWire(logPath: string): WireRecord[] {
  if (!existsSync(logPath)) return [];
  return readFileSync(logPath, "utf8").split("\n").filter((line) => line !== "").map((raw) => {
    const record = JSON.parse(raw) as Omit<WireRecord, "message">;
    let message: Record<string, any> | undefined;
    try {
      message = JSON.parse(record.line);
    } catch {
      message = undefined;
    }
    return { ...record, message };
  });
}

export interface WireFilter {
  dir?: "in" | "out";
  /** JSON-RPC method (requests and notifications). */
  method?: string;
  /** Only requests with an id / only notifications without one. */
  kind?: "request" | "notification" | "response";
  where?: (message: Record<string, any>) => boolean;
}

/** The parsed messages matching `filter`, in wire order. */
export function wireMessages(
  records: WireRecord[],
  filter: WireFilter = {},
): Record<string, any>[] {
  return records.filter((r) => {
    const m = r.message;
    if (m === undefined || (filter.dir && r.dir !== filter.dir)) return false;
    if (filter.method && m.method !== filter.method) return false;
    if (filter.kind && messageKind(m) !== filter.kind) return false;
    return filter.where ? filter.where(m) : true;
  }).map((r) => r.message!);
}

/** How many messages match `filter`. */
export function countWire(records: WireRecord[], filter: WireFilter = {}): number {
  return wireMessages(records, filter).length;
}

function messageKind(m: Record<string, any>): "request" | "notification" | "response" {
  if (typeof m.method === "string") return "id" in m ? "request" : "notification";
  return "response";
}
