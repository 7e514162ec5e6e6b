/**
 * Where the fixture servers live and how to launch them. Fixtures are plain ES
 * modules run by `node` from PATH (never by the runtime running the test), so a
 * server under test behaves the same whether the test runs on Deno or Bun.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

function fixture(name: string): string {
  return join(FIXTURE_DIR, name);
}

export const FIXTURES = {
  /** Legacy-era server (@modelcontextprotocol/sdk 1.x) that reports its pid. */
  pidServer: fixture("pid_server.mjs"),
  /** Tiny raw JSON-RPC echo server, no SDK: for benchmarks of shoal's own cost. */
  echoServer: fixture("echo_server.mjs"),
  /** Server on @modelcontextprotocol/server 2.x: serves 2026-07-28 and the legacy era. */
  modernServer: fixture("modern_server.mjs"),
  /** Wire tap: `node tee.mjs <log> -- <command…>`. */
  tee: fixture("tee.mjs"),
} as const;

/** A command line: what a host config would hold. */
export interface Command {
  command: string;
  args: string[];
}

/** `node <fixture> [args…]` */
export function nodeCommand(path: string, args: string[] = []): Command {
  return { command: "node", args: [path, ...args] };
}
