/**
 * Issue 4 system tests, progress: hosts whose progress tokens collide (SDK clients use
 * the request id as token) run long operations at once; each host receives all of its
 * own progress notifications and none of the others'.
 *
 * Counted on the wire, with a tap between each host and its proxy, not through the
 * SDK's `onprogress`: both SDKs drop a final notification that shares a read with its
 * response (see harness/progress_tap.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "./harness/fixtures.ts";
import type { Host, HostOptions } from "./harness/host.ts";
import { makeWorld, type World } from "./harness/shoal_env.ts";
import { readWire, tapped, tappedServer, wireMessages } from "./harness/wire_tap.ts";

const STEPS = 25;
const CALLS_PER_HOST = 2;

type Flavour = Pick<HostOptions, "sdk" | "era">;

/**
 * Start one tapped host per flavour on `server`, run CALLS_PER_HOST slow calls on every
 * host at once, and check each host's wire: all STEPS notifications of each of its
 * calls, in order, and nothing else. Returns the tokens each host used.
 */
async function runProgress(world: World, server: string[], flavours: Flavour[]) {
  const hosts: { host: Host; log: string }[] = [];
  for (const [i, flavour] of flavours.entries()) {
    const log = join(world.stateDir, `host-${i}.wire`);
    const host = await world.host(server, {
      ...flavour,
      name: `host-${i}`,
      wrap: (p) => tapped(log, p),
    });
    hosts.push({ host, log });
  }
  const results = await Promise.all(
    hosts.flatMap(({ host }) =>
      Array.from(
        { length: CALLS_PER_HOST },
        () => host.callTool("slow", { steps: STEPS, intervalMs: 8 }, { timeoutMs: 20_000 }),
      )
    ),
  );
  for (const r of results) assert.equal(r.text, `done ${STEPS}`);

  return hosts.map(({ host, log }, i) => {
    const wire = readWire(log);
    const calls = wireMessages(wire, { dir: "in", method: "tools/call" });
    assert.equal(calls.length, CALLS_PER_HOST);
    const tokens = calls.map((m) => m.params._meta.progressToken);
    const progress = wireMessages(wire, { dir: "out", method: "notifications/progress" });
    for (const token of tokens) {
      const own = progress.filter((m) => m.params.progressToken === token);
      assert.deepEqual(
        own.map((m) => m.params.progress),
        Array.from({ length: STEPS }, (_, s) => s + 1),
        `host ${i} token ${JSON.stringify(token)}: every step, in order, once`,
      );
      assert.equal(typeof own[0].params.progressToken, typeof token, "token type restored");
    }
    assert.equal(progress.length, STEPS * CALLS_PER_HOST, `host ${i}: no foreign progress`);
    assert.deepEqual(host.foreignProgress, []);
    return tokens;
  });
}

/** The test is only adversarial if the hosts really used the same tokens. */
function assertTokensCollide(tokens: unknown[][], first: number, second: number): void {
  assert.deepEqual(tokens[first], tokens[second], "both hosts used the same progress tokens");
}

test(
  "4 legacy hosts with colliding progress tokens each get all of their own progress and none of the others'",
  { timeout: 60_000 },
  async () => {
    const world = makeWorld();
    const { log: serverLog, argv: serverArgv } = tappedServer(world.stateDir, FIXTURES.pidServer);
    try {
      const tokens = await runProgress(world, serverArgv, [
        { sdk: "v1" },
        { sdk: "v1" },
        { sdk: "v2" },
        { sdk: "v2" },
      ]);
      assertTokensCollide(tokens, 0, 1);
      assertTokensCollide(tokens, 2, 3);
      // Upstream, every call had its own token, and the server sent each one STEPS times.
      const upstream = readWire(serverLog);
      const sent = wireMessages(upstream, { dir: "in", method: "tools/call" })
        .map((m) => m.params._meta.progressToken);
      assert.equal(
        new Set(sent).size,
        4 * CALLS_PER_HOST,
        "tokens rewritten to be unique upstream",
      );
      assert.equal(
        wireMessages(upstream, { dir: "out", method: "notifications/progress" }).length,
        4 * CALLS_PER_HOST * STEPS,
      );
    } finally {
      await world.close();
    }
  },
);

test(
  "legacy and modern hosts on one 2.x server each get all of their own progress and none of the others'",
  { timeout: 60_000 },
  async () => {
    const world = makeWorld();
    try {
      const tokens = await runProgress(world, ["node", FIXTURES.modernServer], [
        { sdk: "v1" },
        { sdk: "v2", era: "modern" },
        { sdk: "v2", era: "legacy" },
        { sdk: "v2", era: "modern" },
      ]);
      assertTokensCollide(tokens, 1, 3);
      const { json } = await world.status();
      assert.deepEqual(json.daemons[0].upstreams.map((u: any) => u.lane).sort(), [
        "main",
        "modern",
      ]);
    } finally {
      await world.close();
    }
  },
);
