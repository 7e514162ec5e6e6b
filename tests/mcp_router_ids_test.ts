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
  toClient,
  toUpstream,
} from "./_mcp_harness.ts";

function ready(...clients: number[]): Harness {
  return readyHarness(clients);
}

test("two hosts using the same ids each get their own response", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  const a = forwarded(h, 1, request(1, "tools/call", { name: "a" }));
  const b = forwarded(h, 2, request(1, "tools/call", { name: "b" }));
  assert.notEqual(a.id, b.id);
  const outB = h.server(result(b.id, { from: "b" }));
  const outA = h.server(result(a.id, { from: "a" }));
  assert.deepEqual(toClient(outB, 2), [{ jsonrpc: "2.0", id: 1, result: { from: "b" } }]);
  assert.deepEqual(toClient(outA, 1), [{ jsonrpc: "2.0", id: 1, result: { from: "a" } }]);
  assert.deepEqual(recipients([...outA, ...outB]), [1, 2]);
});

test("the original id comes back with its exact type and value", { timeout: 5000 }, () => {
  const h = ready(1);
  const ids: Array<number | string> = [1, "1", 0, "", -5, 2.5, "x".repeat(200), 9007199254740991];
  const sent = ids.map((id) => forwarded(h, 1, request(id, "tools/list")));
  assert.equal(new Set(sent.map((m) => m.id)).size, ids.length);
  for (let i = ids.length - 1; i >= 0; i--) {
    const [reply] = toClient(h.server(result(sent[i].id, { i })), 1);
    assert.strictEqual(reply.id, ids[i]);
    assert.equal(reply.result.i, i);
  }
});

test("upstream ids form one monotonic space across hosts", { timeout: 5000 }, () => {
  const h = ready(1, 2, 3);
  const seen: number[] = [];
  for (let i = 0; i < 30; i++) {
    seen.push(forwarded(h, 1 + (i % 3), request(Math.floor(i / 3), "ping")).id);
  }
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1]);
  for (const id of seen) h.server(result(id));
  const again = forwarded(h, 1, request(0, "ping"));
  assert.ok(again.id > seen[seen.length - 1], "ids are never reused");
});

test("a host reusing an id still in flight gets -32600; the first request is unharmed", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  const first = forwarded(h, 1, request(7, "tools/call", { name: "slow" }));
  const dup = h.send(1, request(7, "tools/call", { name: "again" }));
  assert.deepEqual(toUpstream(dup), []);
  assert.equal(toClient(dup, 1)[0].error.code, -32600);
  assert.deepEqual(toClient(h.server(result(first.id, { ok: true })), 1), [
    result(7, { ok: true }),
  ]);
});

test("responses with unknown or foreign ids are dropped", { timeout: 5000 }, () => {
  const h = ready(1);
  const sent = forwarded(h, 1, request(1, "tools/list"));
  for (const bogus of [sent.id + 100, String(sent.id), -1]) {
    const outputs = h.server(result(bogus));
    assert.deepEqual(recipients(outputs), []);
    assert.ok(logEvents(outputs).includes("late_response_dropped"));
  }
  assert.equal(toClient(h.server(result(sent.id)), 1).length, 1);
  assert.deepEqual(recipients(h.server(result(sent.id))), [], "a second answer is dropped");
});

test(
  "progress tokens are rewritten per request and restored for the owner only",
  { timeout: 5000 },
  () => {
    const h = ready(1, 2);
    const a = forwarded(h, 1, request(1, "tools/call", { name: "a", _meta: { progressToken: 1 } }));
    const b = forwarded(h, 2, request(1, "tools/call", { name: "b", _meta: { progressToken: 1 } }));
    const c = forwarded(
      h,
      2,
      request("s", "tools/call", { name: "c", _meta: { progressToken: "tok" } }),
    );
    const tokens = [a, b, c].map((m) => m.params._meta.progressToken);
    assert.equal(new Set(tokens).size, 3, "upstream tokens are unique");
    const progress = (token: unknown, n: number) =>
      h.server(
        notification("notifications/progress", { progressToken: token, progress: n, total: 10 }),
      );
    assert.deepEqual(toClient(progress(tokens[1], 1), 2), [
      notification("notifications/progress", { progressToken: 1, progress: 1, total: 10 }),
    ]);
    const toA = progress(tokens[0], 2);
    assert.deepEqual(recipients(toA), [1]);
    assert.strictEqual(toClient(toA, 1)[0].params.progressToken, 1);
    const toC = progress(tokens[2], 3);
    assert.strictEqual(toClient(toC, 2)[0].params.progressToken, "tok");
    h.server(result(a.id));
    assert.deepEqual(
      recipients(progress(tokens[0], 4)),
      [],
      "progress after completion is dropped",
    );
    assert.deepEqual(recipients(progress(999, 1)), [], "unknown tokens are dropped");
  },
);

test("_meta keys other than progressToken pass through untouched", { timeout: 5000 }, () => {
  const h = ready(1);
  const meta = {
    progressToken: 5,
    traceparent: "00-abc-def-01",
    "io.modelcontextprotocol/related-task": { taskId: "t" },
    "dev.example/custom": [1, { deep: true }],
  };
  const sent = forwarded(
    h,
    1,
    request(3, "tools/call", { name: "x", arguments: { id: 3 }, _meta: meta }),
  );
  const { progressToken, ...rest } = sent.params._meta;
  assert.equal(typeof progressToken, "number");
  assert.deepEqual(rest, {
    traceparent: "00-abc-def-01",
    "io.modelcontextprotocol/related-task": { taskId: "t" },
    "dev.example/custom": [1, { deep: true }],
  });
  assert.deepEqual(sent.params.arguments, { id: 3 });
  const reply = toClient(
    h.server(result(sent.id, { _meta: { "io.modelcontextprotocol/serverInfo": { name: "s" } } })),
    1,
  );
  assert.deepEqual(reply[0].result._meta, { "io.modelcontextprotocol/serverInfo": { name: "s" } });
});

test("snapshot counts in-flight requests and served totals", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  const a = forwarded(h, 1, request(1, "tools/list"));
  forwarded(h, 2, request(1, "tools/list"));
  let snap = h.router.snapshot();
  assert.deepEqual(snap.clients.map((c) => c.inFlight), [1, 1]);
  assert.equal(snap.lanes[0].pending, 2);
  h.server(result(a.id));
  snap = h.router.snapshot();
  assert.deepEqual(snap.clients.map((c) => c.inFlight), [0, 1]);
  assert.equal(snap.totals.requestsServed, 3, "two initialize answers and one tools/list");
});
