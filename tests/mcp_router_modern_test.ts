import assert from "node:assert/strict";
import { test } from "node:test";
import {
  forwarded,
  Harness,
  logEvents,
  notification,
  recipients,
  request,
  result,
  toClient,
  toUpstream,
} from "./_mcp_harness.ts";

const SUB = "io.modelcontextprotocol/subscriptionId";
const envelope = (name: string, extra: object = {}) => ({
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
  "io.modelcontextprotocol/clientInfo": { name, version: "2.4.0" },
  ...extra,
});
const modern = (
  id: number | string,
  method: string,
  name: string,
  params: object = {},
  meta: object = {},
) => request(id, method, { ...params, _meta: envelope(name, meta) });
const discover = (id: number | string) => modern(id, "server/discover", "probe");

test("a modern request needs no handshake and keeps its _meta envelope untouched", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1);
  const sent = forwarded(h, 1, modern(1, "tools/list", "claude"));
  assert.deepEqual(sent.params._meta, envelope("claude"));
  const out = h.server(
    result(sent.id, { tools: [], resultType: "complete", ttlMs: 1000, cacheScope: "public" }),
  );
  assert.deepEqual(toClient(out, 1), [
    result(1, { tools: [], resultType: "complete", ttlMs: 1000, cacheScope: "public" }),
  ]);
  const [client] = h.router.snapshot().clients;
  assert.deepEqual([client.era, client.protocolVersion, client.lane, client.name], [
    "modern",
    "2026-07-28",
    "main",
    "claude",
  ]);
  assert.equal(
    toUpstream(h.all).some((m) =>
      m.method === "initialize" || m.method === "notifications/initialized"
    ),
    false,
  );
});

test("a probe of a legacy-only server gets the server's own error; the fallback works", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2, 3);
  const probe = forwarded(h, 1, discover(0));
  const methodNotFound = { code: -32601, message: "Method not found" };
  assert.deepEqual(toClient(h.server({ jsonrpc: "2.0", id: probe.id, error: methodNotFound }), 1), [
    { jsonrpc: "2.0", id: 0, error: methodNotFound },
  ]);
  h.remove(1); // the SDK probes from a throw-away sibling connection
  const legacy = h.initialize(2, { name: "sdk-2x" });
  assert.equal(legacy.lane, "main", "the probe did not pin the lane");
  const again = h.send(3, discover("p"));
  assert.deepEqual(toUpstream(again), [], "the legacy-only answer is remembered");
  assert.deepEqual(toClient(again, 3), [{ jsonrpc: "2.0", id: "p", error: methodNotFound }]);
  assert.equal(
    h.initialize(3).response.result.protocolVersion,
    "2025-11-25",
    "same connection falls back in place",
  );
});

test(
  "a probe of a modern server, then the modern session on the same lane",
  { timeout: 5000 },
  () => {
    const h = new Harness();
    h.add(1, 2);
    const probe = forwarded(h, 1, discover(0));
    const discovered = {
      supportedVersions: ["2026-07-28"],
      capabilities: { tools: { listChanged: true } },
      resultType: "complete",
    };
    assert.deepEqual(toClient(h.server(result(probe.id, discovered)), 1), [result(0, discovered)]);
    h.remove(1);
    assert.equal(forwarded(h, 2, modern(0, "tools/list", "session")).method, "tools/list");
    const lanes = h.router.snapshot().lanes;
    assert.deepEqual(lanes.map((l) => [l.lane, l.era]), [["main", "modern"]]);
    assert.equal(
      forwarded(h, 2, discover(1)).method,
      "server/discover",
      "probes go to the modern lane",
    );
  },
);

