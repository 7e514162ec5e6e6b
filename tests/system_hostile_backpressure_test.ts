/**
 * Issue 6, backpressure: a host that stops reading while the server floods it is cut
 * off at its queue cap, alone, while the other hosts keep their latency and the
 * daemon its memory; a server that stops reading its stdin makes requests fail or
 * time out cleanly, with the daemon's memory bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { isAlive, waitFor } from "./harness/cleanup.ts";
import { measureLatency, summarize } from "./harness/latency.ts";
import { runShoal } from "./harness/shoal.ts";
import { HOSTILE_SERVER, startSocketDaemon } from "./harness/socket_daemon.ts";

const MiB = 1024 * 1024;

async function serverState(raw: { request(m: string, p?: unknown): Promise<Record<string, any>> }) {
  const reply = await raw.request("tools/call", { name: "state", arguments: {} });
  return JSON.parse(reply.result.content[0].text);
}

test(
  "a host that stops reading under a flood is cut off at its cap, alone; others keep their latency",
  { timeout: 90_000 },
  async () => {
    const cap = 8 * MiB;
    const daemon = await startSocketDaemon({ extra: ["--max-queue-bytes", String(cap)] });
    try {
      const good = [await daemon.attach(), await daemon.attach()];
      for (const [i, g] of good.entries()) await g.initialize(`good-${i}`);
      await measureLatency(good, { min: 50 }); // warm-up
      const normal = summarize(await measureLatency(good, { min: 300 }));
      const before = daemon.stats();

      const stalled = await daemon.attach();
      await stalled.initialize("stalled");
      const clientsBefore = (await daemon.status()).clients.map((c: any) => c.id);
      stalled.pause();
      stalled.send({
        jsonrpc: "2.0",
        id: "flood",
        method: "tools/call",
        params: {
          name: "flood",
          arguments: { bytes: 2048, perTick: 16, intervalMs: 1 },
          _meta: { progressToken: "f" },
        },
      });
      const floodStart = Date.now();
      let cutAt = 0;
      const watch = setInterval(() => {
        if (cutAt === 0 && /client_overflow/.test(daemon.log())) cutAt = Date.now();
      }, 25);
      let during;
      try {
        during = summarize(await measureLatency(good, { min: 20, done: () => cutAt !== 0 }));
        await waitFor(() => cutAt !== 0, {
          timeoutMs: 30_000,
          what: "the stalled host to be cut off",
        });
      } finally {
        clearInterval(watch);
      }
      const after = daemon.stats();
      const status = await daemon.status();
      const stalledId = clientsBefore.find((id: number) =>
        !status.clients.some((c: any) => c.id === id) && id
      );
      console.log(
        `# flood: stalled host cut off after ${cutAt - floodStart} ms at a ${cap / MiB} MiB cap`,
      );
      console.log(`# well-behaved hosts' echo latency normal:      ${JSON.stringify(normal)}`);
      console.log(`# well-behaved hosts' echo latency during flood: ${JSON.stringify(during)}`);
      console.log(
        `# daemon RSS ${before.rssKiB} KiB before, peak ${after.hwmKiB} KiB (+${
          after.hwmKiB - before.rssKiB
        } KiB)`,
      );

      assert.equal(status.clients.length, 2, "the well-behaved hosts are still attached");
      assert.ok(stalledId !== undefined, "the stalled host is the one that left");
      await daemon.logged(new RegExp(`warn client_overflow .*client=${stalledId} `));
      await daemon.logged(new RegExp(`client_detached .*client=${stalledId} reason="outbox overflow`));
      // Its request was cancelled upstream: the server stops flooding and holds nothing.
      const state = await serverState(good[0]);
      assert.equal(state.inFlight, 0, JSON.stringify(state));
      assert.ok(state.cancelled >= 1);
      assert.ok(during.count >= 20);
      assert.ok(
        after.hwmKiB - before.rssKiB < (3 * cap + 64 * MiB) / 1024,
        "daemon memory stays bounded",
      );
      const last = summarize(await measureLatency(good, { min: 100 }));
      console.log(`# well-behaved hosts' echo latency after:       ${JSON.stringify(last)}`);
      // The criterion: within 2x of normal (the median). Normal is the slower of
      // the windows before and after the flood, both without it: the machine's own load
      // moves between them. A 1 ms floor absorbs scheduler noise at sub-millisecond
      // round trips on a 2-core machine.
      const calm = Math.max(normal.p50Ms, last.p50Ms);
      assert.ok(during.p50Ms <= Math.max(2 * calm, calm + 1), `p50 ${during.p50Ms} ms vs normal ${calm} ms`);
      // The stalled host, reading again, finds its connection closed by the daemon after
      // what the kernel buffers held: the daemon queued no more than its cap for it.
      stalled.resume();
      await Promise.race([
        stalled.closed,
        waitFor(() => false, { timeoutMs: 10_000, what: "EOF" }),
      ]);
      console.log(`# the stalled host received ${stalled.receivedBytes} bytes before EOF`);
      assert.ok(stalled.receivedBytes < cap + 8 * MiB, `${stalled.receivedBytes} bytes`);
      for (const g of good) g.destroy();
    } finally {
      await daemon.close();
    }
  },
);

test("a server that stops reading its stdin: requests fail or time out cleanly, memory bounded", {
  timeout: 90_000,
}, async () => {
  // Named, so an SDK host's proxy (with the SDK's own environment) finds this daemon.
  const name = ["--name", "stalled-server"];
  const daemon = await startSocketDaemon({
    extra: [...name, "--max-message-bytes", String(MiB), "--max-queue-bytes", String(4 * MiB)],
  });
  try {
    const host = await daemon.world.host(["node", HOSTILE_SERVER], {
      extra: name,
      name: "sdk-host",
    });
    const raw = await daemon.attach();
    await raw.initialize("writer");
    const serverPid = (await daemon.status()).upstreams[0].pid;
    await raw.request("tools/call", { name: "stall", arguments: {} });
    // A real host's request times out on its own clock and is cancelled by its SDK.
    const timedOut = await host.callTool("echo", { text: "too late" }, { timeoutMs: 1_000 }).catch((
      e,
    ) => e);
    assert.match(String(timedOut), /timed out/i);
    const before = daemon.stats();
    // 512 MiB of requests at a server that reads nothing (before the fix the daemon
    // chained every write in memory: a peak of ~470 MiB for half of this).
    const pad = "p".repeat(256 * 1024);
    const total = 2048;
    const ids = Array.from({ length: total }, (_, i) => `w${i}`);
    const started = Date.now();
    for (const id of ids) {
      raw.send({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "echo", arguments: { text: pad } },
      });
      if (raw.socket.writableLength > 8 * MiB) {
        await new Promise((r) => raw.socket.once("drain", r));
      }
    }
    // Every request past the queue is answered at once with an error, in order (so
    // the last one's answer comes last); the few that fit are still waiting, as they
    // would at any slow server.
    await raw.response(ids.at(-1)!, 30_000);
    const answered = raw.messages.filter((m) => typeof m.id === "string" && m.id.startsWith("w"));
    const after = daemon.stats();
    const waiting = ids.filter((id) => !answered.some((m) => m.id === id));
    console.log(
      `# stalled server: ${total} x 256 KiB sent in ${
        Date.now() - started
      } ms; ${answered.length} refused at once, ${waiting.length} queued`,
    );
    console.log(
      `# daemon RSS ${before.rssKiB} KiB before, peak ${after.hwmKiB} KiB (+${
        after.hwmKiB - before.rssKiB
      } KiB)`,
    );
    for (const m of answered) {
      assert.equal(m.error?.code, -32000, JSON.stringify(m).slice(0, 300));
      assert.match(m.error.message, /not reading its input/);
    }
    assert.ok(waiting.length > 0 && waiting.length <= 64, `${waiting.length} requests queued`);
    // Bounded by the queue cap plus the garbage of parsing what streams through.
    assert.ok(after.hwmKiB - before.rssKiB < 128 * 1024, "daemon memory stays bounded");
    await daemon.logged(/warn server_input_full /);
    const inFlight = async () =>
      Object.fromEntries((await daemon.status()).clients.map((c: any) => [c.host, c.inFlight]));
    assert.deepEqual(await inFlight(), { "sdk-host": 0, writer: waiting.length });
    // The raw host gives up on what is still queued, as the SDK host did.
    for (const id of waiting) {
      raw.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id } });
    }
    await waitFor(async () => (await inFlight()).writer === 0, {
      what: "cancelled requests to clear",
    });
    // The server comes back: it works through its backlog (late answers are dropped),
    // and new requests from both hosts succeed.
    process.kill(serverPid, "SIGUSR2");
    const echo = await raw.request("tools/call", { name: "echo", arguments: { text: "back" } }, {
      timeoutMs: 20_000,
    });
    assert.equal(echo.result.content[0].text, "back");
    assert.equal((await host.callTool("echo", { text: "me too" })).text, "me too");
    await daemon.logged(/info server_input_resumed .*dropped=\d+/);
    assert.equal((await serverState(raw)).inFlight, 0);
    raw.destroy();
  } finally {
    await daemon.close();
  }
});

test("stopping a daemon whose server stopped reading takes the grace period, not forever", {
  timeout: 60_000,
}, async () => {
  const daemon = await startSocketDaemon();
  try {
    const raw = await daemon.attach();
    await raw.initialize("stopper");
    const serverPid = (await daemon.status()).upstreams[0].pid;
    await raw.request("tools/call", { name: "stall", arguments: {} });
    // More than the pipe holds: a write to the server's stdin is left pending.
    const pad = "s".repeat(512 * 1024);
    for (let i = 0; i < 4; i++) {
      raw.send({
        jsonrpc: "2.0",
        id: `s${i}`,
        method: "tools/call",
        params: { name: "echo", arguments: { text: pad } },
      });
    }
    await waitFor(async () => (await daemon.status()).clients[0]?.inFlight === 4, {
      what: "the requests to be on their way to the server",
    });
    const started = Date.now();
    const stop = await runShoal(["stop", "--all", "--state-dir", daemon.world.stateDir], {
      timeoutMs: 20_000,
    });
    assert.equal(stop.status, 0, stop.stderr);
    await waitFor(() => !isAlive(daemon.pid) && !isAlive(serverPid), {
      timeoutMs: 15_000,
      what: "daemon and server to exit",
    });
    const took = Date.now() - started;
    console.log(`# stop with a server that reads nothing: ${took} ms`);
    // 2 s for the held requests to drain, close stdin (it never drains), 2 s grace,
    // SIGTERM: the stalled fixture dies there. "Forever" would be the 20 s stop timeout.
    assert.ok(took < 12_000, `stop took ${took} ms`);
    raw.destroy();
  } finally {
    await daemon.close();
  }
});
