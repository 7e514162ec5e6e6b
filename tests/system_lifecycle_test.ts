/**
 * Issue 3 system tests: the real binary (SHOAL_BIN) or src/main.ts on this runtime,
 * real SDK hosts, the pid fixture server. Each test owns its state dir and proves it
 * left nothing behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { FIXTURES } from "./harness/fixtures.ts";
import { isAlive, waitFor } from "./harness/cleanup.ts";
import { startHost } from "./harness/host.ts";
import { daemonPids, makeWorld } from "./harness/shoal_env.ts";
import { runShoal } from "./harness/shoal.ts";

const PID_SERVER = ["node", FIXTURES.pidServer];

async function serverPid(host: { callTool(n: string, a?: object): Promise<{ structured: any }> }) {
  return (await host.callTool("pid", {})).structured.pid as number;
}

test("two hosts started one after the other share one server process", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER, { name: "host-a" });
    const b = await world.host(PID_SERVER, { name: "host-b" });
    const [pa, pb] = await Promise.all([serverPid(a), serverPid(b)]);
    assert.equal(pa, pb, "both hosts reach the same server process");
    assert.ok((await a.listTools()).includes("pid"));
    assert.deepEqual([...await b.listTools()].sort(), [...await a.listTools()].sort());
    const calls = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).callTool("echo", { text: `m${i}`, delayMs: 20 })),
    );
    assert.deepEqual(calls.map((c) => c.text), Array.from({ length: 10 }, (_, i) => `m${i}`));
    const { status, json } = await world.status();
    assert.equal(status, 0);
    assert.equal(json.daemons.length, 1);
    assert.equal(json.daemons[0].clients.length, 2);
    assert.equal(json.daemons[0].upstreams[0].pid, pa);
  } finally {
    await world.close();
  }
});

test("50 proxies at the same instant: one daemon, one server, 50 initializes, quiet stderr", { timeout: 120_000 }, async () => {
  const world = makeWorld();
  try {
    const hosts = await Promise.all(
      Array.from({ length: 50 }, (_, i) => world.host(PID_SERVER, { name: `h${i}`, connectTimeoutMs: 60_000 })),
    );
    // stderr first: when a proxy fell back to running the server directly, it says why.
    for (const h of hosts) assert.equal(h.stderr(), "", "nothing on a host's stderr");
    const pids = new Set(await Promise.all(hosts.map(serverPid)));
    assert.equal(pids.size, 1, "one server process");
    assert.equal(world.daemonPids().length, 1, "one daemon process");
    const { json } = await world.status();
    assert.equal(json.daemons.length, 1);
    assert.equal(json.daemons[0].clients.length, 50);
  } finally {
    await world.close();
  }
});

test("kill -9 of a host: its proxy exits, others carry on, the daemon lingers then leaves nothing", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  const { command, args } = world.proxyArgv(PID_SERVER, ["--idle", "1"]);
  const victim = spawn("node", [`${process.cwd()}/tests/fixtures/host_process.mjs`, "--", command, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: victim.stdout! }).once("line", resolve);
      victim.once("exit", () => reject(new Error("host process exited early")));
    });
    const { proxyPid, serverPid: victimServer } = JSON.parse(line);
    const other = await world.host(PID_SERVER, { extra: ["--idle", "1"] });
    assert.equal(await serverPid(other), victimServer);
    const daemons = world.daemonPids();
    assert.equal(daemons.length, 1);
    process.kill(victim.pid!, "SIGKILL");
    const killedAt = Date.now();
    await waitFor(() => !isAlive(proxyPid), { timeoutMs: 10_000, what: "the orphaned proxy to exit" });
    const exitedMs = Date.now() - killedAt;
    console.log(`# the orphaned proxy exited ${exitedMs} ms after its host`);
    assert.ok(exitedMs <= 2_000, `the orphaned proxy took ${exitedMs} ms to exit`);
    assert.equal(await serverPid(other), victimServer, "the other host still works");
    await other.close();
    await waitFor(() => world.daemonPids().length === 0, { timeoutMs: 10_000, what: "idle daemon to exit" });
    assert.ok(!isAlive(victimServer), "server stopped with the daemon");
  } finally {
    victim.kill("SIGKILL");
    await world.close();
  }
});

test("kill -9 of the daemon: a new host reclaims the stale lock and socket", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER);
    const first = await serverPid(a);
    const [daemon] = world.daemonPids();
    await a.close();
    process.kill(daemon, "SIGKILL");
    await waitFor(() => !isAlive(daemon), { what: "daemon death" });
    process.kill(first, "SIGKILL"); // the orphaned server would exit on stdin EOF anyway
    const b = await world.host(PID_SERVER);
    const second = await serverPid(b);
    assert.notEqual(second, first);
    const [newDaemon] = world.daemonPids();
    assert.ok(newDaemon !== undefined && newDaemon !== daemon);
  } finally {
    await world.close();
  }
});

test("a SIGSTOP'd daemon: a new proxy runs the server directly within 3 s; status says unresponsive", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  let stopped = 0;
  try {
    const a = await world.host(PID_SERVER);
    const shared = await serverPid(a);
    [stopped] = world.daemonPids();
    process.kill(stopped, "SIGSTOP");
    const b = await world.host(PID_SERVER);
    // The warning is written as the proxy gives up on the daemon: 2 s of hello timeout,
    // at once for a stopped process, plus the proxy's own start-up on a loaded machine.
    const decidedMs = b.stderrAfterMs();
    console.log(`# the proxy went direct ${decidedMs} ms after it was spawned`);
    assert.ok(decidedMs !== null && decidedMs < 3_000 + 1_500, `direct mode took ${decidedMs} ms`);
    const direct = await serverPid(b);
    assert.notEqual(direct, shared, "the host got its own server");
    assert.match(b.stderr(), /running the server directly/);
    assert.equal(b.stderr().trim().split("\n").length, 1, "one warning line");
    const { status, json } = await world.status();
    assert.equal(status, 0);
    assert.equal(json.daemons[0].state, "unresponsive");
    assert.equal(json.daemons[0].pid, stopped);
  } finally {
    if (stopped) process.kill(stopped, "SIGCONT");
    await world.close();
  }
});

test("a daemon of another build with a client drains; a new host gets a new daemon; no session fails", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const old = await world.host(PID_SERVER, { env: { SHOAL_BUILD_OVERRIDE: "build-1" } });
    const oldServer = await serverPid(old);
    const [oldDaemon] = world.daemonPids();
    const fresh = await world.host(PID_SERVER, { env: { SHOAL_BUILD_OVERRIDE: "build-2" } });
    const newServer = await serverPid(fresh);
    assert.notEqual(newServer, oldServer, "the new build runs its own server");
    assert.equal(await serverPid(old), oldServer, "the old session still works");
    assert.equal(world.daemonPids().length, 2);
    await old.close();
    await waitFor(() => !isAlive(oldDaemon), { timeoutMs: 10_000, what: "drained daemon to exit" });
    assert.equal(await serverPid(fresh), newServer);
  } finally {
    await world.close();
  }
});

test("unsafe state dir: the proxy runs the server directly with one stderr line; status fails with the reason", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  const unsafe = `${world.stateDir}/open`;
  mkdirSync(unsafe);
  chmodSync(unsafe, 0o777);
  try {
    const { command, args } = { ...world.proxyArgv(PID_SERVER) };
    const i = args.indexOf(world.stateDir);
    args[i] = unsafe;
    const host = await startHost({ sdk: "v1", command, args });
    try {
      assert.ok((await serverPid(host)) > 0);
      const lines = host.stderr().trim().split("\n");
      assert.equal(lines.length, 1);
      assert.match(lines[0], /writable by other users/);
    } finally {
      await host.close();
    }
    const r = await runShoal(["status", "--state-dir", unsafe]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /error: Cannot use state directory .*chmod 700/);
    assert.equal(existsSync(`${unsafe}/token`), false, "nothing written into an unsafe dir");
  } finally {
    await world.close();
  }
});

test("status --json has every documented field with real values; stop --all leaves nothing", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER, { name: "json-host", env: { MY_API_KEY: "secret-value" } });
    const pid = await serverPid(a);
    const { status, json } = await world.status();
    assert.equal(status, 0);
    const [d] = json.daemons;
    assert.match(d.key, /^[0-9a-f]{16}$/);
    assert.equal(d.name, "pid_server");
    assert.equal(d.command, "node");
    assert.deepEqual(d.args, [FIXTURES.pidServer]);
    assert.equal(d.cwd, process.cwd());
    assert.ok(d.pid > 0 && isAlive(d.pid));
    assert.equal(typeof d.version, "string");
    assert.ok(d.uptimeMs >= 0);
    assert.equal(d.clients[0].host, "json-host");
    assert.ok(d.clients[0].pid > 0);
    assert.equal(d.clients[0].inFlight, 0);
    assert.equal(d.upstreams[0].pid, pid);
    assert.equal(d.upstreams[0].state, "running");
    assert.equal(d.upstreams[0].restarts, 0);
    assert.ok(d.requestsServed >= 2);
    assert.equal(d.idle.timeoutMs, 30_000);
    assert.equal(d.idle.expiresInMs, null);
    assert.ok(existsSync(d.socket) && existsSync(d.log));
    assert.ok(d.rssBytes > 0);
    assert.ok(d.envNames.includes("MY_API_KEY"));
    const raw = JSON.stringify(json);
    assert.ok(!raw.includes("secret-value"), "no environment values");
    const r = await runShoal(["stop", "--all", "--state-dir", world.stateDir]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^stopped pid_server \(key [0-9a-f]{16}, pid \d+\)/);
    assert.equal(daemonPids(world.stateDir).length, 0);
    assert.ok(!isAlive(pid));
    assert.equal((await world.status()).status, 3);
  } finally {
    await world.close();
  }
});
