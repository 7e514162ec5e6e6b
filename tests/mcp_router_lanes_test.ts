import assert from "node:assert/strict";
import { test } from "node:test";
import {
  forwarded,
  Harness,
  logEvents,
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
  return readyHarness(clients, { capabilities: { sampling: {} } });
}

const initResult = (id: number) =>
  result(id, {
    protocolVersion: "2025-11-25",
    capabilities: SERVER_CAPABILITIES,
    serverInfo: { name: "s", version: "2" },
  });

test(
  "a server exit answers every in-flight request with -32000 naming the exit",
  { timeout: 5000 },
  () => {
    const h = ready(1, 2);
    forwarded(h, 1, request(1, "tools/call"));
    forwarded(h, 2, request("x", "tools/call"));
    const out = h.exited("main", 3, "Error: ENOENT config.json\n");
    const [one] = toClient(out, 1);
    const [two] = toClient(out, 2);
    assert.strictEqual(one.id, 1);
    assert.strictEqual(two.id, "x");
    assert.equal(one.error.code, -32000);
    assert.equal(one.error.message, "Server exited with code 3: Error: ENOENT config.json");
    assert.deepEqual(one.error.data, {
      exitCode: 3,
      signal: null,
      lastStderr: "Error: ENOENT config.json\n",
    });
    assert.deepEqual(toUpstream(out), []);
    const snap = h.router.snapshot();
    assert.equal(snap.lanes[0].phase, "down");
    assert.deepEqual(snap.clients.map((c) => c.inFlight), [0, 0]);
    const signalled = ready(3);
    forwarded(signalled, 3, request(1, "tools/call"));
    const killed = signalled.router.laneExited("main", { code: null, signal: "SIGKILL" });
    assert.equal(toClient(killed, 3)[0].error.message, "Server exited on signal SIGKILL");
  },
);

test("a restart replays the handshake, subscriptions and level, then releases held requests", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2);
  const [sub] = toUpstream(h.send(1, request(1, "resources/subscribe", { uri: "file:///a" })));
  h.server(result(sub.id));
  const [level] = toUpstream(h.send(2, request(1, "logging/setLevel", { level: "warning" })));
  h.server(result(level.id));
  h.exited();
  const held = h.send(2, request(2, "tools/list"));
  assert.deepEqual(toUpstream(held), [], "held while the server is down");
  const original = toUpstream(h.all).find((m) => m.method === "initialize");
  const restart = toUpstream(h.restarted());
  assert.equal(restart.length, 1);
  assert.equal(restart[0].method, "initialize");
  assert.deepEqual(restart[0].params, original.params, "replayed with the original params");
  assert.deepEqual(
    toUpstream(h.send(1, request(3, "prompts/list"))),
    [],
    "held during the replay too",
  );
  const replayed = h.server(initResult(restart[0].id));
  assert.deepEqual(toUpstream(replayed).map((m) => m.method ?? "response"), [
    "notifications/initialized",
    "resources/subscribe",
    "logging/setLevel",
    "tools/list",
    "prompts/list",
  ]);
  const upstream = toUpstream(replayed);
  assert.deepEqual(upstream[1].params, { uri: "file:///a" });
  assert.deepEqual(upstream[2].params, { level: "debug" }, "host 1 never set a level: debug");
  const listChanged = toClient(replayed, 1).map((m) => m.method);
  assert.deepEqual(listChanged, [
    "notifications/tools/list_changed",
    "notifications/prompts/list_changed",
    "notifications/resources/list_changed",
  ]);
  assert.deepEqual(recipients(replayed), [1, 2]);
  assert.deepEqual(toClient(h.server(result(upstream[3].id, { tools: [] })), 2), [
    result(2, { tools: [] }),
  ]);
  assert.ok(logEvents(replayed).includes("lane_replayed"));
});

test(
  "hosts initializing while the server is down are answered from the cache",
  { timeout: 5000 },
  () => {
    const h = ready(1);
    h.exited();
    h.add(2);
    const out = h.send(
      2,
      request(0, "initialize", {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "n", version: "1" },
      }),
    );
    assert.equal(toClient(out, 2)[0].result.protocolVersion, "2025-11-25");
    assert.deepEqual(toUpstream(out), []);
  },
);

test("exactly one initialized per server process across restarts", { timeout: 5000 }, () => {
  const h = ready(1);
  for (let round = 0; round < 3; round++) {
    h.exited();
    const [init] = toUpstream(h.restarted());
    h.server(initResult(init.id));
  }
  assert.equal(toUpstream(h.all).filter((m) => m.method === "notifications/initialized").length, 4);
  assert.equal(toUpstream(h.all).filter((m) => m.method === "initialize").length, 4);
});

test("an exit during the replay: the next restart replays again", { timeout: 5000 }, () => {
  const h = ready(1);
  h.exited();
  const [first] = toUpstream(h.restarted());
  h.send(1, request(5, "tools/list"));
  const out = h.exited("main", 1);
  assert.equal(toClient(out, 1)[0].error.code, -32000, "held request fails with the exit");
  const [second] = toUpstream(h.restarted());
  assert.equal(second.method, "initialize");
  assert.notEqual(second.id, first.id);
  assert.deepEqual(
    recipients(h.server(initResult(first.id))),
    [],
    "the dead process's answer is void",
  );
  h.server(initResult(second.id));
  assert.equal(h.router.snapshot().lanes[0].phase, "up");
});