test(
  "a legacy host and a modern host on one server use one lane per era",
  { timeout: 5000 },
  () => {
    const h = new Harness();
    h.add(1, 2);
    h.initialize(1);
    // A legacy-pinned connection refuses probes even on a modern-capable server: the
    // probe goes to a lane no era has claimed, which the modern session then uses.
    const probe = forwarded(h, 2, discover(0), "modern");
    h.server(
      result(probe.id, { supportedVersions: ["2025-11-25", "2026-07-28"], capabilities: {} }),
      "modern",
    );
    const sent = forwarded(h, 2, modern(1, "tools/call", "modern-host", { name: "x" }));
    const modernLane = h.router.snapshot().clients.find((c) => c.client === 2)?.lane;
    assert.equal(modernLane, "modern");
    const legacySent = forwarded(h, 1, request(1, "tools/call", { name: "x" }), "main");
    assert.deepEqual(toClient(h.server(result(sent.id, { from: "modern" }), "modern"), 2), [
      result(1, { from: "modern" }),
    ]);
    assert.deepEqual(toClient(h.server(result(legacySent.id, { from: "legacy" }), "main"), 1), [
      result(1, { from: "legacy" }),
    ]);
    assert.deepEqual(
      recipients(h.server(notification("notifications/tools/list_changed"), "main")),
      [1],
    );
    assert.deepEqual(
      recipients(h.server(notification("notifications/tools/list_changed"), "modern")),
      [],
      "no unsolicited notifications in the modern era",
    );
    const legacyAfter = h.send(
      1,
      request(2, "initialize", {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "x", version: "1" },
      }),
    );
    assert.equal(toClient(legacyAfter, 1)[0].error.code, -32600);
    assert.equal(
      toClient(h.send(2, request(9, "initialize", { protocolVersion: "2025-11-25" })), 2)[0].error
        .code,
      -32600,
    );
  },
);

test(
  "subscriptions/listen: notifications carry each host's own listen id",
  { timeout: 5000 },
  () => {
    const h = new Harness();
    h.add(1, 2);
    const filter = {
      notifications: { toolsListChanged: true, resourceSubscriptions: ["file:///a"] },
    };
    const l1 = forwarded(h, 1, modern(1, "subscriptions/listen", "a", filter));
    const l2 = forwarded(h, 2, modern(1, "subscriptions/listen", "b", filter));
    assert.notEqual(l1.id, l2.id);
    const stamped = (method: string, subscriptionId: unknown, params: object = {}) =>
      notification(method, { ...params, _meta: { [SUB]: subscriptionId } });
    const ack = h.server(
      stamped("notifications/subscriptions/acknowledged", l2.id, {
        notifications: filter.notifications,
      }),
    );
    assert.deepEqual(toClient(ack, 2), [
      stamped("notifications/subscriptions/acknowledged", 1, {
        notifications: filter.notifications,
      }),
    ]);
    assert.deepEqual(recipients(h.server(stamped("notifications/tools/list_changed", l1.id))), [1]);
    const updated = toClient(
      h.server(stamped("notifications/resources/updated", l2.id, { uri: "file:///a" })),
      2,
    );
    assert.strictEqual(updated[0].params._meta[SUB], 1);
    // Host 1 tears down its subscription: the server sees the upstream id.
    const cancel = toUpstream(h.send(1, notification("notifications/cancelled", { requestId: 1 })));
    assert.deepEqual(cancel, [notification("notifications/cancelled", { requestId: l1.id })]);
    assert.deepEqual(recipients(h.server(stamped("notifications/tools/list_changed", l1.id))), []);
    // The server closes host 2's gracefully: the result names the host's id too.
    const closed = toClient(
      h.server(result(l2.id, { resultType: "complete", _meta: { [SUB]: l2.id } })),
      2,
    );
    assert.deepEqual(closed, [result(1, { resultType: "complete", _meta: { [SUB]: 1 } })]);
    assert.equal(h.router.snapshot().lanes[0].pending, 0);
  },
);

test("a server tearing down a listen with notifications/cancelled reaches the listener", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1);
  const listen = forwarded(
    h,
    1,
    modern("L", "subscriptions/listen", "a", { notifications: { toolsListChanged: true } }),
  );
  const out = h.server(
    notification("notifications/cancelled", { requestId: listen.id, reason: "shutting down" }),
  );
  assert.deepEqual(toClient(out, 1), [
    notification("notifications/cancelled", { requestId: "L", reason: "shutting down" }),
  ]);
  assert.equal(h.router.snapshot().clients[0].inFlight, 0);
});

test("input_required results go back to the asking host; the retry is a new request", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2);
  const a = forwarded(h, 1, modern(1, "tools/call", "a", { name: "deploy" }));
  forwarded(h, 2, modern(1, "tools/call", "b", { name: "deploy" }));
  const inputRequired = {
    resultType: "input_required",
    inputRequests: {
      confirm: { method: "elicitation/create", params: { message: "Sure?", requestedSchema: {} } },
    },
    requestState: "opaque-state",
  };
  assert.deepEqual(toClient(h.server(result(a.id, inputRequired)), 1), [result(1, inputRequired)]);
  const retry = forwarded(
    h,
    1,
    modern(2, "tools/call", "a", {
      name: "deploy",
      inputResponses: { confirm: { action: "accept" } },
      requestState: "opaque-state",
    }),
  );
  assert.equal(retry.params.requestState, "opaque-state");
  assert.deepEqual(
    toClient(h.server(result(retry.id, { resultType: "complete", content: [] })), 1),
    [
      result(2, { resultType: "complete", content: [] }),
    ],
  );
});

