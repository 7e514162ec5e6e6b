/**
 * Issue 6, churn: 1,000 connect–initialize–disconnect cycles through the real daemon
 * socket, leaving behind what hosts leave behind (subscriptions, requests in flight,
 * half-closes, abrupt closes). Afterwards the daemon holds no more fds, no clients, no
 * requests or subscriptions (asked of the server itself), and its RSS is back within
 * noise of where it started.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "./harness/cleanup.ts";
import type { RawSocket } from "./harness/raw_socket.ts";
import { type SocketDaemon, startSocketDaemon } from "./harness/socket_daemon.ts";

const CYCLES = 1000;
const CONCURRENCY = 8;
/**
 * The same workload first, so the runtime's own growth (V8 sizing its heap, the
 * allocator keeping freed pages) is behind us before `before` is taken. Measured on
 * the Deno daemon: RSS rises from ~55 to ~110 MiB over the first 3,000 cycles (by up to ~40 MiB per 1,000), then
 * plateaus near 170 MiB by 10,000, while the JS heap after each full GC stays at
 * ~7 MiB throughout; the compiled Bun daemon returns to its start.
 */
const WARMUP = 2000;
/**
 * RSS noise allowed over the measured cycles. A leak of the sessions themselves would
 * cost more: each holds at least a 64 KiB read buffer, 64 MiB per 1,000 hosts.
 */
const RSS_NOISE_KIB = 48 * 1024;

/** One host's life; `i` picks what it leaves behind when it goes. */
async function cycle(daemon: SocketDaemon, i: number): Promise<void> {
  const raw = await daemon.attach();
  await raw.initialize(`churn-${i}`);
  switch (i % 4) {
    case 0: // a clean goodbye: half-close, then the daemon closes its side
      raw.end();
      await raw.closed;
      return;
    case 1: // subscribed, then gone
      await raw.request("resources/subscribe", { uri: `test://r${i % 7}` });
      break;
    case 2: // a request in flight (with a progress token), then gone
      raw.send({
        jsonrpc: "2.0",
        id: i,
        method: "tools/call",
        params: { name: "sleep", arguments: { ms: 60_000 }, _meta: { progressToken: i } },
      });
      await answered(raw, "tools/call", { name: "echo", arguments: { text: "sync" } });
      break;
    default: // a plain call, then gone
      await answered(raw, "tools/call", { name: "echo", arguments: { text: `c${i}` } });
  }
  raw.destroy();
}

async function answered(raw: RawSocket, method: string, params: unknown): Promise<void> {
  const reply = await raw.request(method, params);
  if (reply.error) throw new Error(`${method} failed: ${JSON.stringify(reply.error)}`);
}

async function runCycles(daemon: SocketDaemon, from: number, to: number): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < to) await cycle(daemon, next++);
  }));
}

/** What the server itself still holds for the daemon: requests and subscriptions. */
async function serverHolds(
  daemon: SocketDaemon,
): Promise<{ inFlight: number; subscriptions: string[] }> {
  const raw = await daemon.attach();
  try {
    await raw.initialize("inspector");
    const reply = await raw.request("tools/call", { name: "state", arguments: {} });
    return JSON.parse(reply.result.content[0].text);
  } finally {
    raw.destroy();
  }
}

async function settled(daemon: SocketDaemon): Promise<void> {
  // Hosts that left work in flight are drained for up to 2 s before they are let go.
  await waitFor(async () => (await daemon.status()).clients.length === 0, {
    timeoutMs: 20_000,
    what: "every host to be gone",
  });
  await waitFor(async () => {
    const holds = await serverHolds(daemon);
    return holds.inFlight === 0 && holds.subscriptions.length === 0;
  }, { timeoutMs: 10_000, what: "the server to hold nothing" });
  await waitFor(async () => (await daemon.status()).clients.length === 0, {
    what: "the inspector to be gone",
  });
}

