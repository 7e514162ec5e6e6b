/**
 * The fixture servers and the host harness, proven directly (no shoal in between):
 * system tests lean on every behaviour checked here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { type Host, type HostOptions, startHost } from "./harness/host.ts";
import { startRawPeer } from "./harness/raw_peer.ts";
import { FIXTURES, nodeCommand } from "./harness/fixtures.ts";
import { countWire, readWire, tapped, wireMessages } from "./harness/wire_tap.ts";
import {
  assertNoLeftovers,
  isAlive,
  leftoverFiles,
  makeStateDir,
  provesAbsence,
  removeStateDir,
  waitFor,
} from "./harness/cleanup.ts";

const T = { timeout: 30_000 };
const COUNTER = "test://counter";
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const PID_SERVER = nodeCommand(FIXTURES.pidServer);
const MODERN_SERVER = nodeCommand(FIXTURES.modernServer);

/** Run `fn` with a host; always close it and prove its process is gone. */
async function withHost(
  options: HostOptions,
  fn: (host: Host) => void | Promise<void>,
): Promise<void> {
  const host = await startHost(options);
  try {
    await fn(host);
  } finally {
    await host.close();
    await waitFor(() => !isAlive(host.pid), { what: `host child ${host.pid} to exit` });
  }
}

/** A private dir for a wire log; removed by the caller. */
function wireLog(): { dir: string; log: string } {
  const dir = makeStateDir();
  return { dir, log: join(dir, "wire.jsonl") };
}

const answers = {
  sampling: () => ({
    model: "test-model",
    role: "assistant",
    content: { type: "text", text: "sampled" },
  }),
  elicitation: () => ({ action: "accept", content: { name: "ann" } }),
  roots: () => ({ roots: [{ uri: "file:///tmp/root-a", name: "a" }] }),
};

for (const sdk of ["v1", "v2"] as const) {
  test(`pid_server: ${sdk} host gets the pid of the process it spawned`, T, async () => {
    await withHost({ ...PID_SERVER, sdk }, async (host) => {
      assert.equal(host.era, "legacy");
      assert.equal(host.protocolVersion, "2025-11-25");
      const out = await host.callTool("pid");
      assert.equal(out.text, String(host.pid));
      assert.equal(out.structured.pid, host.pid);
      const received = (await host.callTool("received")).structured;
      assert.equal(received.methods["initialize"], 1);
      assert.equal(received.methods["notifications/initialized"], 1);
      assert.equal(host.stderr(), "");
    });
  });

  test(`pid_server: ${sdk} host answers sampling, elicitation and roots`, T, async () => {
    await withHost({ ...PID_SERVER, sdk, handlers: answers }, async (host) => {
      const sampled = JSON.parse((await host.callTool("ask_sampling", { prompt: "hi" })).text);
      assert.equal(sampled.content.text, "sampled");
      const elicited = JSON.parse((await host.callTool("ask_elicitation")).text);
      assert.deepEqual(elicited, { action: "accept", content: { name: "ann" } });
      const roots = JSON.parse((await host.callTool("ask_roots")).text);
      assert.equal(roots.roots[0].uri, "file:///tmp/root-a");
      assert.deepEqual(host.serverRequests.map((r) => r.method), [
        "sampling/createMessage",
        "elicitation/create",
        "roots/list",
      ]);
      assert.equal(host.serverRequests[0].params.messages[0].content.text, "hi");
    });
  });
}

test("pid_server: a host without the capability fails the tool, nothing hangs", T, async () => {
  await withHost({ ...PID_SERVER, sdk: "v1" }, async (host) => {
    const out = await host.callTool("ask_roots");
    assert.equal(out.isError, true);
    assert.equal(host.serverRequests.length, 0);
  });
});

test("pid_server: progress reaches its call and is counted on the wire", T, async () => {
  const { dir, log } = wireLog();
  try {
    await withHost({ ...tapped(log, PID_SERVER), sdk: "v1" }, async (host) => {
      const out = await host.callTool("slow", { steps: 5, intervalMs: 5 });
      assert.equal(out.text, "done 5");
      assert.deepEqual(out.progress.map((p) => p.progress), [1, 2, 3, 4, 5]);
      assert.equal(out.progress[4].total, 5);
      const wire = readWire(log);
      const call = wireMessages(wire, { dir: "in", method: "tools/call" })[0];
      const token = call.params._meta.progressToken;
      assert.equal(countWire(wire, { dir: "out", method: "notifications/progress" }), 5);
      assert.equal(
        countWire(wire, {
          method: "notifications/progress",
          where: (m) => m.params.progressToken === token,
        }),
        5,
      );
    });
  } finally {
    removeStateDir(dir);
  }
});

