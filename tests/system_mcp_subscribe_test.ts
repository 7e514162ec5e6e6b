/**
 * Issue 4 system tests, resource subscriptions: refcounted per URI, one upstream
 * subscribe for many hosts, `resources/updated` only to the hosts subscribed, and a
 * host's subscriptions released when it unsubscribes or leaves.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FIXTURES } from "./harness/fixtures.ts";
import { provesAbsence, waitFor } from "./harness/cleanup.ts";
import type { Host } from "./harness/host.ts";
import { makeWorld } from "./harness/shoal_env.ts";

const PID_SERVER = ["node", FIXTURES.pidServer];
const URI = "test://counter";

const updates = (host: Host) =>
  host.notifications.filter((n) =>
    n.method === "notifications/resources/updated" && n.params.uri === URI
  ).length;

/** What the server itself saw: subscribe/unsubscribe events, live subscriptions. */
async function upstreamSubscriptions(host: Host) {
  const received = (await host.callTool("received", {})).structured;
  const live = JSON.parse((await host.callTool("subscriptions", {})).text);
  return { events: received.subscriptionEvents.map((e: any) => `${e.op} ${e.uri}`), live };
}

test("A and B subscribe, A unsubscribes: B still gets updates, A none; one subscribe upstream", {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  try {
    const a = await world.host(PID_SERVER, { sdk: "v1", name: "a" });
    const b = await world.host(PID_SERVER, { sdk: "v2", name: "b" });
    await a.client.subscribeResource({ uri: URI });
    await b.client.subscribeResource({ uri: URI });
    assert.equal((await a.callTool("bump", {})).structured.notified, true);
    await waitFor(() => updates(a) === 1 && updates(b) === 1, {
      what: "both hosts to get the first update",
    });

    await a.client.unsubscribeResource({ uri: URI });
    for (let i = 0; i < 3; i++) {
      assert.equal((await a.callTool("bump", {})).structured.notified, true);
    }
    await waitFor(() => updates(b) === 4, { what: "b to get three more updates" });
    await provesAbsence(300);
    assert.equal(updates(a), 1, "a got nothing after unsubscribing");
    assert.equal(updates(b), 4, "b got each update once");
    assert.deepEqual(await upstreamSubscriptions(a), { events: [`subscribe ${URI}`], live: [URI] });

    await b.client.unsubscribeResource({ uri: URI });
    assert.equal(
      (await b.callTool("bump", {})).structured.notified,
      false,
      "the last unsubscribe went upstream",
    );
    assert.deepEqual((await upstreamSubscriptions(b)).events, [
      `subscribe ${URI}`,
      `unsubscribe ${URI}`,
    ]);
  } finally {
    await world.close();
  }
});

test(
  "a departing subscriber's subscription is released; the last one leaving unsubscribes upstream",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const a = await world.host(PID_SERVER, { name: "a" });
      const b = await world.host(PID_SERVER, { name: "b" });
      await a.client.subscribeResource({ uri: URI });
      await b.client.subscribeResource({ uri: URI });
      await b.close();
      await a.callTool("bump", {});
      await waitFor(() => updates(a) === 1, { what: "a to get its update" });
      assert.deepEqual(
        (await upstreamSubscriptions(a)).live,
        [URI],
        "a's subscription survives b leaving",
      );

      const c = await world.host(PID_SERVER, { name: "c" });
      await a.close();
      await waitFor(async () => (await upstreamSubscriptions(c)).live.length === 0, {
        what: "the upstream unsubscribe after the last subscriber left",
      });
      assert.deepEqual((await upstreamSubscriptions(c)).events, [
        `subscribe ${URI}`,
        `unsubscribe ${URI}`,
      ]);
      assert.equal((await c.callTool("bump", {})).structured.notified, false);
      await provesAbsence(200);
      assert.equal(updates(c), 0, "a host that never subscribed gets no updates");
    } finally {
      await world.close();
    }
  },
);
