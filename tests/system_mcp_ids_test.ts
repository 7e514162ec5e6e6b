/**
 * Issue 4 system tests, request ids: many hosts whose ids collide (SDK clients all
 * number from 0) and raw peers using ids of every type share one server; every
 * response reaches the request that caused it, with the exact original id.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "./harness/fixtures.ts";
import { readWire, tapped, tappedServer, wireMessages } from "./harness/wire_tap.ts";
import { makeWorld } from "./harness/shoal_env.ts";

const HOSTS = 8;
const CALLS = 200;

test("8 hosts × 200 interleaved calls with colliding ids: 0 misrouted, 0 missing", {
  timeout: 60_000,
}, async () => {
  const world = makeWorld();
  const hostLog = join(world.stateDir, "hosts.wire");
  const { log: serverLog, argv: serverArgv } = tappedServer(world.stateDir, FIXTURES.pidServer);
  try {
    const hosts = await Promise.all(
      Array.from({ length: HOSTS }, (_, h) =>
        world.host(serverArgv, {
          sdk: h % 2 === 0 ? "v1" : "v2",
          name: `host-${h}`,
          wrap: (proxy) => tapped(hostLog, proxy),
        })),
    );
    // Every call echoes a payload naming its host and call; the varying delays make
    // the server answer out of order, so responses of all hosts interleave.
    const outcomes = await Promise.all(
      hosts.map((host, h) =>
        Promise.allSettled(Array.from({ length: CALLS }, (_, c) =>
          host.callTool(
            "echo",
            { text: `h${h}:c${c}`, delayMs: (h * 7 + c * 13) % 23 },
            { progress: false, timeoutMs: 30_000 },
          )))
      ),
    );
    let missing = 0;
    let misrouted = 0;
    outcomes.forEach((results, h) =>
      results.forEach((r, c) => {
        if (r.status === "rejected") missing++;
        else if (r.value.text !== `h${h}:c${c}`) misrouted++;
      })
    );
    assert.equal(missing, 0, "calls without a response");
    assert.equal(misrouted, 0, "calls answered with another call's payload");
    for (const host of hosts) assert.deepEqual(host.errors, [], "no stray response reached a host");

    // The ids really collided: every host sent the same local ids for its calls.
    const wire = readWire(hostLog);
    const localIds = hosts.map((host) =>
      new Set(
        wireMessages(wire.filter((r) => r.pid === host.pid), { dir: "in", method: "tools/call" })
          .map((m) => m.id),
      )
    );
    for (const ids of localIds) {
      assert.equal(ids.size, CALLS);
      assert.deepEqual([...ids].sort(), [...localIds[0]].sort(), "all hosts used the same ids");
    }
    // Upstream, one id space: 1600 calls, 1600 distinct ids, each answered once.
    const upstream = readWire(serverLog);
    const calls = wireMessages(upstream, { dir: "in", method: "tools/call" });
    assert.equal(calls.length, HOSTS * CALLS);
    assert.equal(new Set(calls.map((m) => m.id)).size, HOSTS * CALLS, "upstream ids are unique");
    const answered = wireMessages(upstream, { dir: "out", kind: "response" }).map((m) => m.id);
    for (const call of calls) assert.equal(answered.filter((id) => id === call.id).length, 1);
  } finally {
    await world.close();
  }
});

/** Ids a JSON-RPC peer may use, several equal in value but not in type. */
const ODD_IDS: (string | number)[] = [
  "1",
  1,
  0,
  "0",
  "",
  -7,
  Number.MAX_SAFE_INTEGER,
  String(Number.MAX_SAFE_INTEGER),
  'id with "quotes", \\ and ünïcödé',
];

test('raw peers: string "1" and number 1 (and other look-alike ids) stay distinct and exact', {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  const server = ["node", FIXTURES.pidServer];
  try {
    const peers = [world.rawPeer(server), world.rawPeer(server)];
    await Promise.all(peers.map((p) => p.initialize()));
    // Both peers send every id at once; later ids answer first (shorter delays).
    const pending = peers.flatMap((peer, p) =>
      ODD_IDS.map((id, i) =>
        peer.request("tools/call", {
          name: "echo",
          arguments: { text: `p${p}:${i}`, delayMs: (ODD_IDS.length - i) * 15 },
        }, { id, timeoutMs: 10_000 }).then((response) => ({ p, i, response }))
      )
    );
    for (const { p, i, response } of await Promise.all(pending)) {
      assert.equal(response.id, ODD_IDS[i], "the exact id, type included");
      assert.equal(
        response.result?.content?.[0]?.text,
        `p${p}:${i}`,
        `peer ${p} id ${JSON.stringify(ODD_IDS[i])}`,
      );
    }
    for (const peer of peers) {
      const responses = peer.messages.filter((m) => m.method === undefined);
      // One initialize answer plus exactly one answer per id: nothing duplicated or stray.
      assert.equal(responses.length, 1 + ODD_IDS.length);
      for (const id of ODD_IDS) assert.equal(responses.filter((m) => m.id === id).length, 1);
      assert.deepEqual(peer.nonJson, []);
    }
  } finally {
    await world.close();
  }
});
