/**
 * Issue 5 system tests: a crashed server is restarted behind the hosts' backs, a server's
 * children die with it, `shoal restart` takes the same path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import { FIXTURES } from "./harness/fixtures.ts";
import { isAlive, provesAbsence, waitFor } from "./harness/cleanup.ts";
import { startHost } from "./harness/host.ts";
import { makeWorld } from "./harness/shoal_env.ts";
import { runShoal } from "./harness/shoal.ts";

const PID_SERVER = ["node", FIXTURES.pidServer];

type Caller = { callTool(n: string, a?: object, o?: object): Promise<{ structured: any; text: string }> };
const serverPid = async (h: Caller) => (await h.callTool("pid", {})).structured.pid as number;

/** Whether the host's server process (the proxy) has exited, without waiting for it. */
function hasExited(host: { exited: Promise<unknown> }): Promise<boolean> {
  return Promise.race([host.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 0))]);
}

/** The JSON-RPC error a call failed with (the SDK wraps it in McpError). */
async function rpcError(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    return err as { code: number; message: string };
  }
  throw new Error("expected the call to fail");
}

test("server crash: in-flight requests fail with the exit status and stderr; the server comes back", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER, { name: "a" });
    const b = await world.host(PID_SERVER, { name: "b" });
    const before = await serverPid(a);
    const slow = rpcError(a.callTool("slow", { steps: 100, intervalMs: 100 }, { timeoutMs: 30_000 }));
    await waitFor(async () => (await world.status()).json?.daemons[0]?.clients.some((c: any) => c.inFlight > 0), {
      what: "the slow call to be in flight",
    });
    const crashed = Date.now();
    const crash = await rpcError(b.callTool("crash", { code: 3 }, { timeoutMs: 30_000 }));
    const inflight = await slow;
    for (const err of [crash, inflight]) {
      assert.ok(err.code <= -32000 && err.code >= -32019, `code ${err.code}`);
      assert.match(err.message, /exited with code 3/);
      assert.match(err.message, /crashing on purpose with code 3/);
    }
    const after = await waitFor(async () => {
      try {
        return await serverPid(b);
      } catch {
        return 0;
      }
    }, { timeoutMs: 10_000, what: "the restarted server to answer" });
    console.log(`server crash → first successful call: ${Date.now() - crashed} ms`);
    assert.notEqual(after, before);
    assert.ok(!isAlive(before));
    assert.equal(await serverPid(a), after, "host a never reconnected and still works");
    const { json } = await world.status();
    assert.equal(json.daemons[0].upstreams[0].restarts, 1);
    assert.deepEqual(json.daemons[0].upstreams[0].lastExit, { code: 3, signal: null });
  } finally {
    await world.close();
  }
});

test("a server that keeps crashing is reported as a crash loop with its exit code and stderr", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  const crasher = ["sh", "-c", "echo 'boom: config missing' >&2; exit 7"];
  try {
    const host = startHost({ sdk: "v1", ...world.proxyArgv(crasher), connectTimeoutMs: 30_000 });
    const failure = await host.then(() => null, (err) => err as Error);
    assert.ok(failure, "the host's initialize fails instead of hanging");
    const json = await waitFor(async () => {
      const { json } = await world.status();
      return json?.daemons?.[0]?.upstreams?.[0]?.state === "crash-loop" ? json : null;
    }, { timeoutMs: 20_000, what: "crash-loop state" });
    const [u] = json.daemons[0].upstreams;
    assert.deepEqual(u.lastExit, { code: 7, signal: null });
    assert.equal(u.stderrTail.at(-1), "boom: config missing");
    assert.ok(u.restarts >= 4);
    const human = await runShoal(["status", "--state-dir", world.stateDir]);
    assert.match(human.stdout, /crash-loop/);
    assert.match(human.stdout, /boom: config missing/);
  } finally {
    await world.close();
  }
});

test("stopping a server kills its whole process group: no child is left behind", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER);
    const server = await serverPid(a);
    const child = (await a.callTool("spawn_child", {})).structured.pid as number;
    assert.ok(isAlive(child));
    const r = await runShoal(["stop", "--all", "--state-dir", world.stateDir]);
    assert.equal(r.status, 0);
    await waitFor(() => !isAlive(child) && !isAlive(server), { what: "server and its child to be gone" });
  } finally {
    await world.close();
  }
});

test("a crashed server's children die with it", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER);
    const child = (await a.callTool("spawn_child", {})).structured.pid as number;
    await rpcError(a.callTool("crash", { code: 1 }));
    await waitFor(() => !isAlive(child), { what: "the orphaned grandchild to be killed" });
  } finally {
    await world.close();
  }
});

test("shoal restart restarts the server through the crash path; hosts stay attached", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER);
    const before = await serverPid(a);
    const r = await runShoal(["restart", "pid_server", "--state-dir", world.stateDir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^restarted the server of pid_server \(key [0-9a-f]{16}\)/);
    const after = await waitFor(async () => {
      try {
        return await serverPid(a);
      } catch {
        return 0;
      }
    }, { timeoutMs: 10_000, what: "the restarted server" });
    assert.notEqual(after, before);
    assert.ok(!isAlive(before));
    const missing = await runShoal(["restart", "nope", "--state-dir", world.stateDir]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /No daemon matches "nope"/);
  } finally {
    await world.close();
  }
});

