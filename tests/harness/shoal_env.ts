/**
 * One isolated shoal world per test: a private state dir, hosts that run
 * `shoal proxy --state-dir <dir> -- <server>`, `shoal status --json`, and a teardown
 * that stops every daemon and proves nothing is left behind.
 */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.d.ts"
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { assertNoLeftovers, isAlive, makeStateDir, removeStateDir, waitFor } from "./cleanup.ts";
import type { Command } from "./fixtures.ts";
import { startHost, type Host, type HostOptions } from "./host.ts";
import { type RawPeer, startRawPeer } from "./raw_peer.ts";
import { runShoal, shoalArgv } from "./shoal.ts";

export interface World {
  stateDir: string;
  /** argv of `shoal proxy` for `server` with this world's state dir. */
  proxyArgv(server: string[], extra?: string[]): { command: string; args: string[] };
  /**
   * An SDK host running `shoal proxy -- <server>`. `wrap` rewrites the proxy command
   * before the host spawns it (e.g. `(c) => tapped(log, c)` to count what crosses the
   * host↔proxy pipe).
   */
  host(server: string[], options?: Partial<HostOptions> & WorldHostOptions): Promise<Host>;
  /**
   * A raw JSON-RPC peer running `shoal proxy -- <server>`, with the environment an SDK
   * host gives its server (so both land on the same server key); closed by {@link close}.
   */
  rawPeer(server: string[], extra?: string[]): RawPeer;
  status(): Promise<{ status: number | null; json: any; stderr: string }>;
  /** Pids of `shoal daemon` processes serving this state dir (from /proc). */
  daemonPids(): number[];
  /** Stop everything and assert no process, socket or lock is left. */
  close(extraPids?: number[]): Promise<void>;
}

export interface WorldHostOptions {
  /** Extra `shoal proxy` options, before the `--`. */
  extra?: string[];
  wrap?: (proxy: Command) => Command;
}

export function makeWorld(): World {
  const stateDir = makeStateDir();
  const hosts: Host[] = [];
  const peers: RawPeer[] = [];
  const world: World = {
    stateDir,
    proxyArgv: (server, extra = []) =>
      shoalArgv("proxy", "--state-dir", stateDir, "--idle", "30", ...extra, "--", ...server),
    async host(server, options = {}) {
      const proxy = world.proxyArgv(server, options.extra);
      const { command, args } = options.wrap ? options.wrap(proxy) : proxy;
      const host = await startHost({ sdk: "v1", command, args, ...options });
      hosts.push(host);
      return host;
    },
    rawPeer(server, extra) {
      const peer = startRawPeer({
        ...world.proxyArgv(server, extra),
        env: getDefaultEnvironment(),
        inheritEnv: false,
      });
      peers.push(peer);
      return peer;
    },
    async status() {
      const r = await runShoal(["status", "--json", "--state-dir", stateDir]);
      let json: any = null;
      try {
        json = JSON.parse(r.stdout);
      } catch { /* leave null: the test asserts */ }
      return { status: r.status, json, stderr: r.stderr };
    },
    daemonPids: () => daemonPids(stateDir),
    async close(extraPids = []) {
      await Promise.all([
        ...hosts.map((h) => h.close().catch(() => {})),
        ...peers.map((p) => p.close().catch(() => {})),
      ]);
      const daemons = daemonPids(stateDir);
      await runShoal(["stop", "--all", "--state-dir", stateDir]).catch(() => {});
      try {
        await waitFor(() => daemonPids(stateDir).length === 0, { timeoutMs: 10_000, what: "daemons to exit" });
        await assertNoLeftovers(stateDir, [...daemons, ...extraPids]);
      } finally {
        for (const pid of [...daemons, ...extraPids]) {
          if (isAlive(pid)) {
            try {
              process.kill(pid, "SIGKILL");
            } catch { /* already gone */ }
          }
        }
        removeStateDir(stateDir);
      }
    },
  };
  return world;
}

/** `shoal daemon` processes whose command line names `stateDir`. */
export function daemonPids(stateDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (argv.includes("daemon") && argv.includes(stateDir) && isAlive(Number(name))) pids.push(Number(name));
  }
  return pids;
}
