/** The control client: status, stop, logs, restart never start anything and say why. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { FIXTURES } from "./harness/fixtures.ts";
import { makeWorld } from "./harness/shoal_env.ts";
import { runShoal } from "./harness/shoal.ts";

test("control commands on a missing state dir: nothing runs, nothing is created", { timeout: 30_000 }, async () => {
  const dir = "/tmp/sh-missing-state-dir";
  const status = await runShoal(["status", "--state-dir", dir]);
  assert.deepEqual(status, { status: 3, stdout: "No shoal daemon is running\n", stderr: "" });
  const json = await runShoal(["status", "--json", "--state-dir", dir]);
  assert.equal(json.status, 3);
  assert.deepEqual(JSON.parse(json.stdout).daemons, []);
  assert.deepEqual(await runShoal(["stop", "--all", "--state-dir", dir]), {
    status: 0,
    stdout: "No shoal daemon is running\n",
    stderr: "",
  });
  const stop = await runShoal(["stop", "abcd", "--state-dir", dir]);
  assert.equal(stop.status, 3);
  assert.equal(stop.stderr, 'error: No daemon matches "abcd": run "shoal status" to list them\n');
  const logs = await runShoal(["logs", "abcd", "--state-dir", dir]);
  assert.equal(logs.status, 3);
  assert.match(logs.stderr, /No log matches "abcd"/);
  assert.equal(existsSync(dir), false);
});

test("logs prints the daemon log by name and by key prefix; -n limits it", { timeout: 30_000 }, async () => {
  const world = makeWorld();
  try {
    const host = await world.host(["node", FIXTURES.pidServer]);
    await host.callTool("pid", {});
    const { json } = await world.status();
    const key: string = json.daemons[0].key;
    const byName = await runShoal(["logs", "pid_server", "--state-dir", world.stateDir]);
    assert.equal(byName.status, 0);
    assert.match(byName.stdout, /daemon_start .*name=pid_server/);
    assert.match(byName.stdout, /server_started/);
    assert.match(byName.stdout, /client_attached/);
    const byKey = await runShoal(["logs", key.slice(0, 6), "-n", "1", "--state-dir", world.stateDir]);
    assert.equal(byKey.status, 0);
    assert.equal(byKey.stdout.trim().split("\n").length, 1);
  } finally {
    await world.close();
  }
});
