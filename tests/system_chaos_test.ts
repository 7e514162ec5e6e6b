/**
 * Issue 5 chaos test: 8 real SDK hosts call `echo` through `shoal proxy` without pause
 * while the test `kill -9`s, in a seeded random order, the server, the daemon and
 * single proxies, and now and then runs `shoal stop --all` or `shoal restart`
 * (harness/chaos_faults.ts). Replay a run with `CHAOS_SEED=<printed seed>`.
 *
 * Invariants: every call ends exactly once, with its own payload or with an error
 * that a fault explains (see chaos_ledger.ts); no call outlives its timeout; a host
 * whose proxy was not killed never sees its server exit; afterwards every host works
 * again, and `shoal stop --all` leaves no process, socket or lock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { ChaosHosts } from "./harness/chaos_hosts.ts";
import { FaultInjector, pause } from "./harness/chaos_faults.ts";
import { ChaosLedger } from "./harness/chaos_ledger.ts";
import { FIXTURES } from "./harness/fixtures.ts";
import { waitFor } from "./harness/cleanup.ts";
import { chaosSeed, SeededRandom } from "./harness/seeded_random.ts";
import { makeWorld } from "./harness/shoal_env.ts";
import { childrenOf, pidsMentioning, readLogFacts } from "./harness/world_facts.ts";

const HOSTS = 8;
const CALLERS_PER_HOST = 2;
const CHAOS_MS = 30_000;
const CALL_TIMEOUT_MS = 10_000;

test("chaos: 8 hosts keep calling while server, daemon and proxies are killed at random", {
  timeout: 120_000,
}, async () => {
  const seed = chaosSeed();
  console.log(`chaos seed: ${seed} (replay with CHAOS_SEED=${seed})`);
  const rng = new SeededRandom(seed);
  const world = makeWorld();
  const ledger = new ChaosLedger();
  const pids = new Set<number>();
  // The state dir as an extra argument marks this world's servers in /proc.
  const server = ["node", FIXTURES.pidServer, world.stateDir];
  const hosts = new ChaosHosts(world, server, ledger, pids, {
    count: HOSTS,
    callTimeoutMs: CALL_TIMEOUT_MS,
  });
  let report = "";
  try {
    await hosts.start();
    const callers = hosts.callers(CALLERS_PER_HOST, rng.fork());
    const startedAt = Date.now();
    await new FaultInjector(world, ledger, hosts, pids, FIXTURES.pidServer).run(
      rng.fork(),
      CHAOS_MS,
    );
    hosts.stopping = true;
    // Every call ends within its timeout, so the callers end within one timeout.
    const done = Promise.all(callers).then(() => true);
    await waitFor(() => Promise.race([done, pause(100).then(() => false)]), {
      timeoutMs: CALL_TIMEOUT_MS + 5_000,
      what: "every caller's last call to end",
    });
    const chaosMs = Date.now() - startedAt;
    await hosts.recovered();
    hosts.inspect();
    ledger.attribute();
    // A proxy killed at the end keeps its session while its held requests drain (2 s).
    const settled = async () => {
      const daemons = (await world.status()).json?.daemons ?? [];
      return daemons.length === 1 && daemons[0].clients?.length === HOSTS ? daemons : null;
    };
    const daemons = await waitFor(settled, { timeoutMs: 5_000 }).catch(async () =>
      (await world.status()).json?.daemons ?? []
    );
    if (daemons.length !== 1) {
      ledger.problem(`expected one daemon after the chaos, status shows ${daemons.length}`);
    } else if (daemons[0].clients.length !== HOSTS) {
      ledger.problem(`expected ${HOSTS} attached hosts, status shows ${daemons[0].clients.length}`);
    } else await hosts.sameServer(daemons[0].upstreams[0].pid);
    const facts = readLogFacts(world.stateDir);
    for (const pid of facts.serverPids) pids.add(pid);
    report = ledger.report({
      "chaos phase":
        `${chaosMs} ms, ${HOSTS} hosts × ${CALLERS_PER_HOST} callers, ${CALL_TIMEOUT_MS} ms per call`,
      "server restarts (daemon logs)": facts.serverRestarts,
      "daemons started (daemon logs)": `${facts.daemonsStarted} (${
        facts.daemonsStarted - 1
      } after the first)`,
      "proxy attaches (daemon logs)": `${facts.attaches} by ${facts.proxies} proxies = ${
        facts.attaches - facts.proxies
      } reconnects`,
    });
  } finally {
    hosts.stopping = true;
    console.log(`chaos (seed ${seed}):\n${report}`);
    await world.close([...new Set([...pids, ...pidsMentioning(world.stateDir)])]);
  }
  await waitFor(() => pidsMentioning(world.stateDir).length === 0, {
    what: "no process of this world to remain",
  });
  assert.deepEqual(ledger.problems, [], `chaos seed ${seed}: invariants broken`);
  assert.ok(ledger.counts.ok > 100, "the hosts got real work done");
  assert.equal(ledger.explainedBy.stop, 0, "a graceful stop lets requests in flight finish");
  for (const kind of ["server", "daemon", "proxy"] as const) {
    assert.ok(ledger.faults.some((f) => f.kind === kind), `at least one ${kind} was killed`);
  }
});

test(
  "a daemon kill, then the new server dies during the replayed handshake: every host works again",
  { timeout: 60_000 },
  async () => {
    const world = makeWorld();
    // A slow server start keeps the new daemon's first handshake open long enough to hit.
    const server = ["node", FIXTURES.pidServer, world.stateDir];
    const env = { FIXTURE_STARTUP_MS: "1500" };
    const seen: number[] = [];
    try {
      const hosts = await Promise.all(
        ["a", "b"].map((name) => world.host(server, { name, env, connectTimeoutMs: 30_000 })),
      );
      for (const host of hosts) seen.push(host.pid);
      const [daemon] = world.daemonPids();
      seen.push(daemon);
      process.kill(daemon, "SIGKILL");
      // Both hosts speak, so both proxies reconnect and replay their handshake at once.
      const interrupted = hosts.map((h) =>
        h.callTool("echo", { text: "x" }, { timeoutMs: 30_000 }).catch((e) => e)
      );
      // The daemon that serves both (racing proxies may start a second one that loses).
      const next = await waitFor(async () => {
        const serving = (await world.status()).json?.daemons?.[0];
        return serving?.clients?.length === 2 ? serving.pid as number : 0;
      }, { timeoutMs: 10_000, what: "both proxies to be attached to a new daemon" });
      seen.push(next);
      const starting = await waitFor(() => childrenOf(next, FIXTURES.pidServer)[0], {
        what: "the new server",
      });
      seen.push(starting);
      process.kill(starting, "SIGKILL");
      for (const outcome of await Promise.all(interrupted)) {
        // Interrupted by the daemon's death, or answered by the restarted server.
        if (outcome instanceof Error) {
          assert.equal((outcome as { code?: number }).code, -32008, String(outcome));
        } else assert.equal(outcome.text, "x");
      }
      for (const [i, host] of hosts.entries()) {
        const r = await host.callTool("echo", { text: `after ${i}` }, { timeoutMs: 30_000 });
        assert.equal(r.text, `after ${i}`);
        assert.equal(host.stderr(), "", "the replay succeeded without a warning");
      }
    } finally {
      await world.close([...seen, ...pidsMentioning(world.stateDir)]);
    }
  },
);