for (
  const [server, sdk, era] of [
    [PID_SERVER, "v1", "legacy"],
    [PID_SERVER, "v2", "legacy"],
    [MODERN_SERVER, "v2", "auto"],
  ] as const
) {
  test(
    `progress: ${sdk} ${era} host sees every notification of back-to-back calls`,
    T,
    async () => {
      await withHost({ ...server, sdk, era }, async (host) => {
        for (let i = 0; i < 20; i++) {
          const out = await host.callTool("slow", { steps: 3, intervalMs: 1 });
          assert.deepEqual(out.progress.map((p) => p.progress), [1, 2, 3], `call ${i}`);
        }
        assert.deepEqual(host.foreignProgress, []);
      });
    },
  );
}

test("pid_server: a cancelled call is recorded under the id the server saw", T, async () => {
  const { dir, log } = wireLog();
  try {
    await withHost({ ...tapped(log, PID_SERVER), sdk: "v1" }, async (host) => {
      const abort = new AbortController();
      const call = host.callTool("slow", { steps: 500, intervalMs: 10 }, {
        signal: abort.signal,
        onProgress: () => abort.abort("test cancels"),
      });
      await assert.rejects(call);
      const slowId = wireMessages(readWire(log), { dir: "in", method: "tools/call" })[0].id;
      const report = await waitFor(async () => {
        const r = (await host.callTool("cancelled_log")).structured;
        return r.aborted.length > 0 && r;
      }, { what: "the server to see the cancellation" });
      assert.deepEqual(report, { cancelled: [slowId], aborted: [slowId] });
      const answered = wireMessages(readWire(log), { dir: "out", where: (m) => m.id === slowId });
      assert.equal(answered.length, 0, "a cancelled request gets no response");
    });
  } finally {
    removeStateDir(dir);
  }
});

test("pid_server: subscribe + bump → resources/updated; unsubscribe stops it", T, async () => {
  await withHost({ ...PID_SERVER, sdk: "v1" }, async (host) => {
    const client = host.client as any;
    await client.subscribeResource({ uri: COUNTER });
    assert.deepEqual(JSON.parse((await host.callTool("subscriptions")).text), [COUNTER]);
    assert.equal((await host.callTool("bump", { uri: COUNTER })).structured.notified, true);
    const update = await host.waitForNotification("notifications/resources/updated");
    assert.equal(update.params.uri, COUNTER);
    await client.unsubscribeResource({ uri: COUNTER });
    assert.equal((await host.callTool("bump", { uri: COUNTER })).structured.notified, false);
    await provesAbsence(150);
    const updates = host.notifications.filter((n) =>
      n.method === "notifications/resources/updated"
    );
    assert.equal(updates.length, 1);
    const read = await client.readResource({ uri: COUNTER });
    assert.equal(read.contents[0].text, "2");
    const received = (await host.callTool("received")).structured;
    assert.deepEqual(received.subscriptionEvents, [
      { op: "subscribe", uri: COUNTER },
      { op: "unsubscribe", uri: COUNTER },
    ]);
  });
});

test("pid_server: log notifications follow the upstream level", T, async () => {
  await withHost({ ...PID_SERVER, sdk: "v1" }, async (host) => {
    await (host.client as any).setLoggingLevel("warning");
    await host.callTool("log", { level: "info", text: "quiet" });
    await host.callTool("log", { level: "error", text: "loud" });
    const message = await host.waitForNotification("notifications/message");
    assert.deepEqual(message.params, { level: "error", logger: "fixture", data: "loud" });
    await provesAbsence(100);
    assert.equal(host.notifications.filter((n) => n.method === "notifications/message").length, 1);
    assert.deepEqual((await host.callTool("received")).structured.logLevels, ["warning"]);
  });
});

test("pid_server: crash exits with its code and says why on stderr", T, async () => {
  const host = await startHost({ ...PID_SERVER, sdk: "v1" });
  await assert.rejects(host.callTool("crash", { code: 7 }));
  assert.deepEqual(await host.exited, { code: 7, signal: null });
  assert.match(host.stderr(), /crashing on purpose with code 7/);
  await host.close();
});

test("pid_server: spawn_child's grandchild survives the server, not a group kill", T, async () => {
  const peer = startRawPeer({ command: "node", args: [FIXTURES.pidServer], detached: true });
  try {
    await peer.initialize();
    const reply = await peer.request("tools/call", { name: "spawn_child", arguments: {} });
    const grandchild = reply.result.structuredContent.pid as number;
    assert.ok(isAlive(grandchild));
    process.kill(peer.pid, "SIGKILL");
    await peer.exited;
    await provesAbsence(100);
    assert.ok(isAlive(grandchild), "killing only the server leaves the grandchild");
    process.kill(-peer.pid, "SIGKILL"); // the group outlives its leader
    await waitFor(() => !isAlive(grandchild), { what: "the grandchild to die" });
  } finally {
    try {
      process.kill(-peer.pid, "SIGKILL");
    } catch { /* group already gone */ }
  }
});

