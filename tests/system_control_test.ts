/** The control client: status, stop, logs, restart never start anything and say why. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { FIXTURES } from "./harness/fixtures.ts";
import { makeWorld } from "./harness/shoal_env.ts";
import { waitFor } from "./harness/cleanup.ts";
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
    await waitFor(() => readFileSync(json.daemons[0].log, "utf8").includes("client_attached"), {
      what: "the attach in the daemon log",
    });
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

test("a chatty server cannot fill the disk: the log rotates to .1 past --log-max-bytes", { timeout: 60_000 }, async () => {
  const world = makeWorld();
  const max = 64 * 1024;
  // 4,000 stderr lines (~100 bytes each in the log) before the server starts.
  const chatty = [
    "sh",
    "-c",
    'i=0; while [ $i -lt 4000 ]; do echo "chatty server noise line $i" >&2; i=$((i+1)); done; exec node "$0"',
    FIXTURES.pidServer,
  ];
  try {
    const host = await world.host(chatty, { extra: ["--log-max-bytes", String(max)] });
    await host.callTool("pid", {});
    const { json } = await world.status();
    const log: string = json.daemons[0].log;
    await waitFor(() => readFileSync(log, "utf8").includes("noise line 3999"), {
      timeoutMs: 20_000,
      what: "the last noise line in the log",
    });
    const line = 400; // generous bound for one log line
    assert.ok(statSync(log).size <= max + line, `log ${statSync(log).size} bytes`);
    assert.ok(statSync(`${log}.1`).size <= max + line, `log.1 ${statSync(`${log}.1`).size} bytes`);
    assert.ok(statSync(`${log}.1`).size > max / 2, "the rotated file holds the older lines");
  } finally {
    await world.close();
  }
});