test("server requests held by hosts are cancelled at exit; their answers go nowhere", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  forwarded(h, 1, request(1, "tools/call"));
  const [asked] = toClient(
    h.server(request(77, "sampling/createMessage", { messages: [], maxTokens: 1 })),
    1,
  );
  const out = h.exited();
  assert.deepEqual(toClient(out, 1).filter((m) => m.method), [
    notification("notifications/cancelled", { requestId: asked.id, reason: "Server exited" }),
  ]);
  h.restarted();
  assert.deepEqual(toUpstream(h.send(1, result(asked.id, { model: "m" }))), []);
  const [init] = toUpstream(h.all).filter((m) => m.method === "initialize").slice(-1);
  h.server(initResult(init.id));
  forwarded(h, 1, request(2, "tools/call"));
  const [again] = toClient(
    h.server(request(77, "sampling/createMessage", { messages: [], maxTokens: 1 })),
    1,
  );
  assert.notEqual(again.id, asked.id, "a restarted server's reused id is new to the host");
});

test("the first initialize lost with its server: waiters fail, a retry after restart works", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1);
  toUpstream(
    h.send(
      1,
      request(0, "initialize", {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "a", version: "1" },
      }),
    ),
  );
  const out = h.exited("main", null, "segfault");
  assert.equal(toClient(out, 1)[0].error.code, -32000);
  h.restarted();
  assert.equal(h.initialize(1, { id: 1 }).response.result.protocolVersion, "2025-11-25");
});

test("too many held requests fail at once with -32000", { timeout: 5000 }, () => {
  const h = new Harness({ maxHeldMessages: 2 });
  h.add(1);
  h.initialize(1);
  h.exited();
  assert.deepEqual(recipients(h.send(1, request(1, "tools/list"))), []);
  assert.deepEqual(recipients(h.send(1, request(2, "tools/list"))), []);
  const [overflow] = toClient(h.send(1, request(3, "tools/list")), 1);
  assert.deepEqual([overflow.id, overflow.error.code], [3, -32000]);
  assert.equal(h.router.snapshot().lanes[0].held, 2);
});

test("a restart of a lane that is not down is ignored", { timeout: 5000 }, () => {
  const h = ready(1);
  const out = h.restarted();
  assert.deepEqual(toUpstream(out), []);
  assert.ok(logEvents(out).includes("lane_restart_ignored"));
});

test("a fresh lane's restart just releases what it held", { timeout: 5000 }, () => {
  const h = new Harness();
  h.add(1);
  h.exited();
  const out = h.send(
    1,
    request(0, "server/discover", {
      _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
    }),
  );
  assert.deepEqual(toUpstream(out), []);
  const released = toUpstream(h.restarted());
  assert.deepEqual(released.map((m) => m.method), ["server/discover"]);
});

test("a host's answer to a server request during the replay is not held", { timeout: 5000 }, () => {
  const h = ready(1);
  h.exited();
  const [init] = toUpstream(h.restarted());
  // A misbehaving server asks before answering initialize and waits for the answer.
  const [asked] = toClient(
    h.server(request("early", "sampling/createMessage", { messages: [], maxTokens: 1 })),
    1,
  );
  assert.deepEqual(toUpstream(h.send(1, result(asked.id, { model: "m" }))), [
    result("early", { model: "m" }),
  ]);
  assert.deepEqual(
    toUpstream(h.send(1, request(9, "tools/list"))),
    [],
    "ordinary requests still wait",
  );
  assert.deepEqual(toUpstream(h.server(initResult(init.id))).map((m) => m.method), [
    "notifications/initialized",
    "tools/list",
  ]);
});

test("a lane started only for a probe that finds a legacy-only server is released", {
  timeout: 5000,
}, () => {
  const h = ready(1); // the default lane is pinned to the legacy era
  h.add(2, 3);
  const probe = request("p", "server/discover", {
    _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
  });
  const [sent] = toUpstream(h.send(2, probe), "modern");
  assert.equal(sent.method, "server/discover");
  const out = h.server(
    { jsonrpc: "2.0", id: sent.id, error: { code: -32601, message: "Method not found" } },
    "modern",
  );
  assert.equal(
    toClient(out, 2)[0].error.code,
    -32601,
    "the host's fallback sees the server's answer",
  );
  assert.deepEqual(out.filter((o) => o.kind === "stop"), [{ kind: "stop", lane: "modern" }]);
  assert.deepEqual(h.router.snapshot().lanes.map((l) => l.lane), ["main"]);
  assert.deepEqual(
    h.router.laneExited("modern", { code: 0, signal: null }),
    [],
    "its exit means nothing",
  );
  // The next probe is answered from memory; no process is started for it.
  const again = h.send(3, { ...probe, id: "q" });
  assert.deepEqual(toUpstream(again), []);
  assert.equal(toClient(again, 3)[0].error.code, -32601);
});

test("a stopping daemon hands back what waits for a restart: -32012 with the host's own request", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2);
  h.exited();
  const asked = request("a-1", "tools/call", { name: "echo", _meta: { progressToken: "tok" } });
  assert.deepEqual(toUpstream(h.send(1, asked)), [], "held while the server is down");
  assert.deepEqual(toUpstream(h.send(2, [request(7, "tools/list")])), [], "a batch member is held too");
  const out = h.router.handBackHeld();
  const [back] = toClient(out, 1);
  assert.strictEqual(back.id, "a-1");
  assert.equal(back.error.code, -32012);
  assert.deepEqual(back.error.data.request, asked, "the request as the host sent it: id and token restored");
  assert.deepEqual(toClient(out, 2), [], "batch members stay: proxies never resend those");
  assert.deepEqual(h.router.snapshot().clients.map((c) => c.inFlight), [0, 1]);
  const restart = toUpstream(h.restarted());
  const replayed = toUpstream(h.server(initResult(restart[0].id)));
  assert.deepEqual(replayed.map((m) => m.method), ["notifications/initialized", "tools/list"], "only the batch member is released");
  assert.deepEqual(toClient(h.router.handBackHeld(), 1), [], "nothing held, nothing handed back");
});