test("pid_server: stdout noise and slow startup knobs; exits on stdin EOF", T, async () => {
  const started = Date.now();
  const peer = startRawPeer({
    command: "node",
    args: [FIXTURES.pidServer],
    env: { FIXTURE_STDOUT_NOISE: "1", FIXTURE_STARTUP_MS: "300" },
  });
  const result = await peer.initialize("2025-06-18");
  assert.ok(Date.now() - started >= 300, "initialize answered only after the startup delay");
  assert.equal(result.protocolVersion, "2025-06-18");
  assert.deepEqual(peer.nonJson, ["pid-fixture: this line is not JSON-RPC"]);
  assert.deepEqual(await peer.close(), { code: 0, signal: null });
});

test("echo_server: SDK host lists and calls echo, pings", T, async () => {
  await withHost({ ...nodeCommand(FIXTURES.echoServer), sdk: "v1" }, async (host) => {
    assert.deepEqual(await host.listTools(), ["echo"]);
    assert.equal((await host.callTool("echo", { text: "hello" })).text, "hello");
    assert.deepEqual(await (host.client as any).ping(), {});
  });
});

test("echo_server: raw ids keep their type; errors for junk", T, async () => {
  const peer = startRawPeer(nodeCommand(FIXTURES.echoServer));
  try {
    await peer.initialize();
    const byString = await peer.request("tools/call", { name: "echo", arguments: { text: "s" } }, {
      id: "7",
    });
    assert.equal(byString.result.content[0].text, "s");
    const byNumber = await peer.request("ping", undefined, { id: 7 });
    assert.deepEqual(byNumber, { jsonrpc: "2.0", id: 7, result: {} });
    assert.equal((await peer.request("nope")).error.code, -32601);
    peer.send("not json");
    await waitFor(() => peer.messages.find((m) => m.error?.code === -32700));
  } finally {
    await peer.close();
  }
});

