/**
 * Direct mode beyond the first attach: a daemon that cannot start is noticed at once
 * (not at the 15 s attach deadline), a daemon lost mid-session with none to replace it
 * leaves the host with a direct server instead of a hang, and a direct server never
 * outlives its host, nor does anything it spawned.
 *
 * "Cannot start" is real here, not simulated: a directory sits where the daemon must
 * rename its socket, so `publishSocket` fails with EISDIR.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import { isAlive, waitFor } from "./harness/cleanup.ts";
import { FIXTURES } from "./harness/fixtures.ts";
import { runShoal } from "./harness/shoal.ts";
import { makeWorld, type World } from "./harness/shoal_env.ts";

const PID_SERVER = ["node", FIXTURES.pidServer];
const HOST_PROCESS = new URL("./fixtures/host_process.mjs", import.meta.url).pathname;

/** Key, socket and log of the daemon for PID_SERVER in `world`, then stop it. */
async function learnPaths(world: World): Promise<{ socket: string; log: string }> {
  const host = await world.host(PID_SERVER);
  const { json } = await world.status();
  const { socket, log } = json.daemons[0];
  await host.close();
  await runShoal(["stop", "--all", "--state-dir", world.stateDir]);
  return { socket, log };
}

/** Where a daemon must put its socket, a directory: no daemon can start. */
function blockSocket(socket: string): () => void {
  rmSync(socket, { force: true });
  mkdirSync(`${socket}/x`, { recursive: true });
  return () => rmSync(socket, { recursive: true, force: true });
}

test("a daemon that cannot start: the proxy runs the server directly at once, naming why", {
  timeout: 60_000,
}, async () => {
  const world = makeWorld();
  let unblock = () => {};
  try {
    const { socket, log } = await learnPaths(world);
    const startsBefore = readFileSync(log, "utf8").match(/ daemon_start /g)!.length;
    unblock = blockSocket(socket);
    const host = await world.host(PID_SERVER);
    const decidedMs = host.stderrAfterMs();
    console.log(`# went direct ${decidedMs} ms after the proxy was spawned`);
    const lines = host.stderr().trim().split("\n");
    assert.equal(lines.length, 1, host.stderr());
    assert.match(lines[0], /running the server directly.*the daemon could not start \(exit code \d+\): error: Cannot listen on .*EISDIR.*; log: /);
    assert.ok(decidedMs !== null && decidedMs < 5_000, `direct after ${decidedMs} ms (the deadline is 15 s)`);
    const starts = readFileSync(log, "utf8").match(/ daemon_start /g)!.length - startsBefore;
    assert.ok(starts <= 2, `${starts} daemons were started in vain`);
    assert.ok((await host.callTool("pid", {})).structured.pid > 0);
    await host.close();
  } finally {
    unblock();
    await world.close();
  }
});

test("the daemon lost mid-session and none can start: the host carries on with a direct server", {
  timeout: 60_000,
}, async () => {
  const world = makeWorld();
  let unblock = () => {};
  let direct = 0;
  try {
    const host = await world.host(PID_SERVER);
    const shared = (await host.callTool("pid", {})).structured.pid;
    const { json } = await world.status();
    const [daemon] = world.daemonPids();
    // Blocked first: the proxy reconnects the moment the daemon dies. The daemon keeps
    // serving its open connection without the socket file until then.
    unblock = blockSocket(json.daemons[0].socket);
    process.kill(daemon, "SIGKILL");
    process.kill(shared, "SIGKILL");
    await waitFor(() => !isAlive(daemon) && !isAlive(shared), { what: "daemon and server to die" });

    // A call made before the proxy has noticed the loss is failed (−32008: it may have
    // run); the host asks again, as a host would.
    const pidCall = () => host.callTool("pid", {}, { timeoutMs: 30_000 });
    direct = (await pidCall().catch((err) => err?.code === -32008 ? pidCall() : Promise.reject(err))).structured.pid;
    assert.notEqual(direct, shared);
    const parent = Number(readFileSync(`/proc/${direct}/stat`, "utf8").split(") ")[1].split(" ")[1]);
    assert.equal(parent, host.pid, "the proxy runs the server itself");
    const lines = host.stderr().trim().split("\n");
    assert.equal(lines.length, 1, host.stderr());
    assert.match(lines[0], /running the server directly.*the daemon was lost and no other can be had: the daemon could not start/);
    // The replayed handshake made it a full server for this host.
    assert.equal((await host.callTool("echo", { text: "still here" })).text, "still here");
    assert.deepEqual(world.daemonPids(), [], "no daemon runs");

    await host.close();
    await waitFor(() => !isAlive(direct) && !isAlive(host.pid), { what: "the direct server and proxy to exit" });
  } finally {
    unblock();
    if (direct !== 0 && isAlive(direct)) process.kill(direct, "SIGKILL");
    await world.close();
  }
});

/** A host in its own process (kill -9 able) whose proxy runs directly: the state dir is unsafe. */
async function directHost(world: World, server: string[]): Promise<{
  child: ChildProcess;
  lines: Interface;
  proxyPid: number;
  call(tool: string): Promise<any>;
}> {
  chmodSync(world.stateDir, 0o777);
  const { command, args } = world.proxyArgv(server);
  const child = spawn("node", [HOST_PROCESS, "--", command, ...args], { stdio: ["pipe", "pipe", "ignore"] });
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<any>((resolve) => lines.once("line", (l) => resolve(JSON.parse(l))));
  const { proxyPid } = await next();
  return {
    child,
    lines,
    proxyPid,
    call(tool) {
      child.stdin!.write(`call ${tool}\n`);
      return next();
    },
  };
}

for (
  const [what, server] of [
    ["a server that exits on stdin EOF", PID_SERVER],
    // sh stays after the server exits: only the parent-pid watchdog ends it.
    ["a server that outlives its stdin", ["sh", "-c", `node "${FIXTURES.pidServer}"; exec sleep 1000`]],
  ] as const
) {
  test(`direct mode, host killed outright: ${what} and what it spawned go with the host`, {
    timeout: 60_000,
  }, async () => {
    const world = makeWorld();
    const pids: number[] = [];
    try {
      const host = await directHost(world, [...server]);
      const spawned = await host.call("spawn_child");
      assert.ok(spawned.ok, JSON.stringify(spawned));
      const grandchild = spawned.result.pid as number;
      pids.push(host.proxyPid, grandchild);
      assert.ok(isAlive(grandchild));
      host.child.kill("SIGKILL");
      await waitFor(() => !isAlive(host.proxyPid) && !isAlive(grandchild), {
        timeoutMs: 10_000,
        what: "the proxy and the server's child to be gone",
      });
      host.lines.close();
    } finally {
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
      chmodSync(world.stateDir, 0o700);
      await world.close();
    }
  });
}
