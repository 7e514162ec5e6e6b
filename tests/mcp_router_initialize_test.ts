import assert from "node:assert/strict";
import { test } from "node:test";
import {
  forwarded,
  Harness,
  notification,
  recipients,
  request,
  result,
  SERVER_CAPABILITIES,
  toClient,
  toUpstream,
} from "./_mcp_harness.ts";

const init = (id: number | string, version = "2025-11-25", name = "host") =>
  request(id, "initialize", {
    protocolVersion: version,
    capabilities: {},
    clientInfo: { name, version: "1" },
  });
const initResult = (id: number, version = "2025-11-25") =>
  result(id, {
    protocolVersion: version,
    capabilities: SERVER_CAPABILITIES,
    serverInfo: { name: "s", version: "1" },
  });

test("initialize is single-flight: one upstream, every host answered with its own id", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2, 3);
  const first = toUpstream(h.send(1, init(0)));
  assert.equal(first.length, 1);
  assert.deepEqual(toUpstream(h.send(2, init("boot"))), [], "joins the flight");
  const outputs = h.server(initResult(first[0].id));
  assert.deepEqual(toUpstream(outputs), [notification("notifications/initialized")]);
  assert.strictEqual(toClient(outputs, 1)[0].id, 0);
  assert.strictEqual(toClient(outputs, 2)[0].id, "boot");
  assert.deepEqual(toClient(outputs, 1)[0].result, toClient(outputs, 2)[0].result);
  const cached = h.send(3, init(77));
  assert.deepEqual(toUpstream(cached), [], "later hosts are answered from the cache");
  assert.deepEqual(toClient(cached, 3), [{
    jsonrpc: "2.0",
    id: 77,
    result: toClient(outputs, 1)[0].result,
  }]);
});

test("exactly one notifications/initialized reaches the server, whatever hosts send", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  for (let client = 1; client <= 5; client++) {
    h.add(client);
    h.initialize(client);
    assert.deepEqual(toUpstream(h.send(client, notification("notifications/initialized"))), []);
  }
  const initialized = toUpstream(h.all).filter((m) => m.method === "notifications/initialized");
  assert.equal(initialized.length, 1);
  assert.equal(toUpstream(h.all).filter((m) => m.method === "initialize").length, 1);
});

test("a second initialize on one connection is refused with -32600", { timeout: 5000 }, () => {
  const h = new Harness();
  h.add(1);
  h.initialize(1);
  const again = h.send(1, init(5));
  assert.deepEqual(toUpstream(again), []);
  assert.equal(toClient(again, 1)[0].error.code, -32600);
  assert.strictEqual(toClient(again, 1)[0].id, 5);
});

test("initialize without a protocolVersion is refused with -32602", { timeout: 5000 }, () => {
  const h = new Harness();
  h.add(1);
  const out = h.send(1, request(1, "initialize", { capabilities: {} }));
  assert.equal(toClient(out, 1)[0].error.code, -32602);
  assert.deepEqual(toUpstream(out), []);
  assert.equal(
    h.initialize(1, { id: 2 }).response.result.protocolVersion,
    "2025-11-25",
    "may retry",
  );
});

test("requests before initialize get -32600, ping is answered locally", { timeout: 5000 }, () => {
  const h = new Harness();
  h.add(1);
  const early = h.send(1, request(1, "tools/list"));
  assert.equal(toClient(early, 1)[0].error.code, -32600);
  assert.deepEqual(toUpstream(early), []);
  const ping = h.send(1, request(2, "ping"));
  assert.deepEqual(toClient(ping, 1), [result(2, {})]);
  assert.deepEqual(toUpstream(ping), []);
  assert.deepEqual(toUpstream(h.send(1, notification("notifications/roots/list_changed"))), []);
});

