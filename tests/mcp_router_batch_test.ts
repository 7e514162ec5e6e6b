import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Harness,
  notification,
  readyHarness,
  recipients,
  request,
  result,
  toClient,
  toUpstream,
} from "./_mcp_harness.ts";

function ready(...clients: number[]): Harness {
  return readyHarness(clients, { version: "2025-03-26" });
}

test(
  "a batch is split upstream and its replies re-batched once all are in",
  { timeout: 5000 },
  () => {
    const h = ready(1);
    const out = h.send(1, [request(1, "tools/list"), request("two", "prompts/list")]);
    const sent = toUpstream(out);
    assert.equal(sent.length, 2, "upstream never sees a batch");
    assert.ok(sent.every((m) => !Array.isArray(m)));
    assert.deepEqual(
      recipients(h.server(result(sent[1].id, { prompts: [] }))),
      [],
      "waits for the whole batch",
    );
    const done = toClient(h.server(result(sent[0].id, { tools: [] })), 1);
    assert.deepEqual(done, [[result("two", { prompts: [] }), result(1, { tools: [] })]]);
  },
);

test("notifications in a batch get no reply; a batch of notifications gets nothing", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  const mixed = h.send(1, [notification("notifications/roots/list_changed"), request(3, "ping")]);
  const sent = toUpstream(mixed);
  assert.deepEqual(sent.map((m) => m.method), ["notifications/roots/list_changed", "ping"]);
  assert.deepEqual(toClient(h.server(result(sent[1].id)), 1), [[result(3)]]);
  const only = h.send(1, [
    notification("notifications/roots/list_changed"),
    notification("notifications/x"),
  ]);
  assert.deepEqual(recipients(only), []);
});

test("an empty batch is one error object, not an array", { timeout: 5000 }, () => {
  const h = ready(1);
  const [reply] = toClient(h.send(1, []), 1);
  assert.equal(Array.isArray(reply), false);
  assert.equal(reply.error.code, -32600);
  assert.equal("id" in reply, false);
});

test(
  "invalid elements are answered inside the batch; valid ones still run",
  { timeout: 5000 },
  () => {
    const h = ready(1);
    const out = h.send(1, [1, { jsonrpc: "2.0", id: 5, method: 7 }, request(6, "tools/list"), {
      jsonrpc: "2.0",
      id: 8,
      result: {},
    }]);
    const [sent] = toUpstream(out);
    const [batch] = toClient(h.server(result(sent.id)), 1);
    assert.equal(batch.length, 3);
    assert.equal(batch[0].error.code, -32600);
    assert.equal("id" in batch[0], false);
    assert.deepEqual([batch[1].id, batch[1].error.code], [5, -32600]);
    assert.deepEqual(batch[2], result(6));
  },
);

test(
  "initialize inside a batch is refused (spec: MUST NOT be part of a batch)",
  { timeout: 5000 },
  () => {
    const h = new Harness();
    h.add(1);
    const out = h.send(1, [
      request(0, "initialize", {
        protocolVersion: "2025-03-26",
        capabilities: {},
        clientInfo: { name: "x", version: "1" },
      }),
    ]);
    assert.deepEqual(toUpstream(out), []);
    const [[reply]] = toClient(out, 1);
    assert.deepEqual([reply.id, reply.error.code], [0, -32600]);
  },
);

test("locally answered and forwarded elements share one reply array", { timeout: 5000 }, () => {
  const h = ready(1);
  const [sub] = toUpstream(h.send(1, request(1, "resources/subscribe", { uri: "u" })));
  h.server(result(sub.id));
  const out = h.send(1, [
    request(2, "resources/subscribe", { uri: "u" }),
    request(3, "tools/call", { name: "x" }),
  ]);
  const [call] = toUpstream(out);
  assert.deepEqual(recipients(out), []);
  assert.deepEqual(toClient(h.server(result(call.id)), 1), [[result(2), result(3)]]);
});

test("a cancelled batch element no longer holds the batch back", { timeout: 5000 }, () => {
  const h = ready(1);
  const sent = toUpstream(h.send(1, [request(1, "tools/call"), request(2, "tools/call")]));
  h.server(result(sent[0].id));
  const out = h.send(1, notification("notifications/cancelled", { requestId: 2 }));
  assert.deepEqual(toClient(out, 1), [[result(1)]]);
  assert.deepEqual(recipients(h.server(result(sent[1].id))), []);
});

test("a server batch of responses is routed element by element", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  const a = toUpstream(h.send(1, request(1, "tools/list")))[0];
  const b = toUpstream(h.send(2, request(1, "tools/list")))[0];
  const out = h.server([result(a.id, { a: 1 }), result(b.id, { b: 1 }), "junk"]);
  assert.deepEqual(toClient(out, 1), [result(1, { a: 1 })]);
  assert.deepEqual(toClient(out, 2), [result(1, { b: 1 })]);
});
