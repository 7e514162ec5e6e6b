// What the benchmark drives: the servers (run directly, or behind `shoal proxy`) and
// the shoal runtimes (the compiled binary on Bun with its Bun and node:net adapters,
// and Deno running the sources with the Deno adapter; the daemon self-spawns with the
// runtime its proxy runs on, so the adapter named here is the daemon's adapter too).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";

export const ROOT = resolve(import.meta.dirname, "..");

export const SERVERS = {
  echo: {
    label: "echo fixture (raw JSON-RPC)",
    command: "node",
    args: [resolve(ROOT, "tests/fixtures/echo_server.mjs")],
    call: { name: "echo", arguments: { text: "hello from the benchmark" } },
  },
  everything: {
    label: "@modelcontextprotocol/server-everything",
    command: "node",
    args: [
      resolve(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
      "stdio",
    ],
    call: { name: "echo", arguments: { message: "hello from the benchmark" } },
  },
};

const DENO = resolve(ROOT, "node_modules/.bin/deno");

/** The shoal under test, per adapter; see {@link useCheckout}. */
export const ADAPTERS = {};

/**
 * Benchmark the shoal of checkout `root` (its `dist/shoal` and, for Deno, its
 * `src/main.ts`); the default is this repository.
 */
export function useCheckout(root) {
  const dist = resolve(root, "dist/shoal");
  ADAPTERS.bun = { label: "Bun native (compiled binary)", command: dist, prefix: [] };
  ADAPTERS.node = {
    label: "node:net (compiled binary, SHOAL_ADAPTER=node)",
    command: dist,
    prefix: [],
  };
  ADAPTERS.deno = {
    label: "Deno native (deno run src/main.ts)",
    command: DENO,
    prefix: ["run", "-A", resolve(root, "src/main.ts")],
  };
}
useCheckout(ROOT);

/** How a host starts the server by itself. */
export function directSpec(server) {
  return { command: server.command, args: server.args };
}

const setups = new Set();

/** Stop the daemons of every setup not yet disposed (an interrupted run). */
export async function disposeAll() {
  await Promise.all([...setups].map((s) => s.dispose()));
}

/** One shoal setup: an adapter, a server and a private state directory. */
export class Shoal {
  constructor(adapterName, server) {
    this.adapterName = adapterName;
    this.adapter = ADAPTERS[adapterName];
    this.server = server;
    // Short on purpose: the socket path inside must stay under 104 bytes.
    this.stateDir = mkdtempSync("/tmp/shb-");
    this.env = { ...process.env, SHOAL_ADAPTER: adapterName };
    setups.add(this);
  }

  /** What a host's MCP config would run. */
  proxySpec() {
    return {
      command: this.adapter.command,
      args: [
        ...this.adapter.prefix,
        "proxy",
        "--state-dir",
        this.stateDir,
        "--",
        this.server.command,
        ...this.server.args,
      ],
      env: this.env,
    };
  }

  /** Run a control command (`status --json`, `stop --all`); resolves with stdout. */
  async cli(...args) {
    const { stdout } = await promisify(execFile)(
      this.adapter.command,
      [...this.adapter.prefix, ...args, "--state-dir", this.stateDir],
      { env: this.env, encoding: "utf8" },
    ).catch((err) => {
      if (err.code === 3) return { stdout: err.stdout }; // status: nothing runs
      throw err;
    });
    return stdout;
  }

  async status() {
    return JSON.parse(await this.cli("status", "--json"));
  }

  /** The one daemon of this setup: its pid, its server's pid, its adapter. */
  async daemon() {
    const [daemon] = (await this.status()).daemons;
    if (daemon === undefined) throw new Error(`No daemon runs in ${this.stateDir}`);
    return daemon;
  }

  stop() {
    return this.cli("stop", "--all");
  }

  async dispose() {
    setups.delete(this);
    await this.stop().catch(() => {});
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