test(`${CYCLES} connect-initialize-disconnect cycles: no growth in fds, tables or RSS`, {
  timeout: 120_000,
}, async () => {
  const daemon = await startSocketDaemon();
  try {
    const start = daemon.stats();
    await runCycles(daemon, 0, WARMUP);
    await settled(daemon);
    const before = daemon.stats();
    const started = Date.now();
    await runCycles(daemon, WARMUP, WARMUP + CYCLES);
    const elapsed = Date.now() - started;
    const during = daemon.stats();
    await settled(daemon);
    // The daemon closes a control connection after its answer is written: the status
    // that settled() just asked for may hold an fd a moment longer.
    const after = await waitFor(() => {
      const now = daemon.stats();
      return now.fds <= before.fds ? now : null;
    }, { timeoutMs: 3_000 }).catch(() => daemon.stats());
    console.log(`# churn: ${CYCLES} cycles (${CONCURRENCY} at a time) in ${elapsed} ms`);
    console.log(
      `# daemon fds: before ${before.fds}, right after ${during.fds}, settled ${after.fds}`,
    );
    console.log(
      `# daemon RSS: at start ${start.rssKiB} KiB, after warm-up ${before.rssKiB} KiB, peak ${after.hwmKiB} KiB, after ${after.rssKiB} KiB`,
    );

    const status = await daemon.status();
    assert.deepEqual(status.clients, []);
    assert.equal(status.upstreams.length, 1, "one upstream: every host asked the same version");
    assert.equal(status.upstreams[0].restarts, 0);
    assert.ok(status.requestsServed >= CYCLES, `requests served ${status.requestsServed}`);
    assert.ok(after.fds <= before.fds, `fds grew from ${before.fds} to ${after.fds}`);
    assert.ok(
      after.rssKiB <= before.rssKiB + RSS_NOISE_KIB,
      `RSS grew from ${before.rssKiB} to ${after.rssKiB} KiB`,
    );
    // The log is written asynchronously: the last detach may land a moment after status.
    const count = (log: string, event: RegExp) => log.match(event)?.length ?? 0;
    const log = await waitFor(() => {
      const text = daemon.log();
      return count(text, / client_attached /g) === count(text, / client_detached /g) ? text : "";
    }, { what: "every attached host detached once in the log" });
    const attached = count(log, / client_attached /g);
    assert.ok(attached >= WARMUP + CYCLES);
    assert.doesNotMatch(log, / error | connection_failed /);
    // Subscriptions are consistent after all that: the first new subscriber subscribes
    // upstream again, and its departure unsubscribes again.
    const raw = await daemon.attach();
    await raw.initialize("after");
    await answered(raw, "resources/subscribe", { uri: "test://r1" });
    const state = await raw.request("tools/call", { name: "state", arguments: {} });
    assert.deepEqual(JSON.parse(state.result.content[0].text).subscriptions, ["test://r1"]);
    raw.destroy();
    await settled(daemon);
  } finally {
    await daemon.close();
  }
});

// Needs `status --json` to carry the router's per-lane tables (`lanes`, proposed for
// src/daemon/status.ts): the server's view above cannot see a stale entry in the
// router's own id map once its host is gone. Fails until status exposes them.
test(
  "after hosts come and go, status --json shows every router table empty",
  { timeout: 60_000 },
  async () => {
    const daemon = await startSocketDaemon();
    try {
      await runCycles(daemon, 0, 200);
      // One more host cancels its own request instead of leaving.
      const raw = await daemon.attach();
      await raw.initialize("canceller");
      raw.send({
        jsonrpc: "2.0",
        id: "slow",
        method: "tools/call",
        params: { name: "sleep", arguments: { ms: 60_000 }, _meta: { progressToken: "p" } },
      });
      raw.send({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: "slow" },
      });
      await answered(raw, "tools/call", { name: "echo", arguments: { text: "sync" } });
      raw.destroy();
      await settled(daemon);
      const status = await daemon.status();
      assert.ok(
        Array.isArray(status.lanes),
        `status --json has no router tables ("lanes"): ${Object.keys(status).join(", ")}`,
      );
      assert.ok(status.lanes.length >= 1);
      for (const lane of status.lanes) {
        assert.deepEqual(
          { ...lane, lane: undefined, era: undefined, protocolVersion: undefined },
          {
            lane: undefined,
            era: undefined,
            protocolVersion: undefined,
            clients: 0,
            pending: 0,
            progressTokens: 0,
            held: 0,
            subscriptions: 0,
            tasks: 0,
            serverRequests: 0,
          },
          `lane ${lane.lane}`,
        );
      }
    } finally {
      await daemon.close();
    }
  },
);