test(
  "requests pipelined behind initialize wait for its answer, in order",
  { timeout: 5000 },
  () => {
    const h = new Harness();
    h.add(1);
    const [up] = toUpstream(h.send(1, init(0)));
    assert.deepEqual(toUpstream(h.send(1, notification("notifications/initialized"))), []);
    assert.deepEqual(toUpstream(h.send(1, request(1, "tools/list"))), []);
    assert.deepEqual(toUpstream(h.send(1, request(2, "prompts/list"))), []);
    const outputs = h.server(initResult(up.id));
    const upstream = toUpstream(outputs);
    assert.deepEqual(upstream.map((m) => m.method), [
      "notifications/initialized",
      "tools/list",
      "prompts/list",
    ]);
    assert.strictEqual(toClient(outputs, 1)[0].id, 0, "the initialize answer comes first");
  },
);

test("a failed initialize answers every waiter with its own id; a retry goes upstream again", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2);
  const [up] = toUpstream(h.send(1, init(0)));
  h.send(2, init(9));
  h.send(2, request(10, "tools/list")); // pipelined behind the failing initialize
  const failed = h.server({
    jsonrpc: "2.0",
    id: up.id,
    error: { code: -32602, message: "Unsupported" },
  });
  assert.deepEqual(toClient(failed, 1), [{
    jsonrpc: "2.0",
    id: 0,
    error: { code: -32602, message: "Unsupported" },
  }]);
  const two = toClient(failed, 2);
  assert.deepEqual(two[0], {
    jsonrpc: "2.0",
    id: 9,
    error: { code: -32602, message: "Unsupported" },
  });
  assert.equal(two[1].id, 10);
  assert.equal(two[1].error.code, -32600, "the pipelined request needs a new initialize");
  assert.equal(two[1].error.message, "Invalid request: initialize failed (Unsupported); send initialize again");
  const later = toClient(h.send(2, request(11, "tools/list")), 2);
  assert.match(later[0].error.message, /initialize failed \(Unsupported\)/, "named until the host retries");
  assert.deepEqual(toUpstream(failed), [], "no initialized after a failure");
  const retry = h.initialize(1, { id: 1 });
  assert.equal(retry.response.result.protocolVersion, "2025-11-25");
  assert.equal(toUpstream(h.all).filter((m) => m.method === "initialize").length, 2);
});

test("an upstream notification arriving before the initialize response reaches the host", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2);
  const [up] = toUpstream(h.send(1, init(0)));
  const log = notification("notifications/message", { level: "info", data: "starting" });
  assert.deepEqual(toClient(h.server(log), 1), [log]);
  const ping = h.server(request("srv-ping", "ping"));
  assert.deepEqual(toUpstream(ping), [result("srv-ping", {})]);
  assert.deepEqual(recipients(ping), []);
  const outputs = h.server(initResult(up.id));
  assert.strictEqual(toClient(outputs, 1)[0].id, 0);
  assert.deepEqual(recipients(h.server(log)), [1], "host 2 never initialized: nothing for it");
});

test("the first host leaving mid-handshake does not cancel initialize; the cache still fills", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2);
  const [up] = toUpstream(h.send(1, init(0)));
  assert.deepEqual(toUpstream(h.remove(1)), [], "initialize MUST NOT be cancelled");
  const outputs = h.server(initResult(up.id));
  assert.deepEqual(toUpstream(outputs), [notification("notifications/initialized")]);
  assert.deepEqual(recipients(outputs), []);
  assert.deepEqual(toUpstream(h.send(2, init(4))), []);
});

test("version policy: same request or negotiated version shares, others get their own lane", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2, 3, 4, 5);
  // Host 1 asks a version the server does not speak; it negotiates 2025-06-18.
  const a = h.initialize(1, { version: "2099-01-01", negotiated: "2025-06-18" });
  assert.equal(a.lane, "main");
  const b = h.send(2, init(0, "2099-01-01"));
  assert.deepEqual(toUpstream(b), [], "same request: the server would answer the same");
  assert.equal(toClient(b, 2)[0].result.protocolVersion, "2025-06-18");
  const c = h.send(3, init(0, "2025-06-18"));
  assert.deepEqual(toUpstream(c), [], "asks what the server negotiated: it would answer it");
  const d = h.initialize(4, { version: "2025-03-26" });
  assert.equal(d.lane, "legacy:2025-03-26", "another version gets its own server process");
  assert.equal(d.response.result.protocolVersion, "2025-03-26");
  const e = h.send(5, init(0, "2025-03-26"));
  assert.deepEqual(toUpstream(e), []);
  const snap = h.router.snapshot();
  assert.deepEqual(snap.lanes.map((l) => [l.lane, l.clients, l.protocolVersion]), [
    ["main", 3, "2025-06-18"],
    ["legacy:2025-03-26", 2, "2025-03-26"],
  ]);
  const toD = forwarded(h, 4, request(1, "tools/list"), "legacy:2025-03-26");
  assert.deepEqual(toClient(h.server(result(toD.id), "legacy:2025-03-26"), 4), [result(1)]);
});

