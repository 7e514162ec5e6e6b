/**
 * The faults of a chaos run, in shuffled rounds a random 0.5–2 s apart: `kill -9` of
 * the running server, of a daemon and of a host's proxy, plus the graceful paths
 * `shoal stop --all` and `shoal restart`. A kill is sometimes followed by a kill of
 * the victim's successor as soon as it appears (a server at spawn, during the
 * handshake replay; a daemon during its startup and election).
 */
import process from "node:process";
import type { ChaosHosts } from "./chaos_hosts.ts";
import type { ChaosLedger } from "./chaos_ledger.ts";
import { isAlive } from "./cleanup.ts";
import type { SeededRandom } from "./seeded_random.ts";
import { runShoal } from "./shoal.ts";
import type { World } from "./shoal_env.ts";
import { childrenOf } from "./world_facts.ts";

/** The server dies twice as often as the others; once a round shoal acts on purpose. */
const ROUND = ["server", "server", "daemon", "proxy", "graceful"] as const;
/** How often a kill is followed by a kill of the successor as soon as it starts. */
const DOUBLE_KILL_CHANCE = 0.3;
/**
 * Server exits in a row before a daemon kill is due instead. The restart backoff
 * doubles from 0.5 s per exit, and a request that arrives during the restart is held
 * until the server is back: after 4 exits it waits up to 4 s, after 6 up to 16 s,
 * beyond the per-call timeout (a daemon-side limit this run does not cover).
 */
export const MAX_SERVER_STREAK = 4;

/** Chaos pacing: the random gap between faults is the point, not a wait for readiness. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class FaultInjector {
  /** Server exits since the last daemon kill: the restart backoff grows with them. */
  #serverStreak = 0;
  readonly #world: World;
  readonly #ledger: ChaosLedger;
  readonly #hosts: ChaosHosts;
  readonly #pids: Set<number>;
  readonly #serverScript: string;

  /** `pids` collects every server and daemon pid seen; `serverScript` names server processes. */
  constructor(
    world: World,
    ledger: ChaosLedger,
    hosts: ChaosHosts,
    pids: Set<number>,
    serverScript: string,
  ) {
    this.#world = world;
    this.#ledger = ledger;
    this.#hosts = hosts;
    this.#pids = pids;
    this.#serverScript = serverScript;
  }

  async run(rng: SeededRandom, durationMs: number): Promise<void> {
    const deadline = Date.now() + durationMs;
    let round: Array<(typeof ROUND)[number]> = [];
    while (Date.now() < deadline) {
      await pause(rng.int(500, 2000));
      if (round.length === 0) round = rng.shuffle([...ROUND]);
      const kind = round.pop()!;
      if (kind === "server") await this.#killServer(rng);
      else if (kind === "daemon") await this.#killDaemon(rng);
      else if (kind === "proxy") this.#hosts.killProxy(rng);
      else await this.#command(rng.pick(["stop", "restart"] as const));
    }
  }

  async #killServer(rng: SeededRandom): Promise<void> {
    const twice = rng.chance(DOUBLE_KILL_CHANCE);
    if (this.#serverStreak + (twice ? 2 : 1) > MAX_SERVER_STREAK) return this.#killDaemon(rng);
    const { json } = await this.#world.status();
    const daemons: any[] = json?.daemons ?? [];
    const daemon = daemons.find((d) => d.state === "ready");
    const upstream = daemon?.upstreams?.[0];
    if (upstream?.state !== "running" || !isAlive(upstream.pid)) {
      this.#ledger.skipped.server++;
      return;
    }
    this.#pids.add(upstream.pid);
    const note = daemons.map((d) => `daemon ${d.pid} ${d.state}, ${d.clients.length} hosts`).join(
      "; ",
    );
    this.#ledger.fault("server", upstream.pid, note, () => process.kill(upstream.pid, "SIGKILL"));
    this.#serverStreak++;
    if (!twice) return;
    const next = await appears(() =>
      childrenOf(daemon.pid, this.#serverScript).filter((p) => p !== upstream.pid)
    );
    if (next === undefined) return;
    this.#pids.add(next);
    this.#ledger.fault(
      "server",
      next,
      "its successor, at spawn",
      () => process.kill(next, "SIGKILL"),
    );
    this.#serverStreak++;
  }

  async #killDaemon(rng: SeededRandom): Promise<void> {
    const pids = this.#world.daemonPids();
    if (pids.length === 0) {
      this.#ledger.skipped.daemon++;
      return;
    }
    for (const pid of pids) this.#pids.add(pid);
    const pid = rng.pick(pids);
    this.#ledger.fault(
      "daemon",
      pid,
      `${pids.length} daemon processes`,
      () => process.kill(pid, "SIGKILL"),
    );
    this.#serverStreak = 0;
    if (!rng.chance(DOUBLE_KILL_CHANCE)) return;
    const next = await appears(() => this.#world.daemonPids().filter((p) => !pids.includes(p)));
    if (next === undefined) return;
    this.#pids.add(next);
    this.#ledger.fault(
      "daemon",
      next,
      "its successor, at startup",
      () => process.kill(next, "SIGKILL"),
    );
  }

  /** `shoal stop --all` (the daemon exits; hosts move to a new one) or `shoal restart`. */
  async #command(kind: "stop" | "restart"): Promise<void> {
    const { json } = await this.#world.status();
    const daemon = json?.daemons?.find((d: any) => d.state === "ready");
    if (daemon === undefined) {
      this.#ledger.skipped[kind]++;
      return;
    }
    const dir = ["--state-dir", this.#world.stateDir];
    const before = Date.now();
    const r = await runShoal(
      kind === "stop" ? ["stop", "--all", ...dir] : ["restart", daemon.key, ...dir],
    );
    const after = Date.now();
    const note = `daemon ${daemon.pid}, exit status ${r.status}${
      r.status === 0 ? "" : `: ${r.stderr.trim()}`
    }`;
    this.#ledger.book({ kind, pid: daemon.pid, before, after, note });
    if (r.status !== 0) this.#ledger.problem(`shoal ${kind} failed: ${note}`);
    // Both start the backoff over: a new daemon, or a deliberate restart.
    this.#serverStreak = 0;
  }
}

/** The first pid `find` returns, polled tightly to catch a process as it starts. */
async function appears(find: () => number[]): Promise<number | undefined> {
  // Long enough for the longest restart delay the streak allows, and then some.
  const deadline = Date.now() + 2 * 2 ** MAX_SERVER_STREAK * 500;
  while (Date.now() < deadline) {
    const [pid] = find();
    if (pid !== undefined) return pid;
    await pause(2);
  }
  return undefined;
}