test("modern_server: v2 auto host negotiates 2026-07-28 through a sibling probe", T, async () => {
  const { dir, log } = wireLog();
  try {
    await withHost({ ...tapped(log, MODERN_SERVER), sdk: "v2", era: "auto" }, async (host) => {
      assert.equal(host.era, "modern");
      assert.equal(host.protocolVersion, "2026-07-28");
      assert.equal((await host.callTool("echo", { text: "hi" })).text, "hi");
      assert.equal((await host.callTool("era")).text, "modern");
      const wire = readWire(log);
      const probe = wire.find((r) => r.message?.method === "server/discover")!;
      const session = wire.filter((r) => r.pid !== probe.pid);
      assert.equal(session[0].message!.method, "tools/call", "the session opens with a request");
      assert.equal(
        session[0].message!.params._meta["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28",
      );
      assert.equal(countWire(wire, { method: "initialize" }), 0);
      assert.equal(countWire(wire, { method: "server/discover" }), 1);
    });
  } finally {
    removeStateDir(dir);
  }
});

test("modern_server: listen delivers updates stamped with the listen id", T, async () => {
  const { dir, log } = wireLog();
  try {
    await withHost({ ...tapped(log, MODERN_SERVER), sdk: "v2", era: "auto" }, async (host) => {
      const subscription = await (host.client as any).listen({ resourceSubscriptions: [COUNTER] });
      assert.deepEqual(subscription.honoredFilter, { resourceSubscriptions: [COUNTER] });
      await host.callTool("bump");
      const update = await host.waitForNotification("notifications/resources/updated");
      assert.equal(update.params.uri, COUNTER);
      const listen = wireMessages(readWire(log), { method: "subscriptions/listen" })[0];
      assert.equal(update.params._meta[SUBSCRIPTION_ID], listen.id);
      await subscription.close();
      await host.callTool("bump");
      await provesAbsence(100);
      assert.equal(
        host.notifications.filter((n) => n.method === "notifications/resources/updated").length,
        1,
      );
      const cancelled = (await host.callTool("cancelled_log")).structured.cancelled;
      assert.deepEqual(cancelled, [listen.id], "closing the subscription cancels the listen id");
    });
  } finally {
    removeStateDir(dir);
  }
});

test("modern_server: input-required questions reach the host's handlers", T, async () => {
  const { dir, log } = wireLog();
  try {
    const options = { ...tapped(log, MODERN_SERVER), sdk: "v2" as const, era: "auto" as const };
    await withHost({ ...options, handlers: answers }, async (host) => {
      const elicited = JSON.parse((await host.callTool("ask_elicitation")).text);
      assert.deepEqual(elicited, { action: "accept", content: { name: "ann" } });
      assert.equal(JSON.parse((await host.callTool("ask_sampling")).text).model, "test-model");
      const roots = JSON.parse((await host.callTool("ask_roots")).text);
      assert.equal(roots.roots[0].uri, "file:///tmp/root-a");
      assert.deepEqual(host.serverRequests.map((r) => r.method), [
        "elicitation/create",
        "sampling/createMessage",
        "roots/list",
      ]);
      const wire = readWire(log);
      assert.equal(countWire(wire, { dir: "out", kind: "request" }), 0, "no server→client request");
      const incomplete = wireMessages(wire, {
        dir: "out",
        where: (m) => m.result?.resultType === "input_required",
      });
      assert.equal(incomplete.length, 3);
      const retries = wireMessages(wire, { dir: "in", where: (m) => !!m.params?.inputResponses });
      assert.equal(retries.length, 3, "each question is answered by a retried request");
    });
  } finally {
    removeStateDir(dir);
  }
});

test("modern_server: progress and cancellation in the modern era", T, async () => {
  await withHost({ ...MODERN_SERVER, sdk: "v2", era: "auto" }, async (host) => {
    const slow = await host.callTool("slow", { steps: 3, intervalMs: 5 });
    assert.deepEqual(slow.progress.map((p) => p.progress), [1, 2, 3]);
    const abort = new AbortController();
    const call = host.callTool("slow", { steps: 500, intervalMs: 10 }, {
      signal: abort.signal,
      onProgress: () => abort.abort("test cancels"),
    });
    await assert.rejects(call);
    const cancelled = await waitFor(async () => {
      const ids = (await host.callTool("cancelled_log")).structured.cancelled;
      return ids.length > 0 && ids;
    });
    assert.equal(cancelled.length, 1);
    assert.equal(typeof cancelled[0], "number");
  });
});

test("modern_server: a v1 host gets the legacy era from the same server", T, async () => {
  await withHost({ ...MODERN_SERVER, sdk: "v1", handlers: answers }, async (host) => {
    assert.equal(host.era, "legacy");
    assert.equal((await host.callTool("era")).text, "legacy");
    const elicited = JSON.parse((await host.callTool("ask_elicitation")).text);
    assert.equal(elicited.content.name, "ann");
    assert.equal((await host.callTool("ask_roots")).text.includes("root-a"), true);
    assert.deepEqual(host.serverRequests.map((r) => r.method), [
      "elicitation/create",
      "roots/list",
    ]);
    await (host.client as any).subscribeResource({ uri: COUNTER });
    assert.equal((await host.callTool("bump")).structured.notified, true);
    await host.waitForNotification("notifications/resources/updated");
  });
});

test("v2 auto host falls back to initialize against a legacy server", T, async () => {
  const { dir, log } = wireLog();
  try {
    await withHost({ ...tapped(log, PID_SERVER), sdk: "v2", era: "auto" }, (host) => {
      assert.equal(host.era, "legacy");
      const wire = readWire(log);
      const probe = wire.find((r) => r.message?.method === "server/discover")!;
      const refusal = wire.find((r) => r.dir === "out" && r.message?.id === probe.message!.id)!;
      assert.equal(refusal.message!.error.code, -32601);
      const init = wire.find((r) => r.message?.method === "initialize")!;
      assert.notEqual(init.pid, probe.pid, "the probe ran in a separate process");
    });
  } finally {
    removeStateDir(dir);
  }
});

test("v2 host pinned to 2026-07-28 refuses a legacy server", T, async () => {
  await assert.rejects(startHost({ ...PID_SERVER, sdk: "v2", era: "modern" }), /did not offer/);
});

test("cleanup: leftovers are found, reported and cleared", T, async () => {
  const dir = makeStateDir();
  const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
  const server = createServer();
  try {
    assert.match(dir, /^\/tmp\/sh-.{6}$/);
    writeFileSync(join(dir, "d.lock"), "");
    await new Promise<void>((resolve) => server.listen(join(dir, "d"), resolve));
    assert.deepEqual(leftoverFiles(dir).sort(), [join(dir, "d"), join(dir, "d.lock")]);
    await assert.rejects(
      assertNoLeftovers(dir, [sleeper.pid!], { timeoutMs: 100 }),
      /live pids \[\d+\], files \[.*d.lock/,
    );
    sleeper.kill("SIGKILL");
    await new Promise((resolve) => server.close(resolve));
    removeStateDir(dir);
    await assertNoLeftovers(dir, [sleeper.pid!]);
  } finally {
    sleeper.kill("SIGKILL");
    removeStateDir(dir);
  }
});

test("cleanup: waitFor returns the value or names what timed out", T, async () => {
  let n = 0;
  assert.equal(await waitFor(() => ++n >= 3 && n), 3);
  await assert.rejects(waitFor(() => false, { timeoutMs: 50, what: "pigs to fly" }), /pigs to fly/);
});
