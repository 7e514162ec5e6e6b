import assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter, type OversizedLine } from "../src/rpc/line_splitter.ts";
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
  return readyHarness(clients, { capabilities: { sampling: {} } });
}

/** The host connection still works: a request goes up and its answer comes back. */
function assertAlive(h: Harness, client: number): void {
  const sent = forwarded(h, client, request("alive", "tools/list"));
  assert.deepEqual(toClient(h.server(result(sent.id)), client), [result("alive")]);
}

test("invalid JSON and invalid UTF-8 get -32700 without an id; the host lives on", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  for (const line of ['{"jsonrpc":"2.0","id":1,', "not json", "{]"]) {
    const [reply] = toClient(h.send(1, line), 1);
    assert.equal(reply.error.code, -32700);
    assert.equal("id" in reply, false);
  }
  const garbage = new Uint8Array([0x7b, 0xc3, 0x28, 0xff, 0x00, 0x80, 0x7d]);
  const [reply] = toClient(h.router.fromClient(1, garbage), 1);
  assert.equal(reply.error.code, -32700);
  assert.match(reply.error.message, /UTF-8/);
  assertAlive(h, 1);
});

test(
  "valid JSON that is not JSON-RPC gets -32600, with the id when it is valid",
  { timeout: 5000 },
  () => {
    const h = ready(1);
    const cases: Array<[unknown, unknown]> = [
      [{ id: 4, method: "tools/list" }, 4],
      [{ jsonrpc: "2.0", id: null, method: "tools/list" }, undefined],
      [{ jsonrpc: "2.0", id: "s", method: 12 }, "s"],
      [{ jsonrpc: "2.0", method: ["x"] }, undefined],
      [{ jsonrpc: "2.0", id: 9, method: "m", params: 3 }, 9],
      [42, undefined],
      ["text", undefined],
      [null, undefined],
    ];
    for (const [value, id] of cases) {
      const out = h.send(1, JSON.stringify(value));
      const [reply] = toClient(out, 1);
      assert.equal(reply.error.code, -32600, JSON.stringify(value));
      assert.strictEqual(reply.id, id);
      assert.deepEqual(toUpstream(out), []);
      assert.ok(logEvents(out).includes("client_invalid_message"));
    }
    assertAlive(h, 1);
  },
);

test("malformed responses from a host are logged, never answered", { timeout: 5000 }, () => {
  const h = ready(1);
  for (
    const value of [{ jsonrpc: "2.0", result: {} }, {
      jsonrpc: "2.0",
      id: null,
      error: { code: 1, message: "x" },
    }]
  ) {
    const out = h.send(1, value);
    assert.deepEqual(recipients(out), []);
    assert.deepEqual(toUpstream(out), []);
  }
});

test(
  "an oversized request gets -32010 with the id recovered from its tail",
  { timeout: 5000 },
  () => {
    const h = ready(1);
    const splitter = new LineSplitter({ maxMessageBytes: 1024 });
    const huge = JSON.stringify({
      method: "tools/call",
      params: { name: "x", arguments: { blob: "b".repeat(5000) } },
      jsonrpc: "2.0",
      id: 31,
    });
    const lines = splitter.push(new TextEncoder().encode(huge + "\n"));
    const out = h.router.fromClient(1, lines[0]);
    const [reply] = toClient(out, 1);
    assert.deepEqual([reply.id, reply.error.code], [31, -32010]);
    assert.match(reply.error.message, /^Message too large: \d+ bytes exceeds the 1024-byte limit$/);
    assert.deepEqual(toUpstream(out), []);
    assertAlive(h, 1);
  },
);

test("oversized notifications are only logged; unreadable ones get an id-less error", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  const big = (text: string): OversizedLine => {
    const bytes = new TextEncoder().encode(text);
    return {
      kind: "oversized",
      head: bytes.slice(0, 64),
      tail: bytes.slice(-32),
      totalBytes: bytes.length,
      limit: 100,
    };
  };
  const note = big(
    JSON.stringify({
      method: "notifications/roots/list_changed",
      params: { x: "y".repeat(500) },
      jsonrpc: "2.0",
    }),
  );
  assert.deepEqual(recipients(h.router.fromClient(1, note)), []);
  const [reply] = toClient(h.router.fromClient(1, big("\u0000".repeat(300))), 1);
  assert.equal(reply.error.code, -32010);
  assert.equal("id" in reply, false);
});

