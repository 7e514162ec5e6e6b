import assert from "node:assert/strict";
import { test } from "node:test";
import {
  forwarded,
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
  return readyHarness(clients, {
    capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} },
  });
}

const cancel = (requestId: unknown, reason?: string) =>
  notification(
    "notifications/cancelled",
    reason === undefined ? { requestId } : { requestId, reason },
  );

test("a host's cancel is rewritten to the upstream id and hits only its own request", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2);
  const a = forwarded(
    h,
    1,
    request(1, "tools/call", { name: "long", _meta: { progressToken: 1 } }),
  );
  const b = forwarded(h, 2, request(1, "tools/call", { name: "long" }));
  const out = h.send(1, cancel(1, "user pressed stop"));
  assert.deepEqual(toUpstream(out), [cancel(a.id, "user pressed stop")]);
  assert.deepEqual(recipients(h.server(result(a.id))), [], "the late response is dropped");
  assert.deepEqual(
    recipients(
      h.server(
        notification("notifications/progress", {
          progressToken: a.params._meta.progressToken,
          progress: 1,
        }),
      ),
    ),
    [],
    "progress for a cancelled request is dropped",
  );
  assert.deepEqual(toClient(h.server(result(b.id, { ok: 1 })), 2), [result(1, { ok: 1 })]);
  assert.equal(h.router.snapshot().lanes[0].pending, 0);
});

test("a cancel racing its response: whichever comes first wins, nothing is answered twice", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  // Response first, then the host's cancel (crossing on the wire): dropped, not forwarded.
  const a = forwarded(h, 1, request("a", "tools/call", { name: "x" }));
  assert.deepEqual(toClient(h.server(result(a.id)), 1), [result("a")]);
  assert.deepEqual(h.send(1, cancel("a")).filter((o) => o.kind !== "log"), []);
  // Cancel first, then the response the server had already written: dropped.
  const b = forwarded(h, 1, request("b", "tools/call", { name: "y" }));
  assert.deepEqual(toUpstream(h.send(1, cancel("b"))), [cancel(b.id)]);
  assert.deepEqual(recipients(h.server(result(b.id))), []);
  assert.deepEqual(
    recipients(
      h.server({ jsonrpc: "2.0", id: b.id, error: { code: -32800, message: "cancelled" } }),
    ),
    [],
  );
  // The host may reuse the id afterwards.
  const c = forwarded(h, 1, request("b", "tools/call", { name: "z" }));
  assert.deepEqual(toClient(h.server(result(c.id, { z: 1 })), 1), [result("b", { z: 1 })]);
});

test("cancelling an unknown id goes nowhere", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  forwarded(h, 2, request(5, "tools/call"));
  assert.deepEqual(toUpstream(h.send(1, cancel(5))), [], "host 2's id 5 is not host 1's");
  assert.deepEqual(toUpstream(h.send(1, cancel(null))), []);
  assert.deepEqual(toUpstream(h.send(1, notification("notifications/cancelled"))), []);
});

test("a departing host's in-flight requests are cancelled upstream; others are unaffected", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2);
  const a1 = forwarded(h, 1, request(1, "tools/call", { name: "a" }));
  const a2 = forwarded(h, 1, request(2, "resources/read", { uri: "file:///x" }));
  const b1 = forwarded(h, 2, request(1, "tools/call", { name: "b" }));
  const out = h.remove(1);
  const cancels = toUpstream(out).filter((m) => m.method === "notifications/cancelled");
  assert.deepEqual(cancels.map((m) => m.params.requestId).sort(), [a1.id, a2.id].sort());
  assert.deepEqual(recipients(out), []);
  assert.deepEqual(
    recipients(h.server(result(a1.id))),
    [],
    "a response arriving after its host left is dropped",
  );
  assert.deepEqual(recipients(h.server(result(a2.id))), []);
  assert.deepEqual(toClient(h.server(result(b1.id)), 2), [result(1)]);
  const snap = h.router.snapshot();
  assert.equal(snap.clients.length, 1);
  assert.equal(snap.lanes[0].pending, 0);
});

test("messages from a host that left are ignored", { timeout: 5000 }, () => {
  const h = ready(1);
  h.remove(1);
  const out = h.send(1, request(1, "tools/list"));
  assert.deepEqual(toUpstream(out), []);
  assert.deepEqual(recipients(out), []);
  assert.deepEqual(recipients(h.remove(1)), []);
});

test("a server's cancel of its own request reaches the holding host with the host's id", {
  timeout: 5000,
}, () => {
  const h = ready(1, 2);
  forwarded(h, 2, request(1, "tools/call", { name: "needs-input" }));
  const out = h.server(
    request("elicit-1", "elicitation/create", {
      message: "Name?",
      requestedSchema: { type: "object", properties: {} },
    }),
  );
  const [asked] = toClient(out, 2);
  assert.equal(asked.method, "elicitation/create");
  const cancelled = h.server(cancel("elicit-1", "timeout"));
  assert.deepEqual(toClient(cancelled, 2), [cancel(asked.id, "timeout")]);
  assert.deepEqual(
    toUpstream(h.send(2, result(asked.id, { action: "accept" }))),
    [],
    "late answer dropped",
  );
});

test("a server cancelling its own answered ping never hits a host request with that id", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  const call = forwarded(h, 1, request(1, "tools/call"));
  h.server(request(call.id, "ping")); // the server's own id space may overlap ours
  const out = h.server(cancel(call.id, "ping timed out"));
  assert.deepEqual(recipients(out), []);
  assert.deepEqual(toClient(h.server(result(call.id, { ok: 1 })), 1), [result(1, { ok: 1 })]);
});
