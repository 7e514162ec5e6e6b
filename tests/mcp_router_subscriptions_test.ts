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
  return readyHarness(clients);
}

const URI = "file:///project/notes.md";
const subscribe = (id: number, uri = URI) => request(id, "resources/subscribe", { uri });
const unsubscribe = (id: number, uri = URI) => request(id, "resources/unsubscribe", { uri });
const updated = (uri = URI) => notification("notifications/resources/updated", { uri });

/** Sum of per-host subscriptions equals the sum of per-URI subscriber counts. */
function assertRefcounts(h: Harness): void {
  const snap = h.router.snapshot();
  const byClients = snap.clients.reduce((n, c) => n + c.subscriptions, 0);
  const byUris = snap.lanes.flatMap((l) => l.subscriptions).reduce((n, s) => n + s.subscribers, 0);
  assert.equal(byClients, byUris);
}

test("first subscriber subscribes upstream once; later ones are answered locally", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2, 3);
  const first = h.send(1, subscribe(10));
  const [up] = toUpstream(first);
  assert.equal(up.method, "resources/subscribe");
  assert.deepEqual(up.params, { uri: URI });
  assert.deepEqual(toClient(h.server(result(up.id)), 1), [result(10)]);
  const second = h.send(2, subscribe(10));
  assert.deepEqual(toUpstream(second), []);
  assert.deepEqual(toClient(second, 2), [result(10)]);
  assert.deepEqual(recipients(h.server(updated())), [1, 2], "updates go to subscribers only");
  assert.deepEqual(recipients(h.server(updated("file:///other"))), []);
  assertRefcounts(h);
});

test(
  "A and B subscribe, A unsubscribes: B still gets updates, A none; B leaving unsubscribes upstream",
  { timeout: 5000 },
  () => {
    const h = ready(1, 2);
    const [up] = toUpstream(h.send(1, subscribe(1)));
    h.server(result(up.id));
    h.send(2, subscribe(1));
    const unsub = h.send(1, unsubscribe(2));
    assert.deepEqual(toUpstream(unsub), [], "B still needs it");
    assert.deepEqual(toClient(unsub, 1), [result(2)]);
    assert.deepEqual(recipients(h.server(updated())), [2]);
    const last = h.send(2, unsubscribe(2));
    const [down] = toUpstream(last);
    assert.equal(down.method, "resources/unsubscribe");
    assert.deepEqual(down.params, { uri: URI });
    assert.deepEqual(recipients(h.server(updated())), []);
    h.server(result(down.id));
    assert.deepEqual(h.router.snapshot().lanes[0].subscriptions, []);
    assertRefcounts(h);
  },
);

test(
  "concurrent subscribes share one upstream subscribe (single flight)",
  { timeout: 5000 },
  () => {
    const h = ready(1, 2);
    const [up] = toUpstream(h.send(1, subscribe(1)));
    assert.deepEqual(toUpstream(h.send(2, subscribe(7))), []);
    const answered = h.server(result(up.id));
    assert.deepEqual(toClient(answered, 1), [result(1)]);
    assert.deepEqual(toClient(answered, 2), [result(7)]);
    assert.deepEqual(h.router.snapshot().lanes[0].subscriptions, [{
      uri: URI,
      subscribers: 2,
      upstream: "active",
    }]);
  },
);

test("an upstream subscribe error reaches every waiter; a retry subscribes again", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2);
  const [up] = toUpstream(h.send(1, subscribe(1)));
  h.send(2, subscribe(2));
  const failed = h.server({
    jsonrpc: "2.0",
    id: up.id,
    error: { code: -32602, message: "Resource not found" },
  });
  assert.equal(toClient(failed, 1)[0].error.code, -32602);
  assert.strictEqual(toClient(failed, 2)[0].id, 2);
  assert.deepEqual(h.router.snapshot().lanes[0].subscriptions, []);
  assert.equal(toUpstream(h.send(1, subscribe(3))).length, 1);
});

test("a host disconnecting releases its subscriptions (last one unsubscribes upstream)", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2);
  const [up] = toUpstream(h.send(1, subscribe(1)));
  h.server(result(up.id));
  h.send(2, subscribe(1));
  assert.deepEqual(toUpstream(h.remove(1)), []);
  assert.deepEqual(recipients(h.server(updated())), [2]);
  const [down] = toUpstream(h.remove(2));
  assert.equal(down.method, "resources/unsubscribe");
  assertRefcounts(h);
});

test("a host leaving while the shared subscribe is pending: unsubscribed once answered", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  const [up] = toUpstream(h.send(1, subscribe(1)));
  h.remove(1);
  const after = h.server(result(up.id));
  assert.deepEqual(toUpstream(after).map((m) => m.method), ["resources/unsubscribe"]);
  assert.deepEqual(recipients(after), []);
});

test(
  "unsubscribing while one's own subscribe is pending answers both, in order",
  { timeout: 5000 },
  () => {
    const h = ready(1);
    const [up] = toUpstream(h.send(1, subscribe(1)));
    const out = h.send(1, unsubscribe(2));
    assert.deepEqual(toClient(out, 1), [result(1), result(2)]);
    const after = h.server(result(up.id));
    assert.deepEqual(recipients(after), []);
    assert.deepEqual(toUpstream(after).map((m) => m.method), ["resources/unsubscribe"]);
  },
);

test("duplicate subscribe and unknown unsubscribe are answered locally", { timeout: 5000 }, () => {
  const h = ready(1);
  const [up] = toUpstream(h.send(1, subscribe(1)));
  h.server(result(up.id));
  const dup = h.send(1, subscribe(2));
  assert.deepEqual(toUpstream(dup), []);
  assert.deepEqual(toClient(dup, 1), [result(2)]);
  const unknown = h.send(1, unsubscribe(3, "file:///never"));
  assert.deepEqual(toUpstream(unknown), []);
  assert.deepEqual(toClient(unknown, 1), [result(3)]);
  assert.equal(toUpstream(h.send(1, unsubscribe(4))).length, 1, "one unsubscribe releases it");
  assertRefcounts(h);
});

test("subscribe or unsubscribe without a string uri: -32602 here, nothing upstream", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1);
  h.initialize(1);
  for (const method of ["resources/subscribe", "resources/unsubscribe"]) {
    const out = h.send(1, request(7, method, { uri: 42 }));
    assert.deepEqual(toUpstream(out), []);
    const [reply] = toClient(out, 1);
    assert.equal(reply.id, 7);
    assert.equal(reply.error.code, -32602);
  }
});