test("per-request log level: messages go to hosts with a matching logging request in flight", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2, 3);
  forwarded(
    h,
    1,
    modern(1, "tools/call", "a", { name: "x" }, { "io.modelcontextprotocol/logLevel": "debug" }),
  );
  const b = forwarded(
    h,
    2,
    modern(1, "tools/call", "b", { name: "x" }, { "io.modelcontextprotocol/logLevel": "error" }),
  );
  forwarded(h, 3, modern(1, "tools/call", "c", { name: "x" }));
  assert.equal(b.params._meta["io.modelcontextprotocol/logLevel"], "error", "passed through");
  const log = (level: string) => notification("notifications/message", { level, data: "d" });
  assert.deepEqual(recipients(h.server(log("info"))), [1]);
  assert.deepEqual(recipients(h.server(log("error"))), [1, 2]);
  h.server(result(b.id));
  assert.deepEqual(recipients(h.server(log("error"))), [1]);
});

test("progress and cancellation work the same in the modern era", { timeout: 5000 }, () => {
  const h = new Harness();
  h.add(1, 2);
  const a = forwarded(h, 1, modern(0, "tools/call", "a", { name: "x" }, { progressToken: 0 }));
  const b = forwarded(h, 2, modern(0, "tools/call", "b", { name: "x" }, { progressToken: 0 }));
  const out = h.server(
    notification("notifications/progress", {
      progressToken: b.params._meta.progressToken,
      progress: 1,
    }),
  );
  assert.deepEqual(toClient(out, 2), [
    notification("notifications/progress", { progressToken: 0, progress: 1 }),
  ]);
  assert.deepEqual(
    toUpstream(h.send(1, notification("notifications/cancelled", { requestId: 0 }))),
    [
      notification("notifications/cancelled", { requestId: a.id }),
    ],
  );
  assert.deepEqual(recipients(h.server(result(a.id))), []);
});

test("an unsolicited modern notification without a subscription is dropped and logged", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1);
  forwarded(h, 1, modern(1, "tools/list", "a"));
  const out = h.server(notification("notifications/resources/updated", { uri: "file:///x" }));
  assert.deepEqual(recipients(out), []);
  const stray = h.server(
    notification("notifications/tools/list_changed", { _meta: { [SUB]: 12345 } }),
  );
  assert.deepEqual(recipients(stray), []);
  assert.ok(logEvents(stray).includes("subscription_notification_unowned"));
});

test("a legacy-only server behind a pinned default lane is probed once, on a released lane", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2, 3, 4);
  h.initialize(1);
  const probe = forwarded(h, 2, discover("p"), "modern");
  const refusal = { code: -32601, message: "Method not found" };
  const answer = h.server({ jsonrpc: "2.0", id: probe.id, error: refusal }, "modern");
  assert.deepEqual(toClient(answer, 2), [{ jsonrpc: "2.0", id: "p", error: refusal }]);
  assert.ok(
    answer.some((o) => o.kind === "stop" && o.lane === "modern"),
    "the probe's process is stopped",
  );
  assert.deepEqual(toUpstream(h.send(3, discover(1))), [], "remembered");
  h.initialize(2);
  const prober = h.router.snapshot().clients.find((c) => c.client === 2);
  assert.equal(prober?.lane, "main", "the prober falls back to the shared legacy lane");
  const other = h.initialize(4, { version: "2025-03-26" });
  assert.equal(other.lane, "legacy:2025-03-26", "a later lane starts a new process");
  assert.deepEqual(h.router.snapshot().lanes.map((l) => [l.lane, l.era]), [
    ["main", "legacy"],
    ["legacy:2025-03-26", "legacy"],
  ]);
});

test("a probe from a legacy host itself goes to its own lane and teaches nothing", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1, 2);
  h.initialize(1);
  const sent = forwarded(h, 1, request(5, "server/discover"), "main");
  h.server({ jsonrpc: "2.0", id: sent.id, error: { code: -32601, message: "Method not found" } });
  assert.equal(forwarded(h, 2, discover(0)).method, "server/discover", "still probed upstream");
});
