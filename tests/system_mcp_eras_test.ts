/**
 * Issue 4 system tests, protocol eras and versions on one server key: a legacy host and
 * a modern host both work (one server process per era, since an SDK server pins its
 * connection to one era), and a host asking an older protocol version gets the answer
 * its own request would have produced. `status` shows the lanes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isAlive, waitFor } from "./harness/cleanup.ts";
import { FIXTURES } from "./harness/fixtures.ts";
import type { Host } from "./harness/host.ts";
import { makeWorld } from "./harness/shoal_env.ts";

const MODERN_SERVER = ["node", FIXTURES.modernServer];
const PID_SERVER = ["node", FIXTURES.pidServer];

const pidOf = async (host: Host) => (await host.callTool("pid", {})).structured.pid as number;
const eraOf = async (host: Host) => (await host.callTool("era", {})).text;

/** `status --json` upstreams of the only daemon, as lane → pid. */
async function lanes(world: ReturnType<typeof makeWorld>): Promise<Record<string, number>> {
  const { status, json } = await world.status();
  assert.equal(status, 0);
  assert.equal(
    json.daemons.length,
    1,
    `one daemon for the key: ${JSON.stringify(json.daemons.map((d: any) => d.envNames))}`,
  );
  return Object.fromEntries(json.daemons[0].upstreams.map((u: any) => [u.lane, u.pid]));
}

test(
  "a legacy host (sdk 1.x) and a modern host (2.x, pinned 2026-07-28) share one key; both work",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const legacy = await world.host(MODERN_SERVER, { sdk: "v1", name: "legacy" });
      const modern = await world.host(MODERN_SERVER, { sdk: "v2", era: "modern", name: "modern" });
      assert.equal(legacy.era, "legacy");
      assert.equal(modern.era, "modern");
      assert.equal(modern.protocolVersion, "2026-07-28");
      assert.equal(await eraOf(legacy), "legacy");
      assert.equal(await eraOf(modern), "modern");
      const [calls, names] = await Promise.all([
        Promise.all([legacy, modern].flatMap((h, i) =>
          Array.from(
            { length: 20 },
            (_, c) => h.callTool("echo", { text: `${i}:${c}`, delayMs: c % 5 }),
          )
        )),
        Promise.all([legacy.listTools(), modern.listTools()]),
      ]);
      assert.deepEqual(
        calls.map((c) => c.text),
        [0, 1].flatMap((i) => Array.from({ length: 20 }, (_, c) => `${i}:${c}`)),
      );
      assert.deepEqual(names[0].sort(), names[1].sort(), "both eras list the same tools");

      const byLane = await lanes(world);
      assert.deepEqual(Object.keys(byLane).sort(), ["main", "modern"]);
      assert.equal(byLane.main, await pidOf(legacy), "the legacy host is served by the main lane");
      assert.equal(byLane.modern, await pidOf(modern), "the modern host by the modern lane");
      const { json } = await world.status();
      const clients = json.daemons[0].clients.filter((c: any) =>
        c.host === "legacy" || c.host === "modern"
      );
      assert.deepEqual(
        clients.map((c: any) => `${c.host} ${c.protocolVersion}`).sort(),
        ["legacy 2025-11-25", "modern 2026-07-28"],
      );
    } finally {
      await world.close();
    }
  },
);

test(
  "a 2.x host in auto mode finds the modern era next to a legacy host; a second modern host joins its lane",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const legacy = await world.host(MODERN_SERVER, { sdk: "v2", era: "legacy", name: "legacy" });
      const auto = await world.host(MODERN_SERVER, { sdk: "v2", era: "auto", name: "auto" });
      const pinned = await world.host(MODERN_SERVER, { sdk: "v2", era: "modern", name: "pinned" });
      assert.equal(auto.era, "modern", "the probe reached a server not pinned to the legacy era");
      assert.equal(await eraOf(legacy), "legacy");
      assert.equal(await eraOf(auto), "modern");
      assert.equal(await pidOf(auto), await pidOf(pinned), "modern hosts share one server process");
      assert.notEqual(await pidOf(auto), await pidOf(legacy));
      assert.deepEqual(Object.keys(await lanes(world)).sort(), ["main", "modern"]);
    } finally {
      await world.close();
    }
  },
);

test(
  "a 2.x host in auto mode on a legacy-only server falls back to the legacy era and shares its process",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const first = await world.host(PID_SERVER, { sdk: "v1", name: "first" });
      const auto = await world.host(PID_SERVER, { sdk: "v2", era: "auto", name: "auto" });
      assert.equal(auto.era, "legacy");
      assert.equal(
        (await auto.callTool("echo", { text: "fallback works" })).text,
        "fallback works",
      );
      const pid = (await first.callTool("pid", {})).structured.pid;
      assert.equal((await auto.callTool("pid", {})).structured.pid, pid);
      const byLane = await lanes(world);
      assert.equal(byLane.main, pid);
      assert.deepEqual(Object.keys(byLane), ["main"], "the probe's spare server was stopped");
    } finally {
      await world.close();
    }
  },
);

test("a host asking an older protocol version gets that version from its own server process", {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  try {
    const current = await world.host(PID_SERVER, { sdk: "v1", name: "current" });
    assert.equal(current.protocolVersion, "2025-11-25");
    const old = world.rawPeer(PID_SERVER);
    const result = await old.initialize("2025-03-26");
    assert.equal(
      result.protocolVersion,
      "2025-03-26",
      "not the cached answer negotiated for someone else",
    );
    const call = await old.request("tools/call", { name: "pid", arguments: {} });
    const oldPid = call.result.structuredContent.pid;
    assert.notEqual(oldPid, (await current.callTool("pid", {})).structured.pid);
    // A second host asking the same older version joins that lane.
    const again = world.rawPeer(PID_SERVER);
    assert.equal((await again.initialize("2025-03-26")).protocolVersion, "2025-03-26");
    const againPid =
      (await again.request("tools/call", { name: "pid", arguments: {} })).result.structuredContent
        .pid;
    assert.equal(againPid, oldPid);
    const byLane = await lanes(world);
    assert.equal(byLane["legacy:2025-03-26"], oldPid);
    assert.equal(Object.keys(byLane).length, 2);
  } finally {
    await world.close();
  }
});

test("an extra lane nobody uses stops after the idle time; the next host of its version gets a new one", {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  try {
    // The daemon takes its idle time from the host that starts it.
    const current = await world.host(PID_SERVER, { sdk: "v1", name: "current", extra: ["--idle", "1"] });
    const old = world.rawPeer(PID_SERVER);
    await old.initialize("2025-03-26");
    const pidOfPeer = async (peer: typeof old) =>
      (await peer.request("tools/call", { name: "pid", arguments: {} })).result.structuredContent.pid;
    const oldPid = await pidOfPeer(old);
    await old.close();
    await waitFor(async () => !("legacy:2025-03-26" in await lanes(world)) && !isAlive(oldPid), {
      timeoutMs: 10_000,
      what: "the idle lane and its server to go",
    });
    const mainPid = (await current.callTool("pid", {})).structured.pid;
    assert.deepEqual(await lanes(world), { main: mainPid }, "the default lane and its host stay");
    const next = world.rawPeer(PID_SERVER);
    assert.equal((await next.initialize("2025-03-26")).protocolVersion, "2025-03-26");
    const nextPid = await pidOfPeer(next);
    assert.notEqual(nextPid, oldPid);
    assert.equal((await lanes(world))["legacy:2025-03-26"], nextPid);
  } finally {
    await world.close();
  }
});