test(
  "an oversized answer to a server request fails that request upstream",
  { timeout: 5000 },
  () => {
    const h = ready(1);
    forwarded(h, 1, request(1, "tools/call"));
    const [asked] = toClient(
      h.server(request("smp", "sampling/createMessage", { messages: [], maxTokens: 1 })),
      1,
    );
    const text = JSON.stringify({
      jsonrpc: "2.0",
      id: asked.id,
      result: { content: "z".repeat(4000) },
    });
    const bytes = new TextEncoder().encode(text);
    const out = h.router.fromClient(1, {
      kind: "oversized",
      head: bytes.slice(0, 100),
      tail: bytes.slice(-50),
      totalBytes: bytes.length,
      limit: 1000,
    });
    const [err] = toUpstream(out);
    assert.deepEqual([err.id, err.error.code], ["smp", -32010]);
    assert.equal(h.router.snapshot().lanes[0].serverRequests, 0);
  },
);

test(
  "an oversized server response fails the waiting host's request with -32010",
  { timeout: 5000 },
  () => {
    const h = ready(1, 2);
    const sent = forwarded(h, 2, request("big", "resources/read", { uri: "file:///huge.bin" }));
    const text = JSON.stringify({
      jsonrpc: "2.0",
      id: sent.id,
      result: { contents: [{ blob: "A".repeat(10000) }] },
    });
    const splitter = new LineSplitter({ maxMessageBytes: 2048 });
    const [line] = splitter.push(new TextEncoder().encode(text + "\n"));
    const out = h.router.fromUpstream("main", line);
    const [reply] = toClient(out, 2);
    assert.deepEqual([reply.id, reply.error.code], ["big", -32010]);
    assert.match(reply.error.message, /^Response too large/);
    assert.deepEqual(recipients(out), [2]);
    assert.equal(h.router.snapshot().clients[1].inFlight, 0);
  },
);

test("non-JSON server output is logged and dropped, never forwarded", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  for (
    const line of ["Server listening on stdio", "\u001b[32mready\u001b[0m", "{partial", "[1,2"]
  ) {
    const out = h.server(line);
    assert.deepEqual(recipients(out), []);
    assert.deepEqual(toUpstream(out), []);
    assert.ok(logEvents(out).includes("server_output_not_json"));
  }
  const invalidUtf8 = h.router.fromUpstream("main", new Uint8Array([0xff, 0xfe, 0x0a]));
  assert.deepEqual(recipients(invalidUtf8), []);
  assertAlive(h, 1);
});

test("invalid JSON-RPC from the server: requests with an id get -32600 back, the rest is logged", {
  timeout: 5000,
}, () => {
  const h = ready(1);
  const withId = h.server({ jsonrpc: "2.0", id: 5, method: 9 });
  assert.deepEqual(toUpstream(withId).map((m) => [m.id, m.error.code]), [[5, -32600]]);
  for (
    const value of [{ jsonrpc: "2.0", method: 1 }, { id: 3 }, 17, { jsonrpc: "2.0", result: 1 }]
  ) {
    const out = h.server(value);
    assert.deepEqual(recipients(out), []);
    assert.deepEqual(toUpstream(out), []);
    assert.ok(logEvents(out).includes("server_invalid_message"));
  }
  const oversizedNote = new TextEncoder().encode(
    JSON.stringify(notification("notifications/message", { data: "x".repeat(999) })),
  );
  const out = h.router.fromUpstream("main", {
    kind: "oversized",
    head: oversizedNote.slice(0, 40),
    tail: oversizedNote.slice(-20),
    totalBytes: 1100,
    limit: 1000,
  });
  assert.deepEqual(recipients(out), []);
  assert.deepEqual(toUpstream(out), []);
});

test("unknown clients and duplicate adds are logged, never thrown", { timeout: 5000 }, () => {
  const h = new Harness();
  assert.ok(logEvents(h.router.fromClient(99, "{}")).includes("unknown_client"));
  assert.ok(logEvents(h.router.removeClient(99)).includes("unknown_client"));
  h.add(1);
  assert.ok(logEvents(h.router.addClient(1)).includes("client_already_added"));
});

test("a stalled host does not block another", { timeout: 5000 }, () => {
  const h = ready(1, 2);
  const partial = new LineSplitter();
  assert.deepEqual(
    partial.push(new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"tools/li')),
    [],
  );
  assertAlive(h, 2);
  assert.deepEqual(h.router.snapshot().clients.map((c) => c.inFlight), [0, 0]);
});
