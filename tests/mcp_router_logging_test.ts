import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Harness,
  notification,
  readyHarness,
  recipients,
  request,
  result,
  SERVER_CAPABILITIES,
  toClient,
  toUpstream,
} from "./_mcp_harness.ts";

function ready(...clients: number[]): Harness {
  return readyHarness(clients);
}

const log = (level: string) =>
  notification("notifications/message", { level, logger: "t", data: level });
const setLevel = (id: number, level: string) => request(id, "logging/setLevel", { level });

test("hosts that never set a level get every message (server default)", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  for (const level of ["debug", "info", "emergency", "made-up"]) {
    assert.deepEqual(recipients(h.server(log(level))), [1, 2]);
  }
});

test("the server gets the most verbose level needed; each host is filtered to its own", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2, 3);
  // Host 3 never sets a level and must keep getting everything: upstream goes to debug.
  const first = h.send(1, setLevel(1, "error"));
  const [up] = toUpstream(first);
  assert.deepEqual(up.params, { level: "debug" });
  assert.deepEqual(
    toClient(h.server(result(up.id)), 1),
    [result(1)],
    "the host sees the server's answer",
  );
  const second = h.send(2, setLevel(1, "warning"));
  assert.deepEqual(toUpstream(second), [], "no upstream change needed");
  assert.deepEqual(toClient(second, 2), [result(1)]);
  assert.deepEqual(recipients(h.server(log("info"))), [3]);
  assert.deepEqual(recipients(h.server(log("warning"))), [2, 3]);
  assert.deepEqual(recipients(h.server(log("critical"))), [1, 2, 3]);
  assert.deepEqual(h.router.snapshot().clients.map((c) => c.logLevel), [
    "error",
    "warning",
    undefined,
  ]);
});

test("upstream follows the hosts that remain", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  const [up1] = toUpstream(h.send(1, setLevel(1, "info")));
  assert.equal(up1.params.level, "debug", "host 2 has no level yet");
  h.server(result(up1.id));
  const [up2] = toUpstream(h.send(2, setLevel(1, "error")));
  assert.equal(up2.params.level, "info");
  h.server(result(up2.id));
  const [up3] = toUpstream(h.remove(1));
  assert.deepEqual([up3.method, up3.params], ["logging/setLevel", { level: "error" }]);
  assert.deepEqual(recipients(h.server(result(up3.id))), []);
  assert.deepEqual(recipients(h.server(log("warning"))), []);
  assert.deepEqual(recipients(h.server(log("error"))), [2]);
  assert.equal(h.router.snapshot().lanes[0].logLevel, "error");
});

test("a single host's level goes upstream as is", { timeout: 5000 }, () => {
  const h = ready(1);
  const [up] = toUpstream(h.send(1, setLevel(4, "notice")));
  assert.deepEqual(up.params, { level: "notice" });
  assert.deepEqual(toClient(h.server(result(up.id)), 1), [result(4)]);
  assert.deepEqual(recipients(h.server(log("info"))), []);
  assert.deepEqual(recipients(h.server(log("notice"))), [1]);
});

test("setLevel is forwarded untouched when the server has no logging or the level is unknown", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1);
  const { logging: _, ...noLogging } = SERVER_CAPABILITIES;
  h.initialize(1, { serverCapabilities: noLogging });
  const [up] = toUpstream(h.send(1, setLevel(1, "error")));
  assert.deepEqual(up.params, { level: "error" });
  assert.equal(
    toClient(
      h.server({ jsonrpc: "2.0", id: up.id, error: { code: -32601, message: "Method not found" } }),
      1,
    )[0].error.code,
    -32601,
  );
  const g = ready(2);
  const [odd] = toUpstream(g.send(2, setLevel(1, "loud")));
  assert.deepEqual(odd.params, { level: "loud" });
});

test("log messages stay on their lane", { timeout: 5000 }, () => {
  const h = new Harness();
  h.add(1, 2);
  h.initialize(1, { version: "2025-11-25" });
  const other = h.initialize(2, { version: "2025-03-26" });
  assert.deepEqual(recipients(h.server(log("info"))), [1]);
  assert.deepEqual(recipients(h.server(log("info"), other.lane)), [2]);
});