test("shoal restart starts the backoff over: the next crash restarts after 0.5 s, and the restart is no crash", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER);
    await rpcError(a.callTool("crash", { code: 1 }, { timeoutMs: 30_000 }));
    await serverPid(a); // back after 0.5 s; the next crash would wait 1 s
    const r = await runShoal(["restart", "pid_server", "--state-dir", world.stateDir]);
    assert.equal(r.status, 0, r.stderr);
    await serverPid(a);
    await rpcError(a.callTool("crash", { code: 1 }, { timeoutMs: 30_000 }));
    await serverPid(a);
    const { json } = await world.status();
    const scheduled = /server_restart_scheduled .*delay_ms=(\d+)/g;
    const log = await waitFor(() => {
      const text = readFileSync(json.daemons[0].log, "utf8");
      return (text.match(scheduled)?.length ?? 0) >= 3 ? text : "";
    }, { what: "three scheduled restarts in the log" });
    const delays = [...log.matchAll(scheduled)].map((m) => Number(m[1]));
    assert.deepEqual(delays, [500, 0, 500], "crash, deliberate restart, crash after it");
  } finally {
    await world.close();
  }
});

test("daemon kill -9 with hosts attached: proxies reconnect, only in-flight requests fail", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER, { name: "a" });
    const b = await world.host(PID_SERVER, { name: "b" });
    const before = await serverPid(a);
    const [daemon] = world.daemonPids();
    const slow = rpcError(a.callTool("slow", { steps: 100, intervalMs: 100 }, { timeoutMs: 30_000 }));
    await waitFor(async () => (await world.status()).json?.daemons[0]?.clients.some((c: any) => c.inFlight > 0), {
      what: "the slow call to be in flight",
    });
    process.kill(daemon, "SIGKILL");
    const err = await slow;
    assert.equal(err.code, -32008);
    assert.match(err.message, /daemon went away/);
    const after = await serverPid(a);
    assert.notEqual(after, before, "a new daemon started a new server");
    assert.equal(await serverPid(b), after, "both hosts moved to the same new daemon");
    const [newDaemon] = world.daemonPids();
    assert.ok(newDaemon !== daemon);
    assert.equal(await hasExited(a), false, "host a never saw its server exit");
    assert.equal(await hasExited(b), false);
    const { json } = await world.status();
    assert.equal(json.daemons[0].clients.length, 2);
    await waitFor(() => !isAlive(before), { what: "the orphaned server to exit on stdin EOF" });
  } finally {
    await world.close();
  }
});

test("shoal stop with hosts attached: hosts stay up and get a fresh daemon on their next request", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER, { name: "a" });
    const before = await serverPid(a);
    const stopped = await runShoal(["stop", "--all", "--state-dir", world.stateDir]);
    assert.equal(stopped.status, 0);
    await provesAbsence(500);
    assert.equal(world.daemonPids().length, 0, "nothing restarts while the host is idle");
    assert.ok(!isAlive(before));
    const after = await serverPid(a);
    assert.notEqual(after, before);
    assert.equal(world.daemonPids().length, 1);
    assert.equal(await hasExited(a), false);
  } finally {
    await world.close();
  }
});

test("shoal stop while the server waits to restart: the held request is resent to a new daemon, not failed", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER, { name: "a" });
    const first = await serverPid(a);
    // Three crashes in a row: the next restart is 2 s away, so requests are held.
    for (let i = 0; i < 3; i++) {
      await rpcError(a.callTool("crash", { code: 1 }, { timeoutMs: 30_000 }));
      if (i < 2) await serverPid(a); // back up (after the backoff) before the next crash
    }
    const [daemon] = world.daemonPids();
    const held = a.callTool("pid", {}, { timeoutMs: 30_000 });
    await waitFor(async () => (await world.status()).json?.daemons?.[0]?.clients?.[0]?.inFlight > 0, {
      what: "the request to be held by the daemon",
    });
    const stopped = await runShoal(["stop", "--all", "--state-dir", world.stateDir]);
    assert.equal(stopped.status, 0);
    const answered = (await held).structured.pid as number;
    assert.notEqual(answered, first);
    assert.ok(!world.daemonPids().includes(daemon), "a new daemon answered it");
    assert.equal(await hasExited(a), false);
  } finally {
    await world.close();
  }
});

test("an upgrade: hosts of an old build move to a new-build daemon after the old one is stopped", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  try {
    const old = await world.host(PID_SERVER, { env: { SHOAL_BUILD_OVERRIDE: "build-1" } });
    const oldServer = await serverPid(old);
    const fresh = await world.host(PID_SERVER, { env: { SHOAL_BUILD_OVERRIDE: "build-2" } });
    const newServer = await serverPid(fresh);
    assert.notEqual(newServer, oldServer);
    const draining = (await world.status()).json.daemons.find((d: any) => d.build === "build-1");
    assert.equal(draining.state, "draining");
    const r = await runShoal(["stop", String(draining.pid), "--state-dir", world.stateDir]);
    assert.equal(r.status, 0, r.stderr);
    await waitFor(() => !isAlive(draining.pid), { what: "the old daemon to exit" });
    assert.equal(await serverPid(old), newServer, "the old host moved to the new daemon");
    assert.equal(await hasExited(old), false);
    assert.equal(await serverPid(fresh), newServer);
  } finally {
    await world.close();
  }
});
