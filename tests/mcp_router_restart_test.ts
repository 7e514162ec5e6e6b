/**
 * Requests that arrive while the server is down: held when the restart is near,
 * failed at once (−32011) when the backoff is long or no restart will come.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Harness, request, toClient, toUpstream } from "./_mcp_harness.ts";

function down(retryInMs: number | null): Harness {
  const h = new Harness();
  h.add(1);
  h.initialize(1);
  h.router.laneExited("main", { code: 1, signal: null, lastStderr: "boom", retryInMs });
  return h;
}

test("a near restart: requests wait for the server", { timeout: 5000 }, () => {
  const h = down(500);
  const out = h.send(1, request(5, "tools/list"));
  assert.deepEqual(toClient(out, 1), []);
  assert.deepEqual(toUpstream(out), []);
  const replay = h.restarted();
  assert.equal(toUpstream(replay)[0].method, "initialize");
});

test("a long backoff or no restart: -32011 at once, naming when", { timeout: 5000 }, () => {
  for (
    const [retry, text] of [[16_000, /next restart is in 16 s/], [
      null,
      /will not be restarted/,
    ]] as const
  ) {
    const h = down(retry);
    const out = h.send(1, request(6, "tools/list"));
    assert.deepEqual(toUpstream(out), []);
    const [reply] = toClient(out, 1);
    assert.equal(reply.id, 6);
    assert.equal(reply.error.code, -32011);
    assert.match(reply.error.message, text);
  }
});