test("an idle extra lane is released: its process stops, a later host of its version starts anew", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2, 3);
  h.initialize(1, { version: "2025-11-25" });
  assert.equal(h.initialize(2, { version: "2025-03-26" }).lane, "legacy:2025-03-26");
  assert.deepEqual(h.router.releaseLane("legacy:2025-03-26"), [], "a lane with a host stays");
  h.remove(2);
  assert.deepEqual(h.router.releaseLane("main"), [], "the default lane lives with the daemon");
  assert.deepEqual(h.router.releaseLane("nope"), []);
  assert.deepEqual(h.router.releaseLane("legacy:2025-03-26"), [{ kind: "stop", lane: "legacy:2025-03-26" }]);
  assert.deepEqual(h.router.snapshot().lanes.map((l) => l.lane), ["main"]);
  assert.deepEqual(h.router.releaseLane("legacy:2025-03-26"), [], "released once");
  // The released process's late words mean nothing; the next host of that version
  // gets a fresh handshake on a fresh lane.
  assert.deepEqual(h.exited("legacy:2025-03-26"), []);
  const again = h.initialize(3, { version: "2025-03-26" });
  assert.equal(again.lane, "legacy:2025-03-26");
  assert.equal(again.response.result.protocolVersion, "2025-03-26");
  assert.equal(toUpstream(again.outputs).filter((m) => m.method === "initialize").length, 1);
});

test(
  "upstreamClientInfo replaces the host's clientInfo upstream",
  { timeout: 5000 },
  () => {
    const h = new Harness({ upstreamClientInfo: { name: "shoal", version: "0.1.0" } });
    h.add(1);
    const [up] = toUpstream(h.send(
      1,
      request(0, "initialize", {
        protocolVersion: "2025-06-18",
        capabilities: { roots: { listChanged: true } },
        clientInfo: { name: "claude-code", version: "2" },
      }),
    ));
    assert.deepEqual(up.params, {
      protocolVersion: "2025-06-18",
      capabilities: {
        roots: { listChanged: true },
        sampling: {},
        elicitation: { form: {}, url: {} },
      },
      clientInfo: { name: "shoal", version: "0.1.0" },
    });
  },
);

test(
  "upstream capabilities: the first host's, plus what any later host may answer",
  { timeout: 5000 },
  () => {
    const h = new Harness();
    h.add(1);
    const [up] = toUpstream(h.send(
      1,
      request(0, "initialize", {
        protocolVersion: "2025-06-18",
        capabilities: { sampling: { tools: {} }, experimental: { x: 1 } },
        clientInfo: { name: "bare", version: "1" },
      }),
    ));
    assert.deepEqual(up.params.capabilities, {
      sampling: { tools: {} },
      experimental: { x: 1 },
      elicitation: { form: {}, url: {} },
      roots: { listChanged: true },
    });
    assert.deepEqual(up.params.clientInfo, { name: "bare", version: "1" });
  },
);

test("snapshot shows each host's name, era and negotiated version", { timeout: 5000 }, () => {
  const h = new Harness();
  h.add(1);
  h.initialize(1, { name: "cursor", version: "2025-03-26" });
  const [client] = h.router.snapshot().clients;
  assert.equal(client.name, "cursor");
  assert.equal(client.era, "legacy");
  assert.equal(client.protocolVersion, "2025-03-26");
  assert.equal(client.initialized, true);
});
