/**
 * Issue 6, framing and validation through the real daemon socket: a raw client says
 * the hello and then sends what no proxy would. Every malformed line gets the spec's
 * error where a reply is due, nothing where none is, and the connection, the daemon
 * and every other host carry on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isAlive } from "./harness/cleanup.ts";
import { RawSocket } from "./harness/raw_socket.ts";
import { startSocketDaemon } from "./harness/socket_daemon.ts";

const LIMIT = 4096;

/** The connection still works: a request after the garbage gets its own answer. */
async function assertAlive(raw: { request(m: string, p?: unknown): Promise<Record<string, any>> }) {
  const echo = await raw.request("tools/call", { name: "echo", arguments: { text: "still here" } });
  assert.equal(echo.result?.content?.[0]?.text, "still here");
}

test("an oversized message gets -32010 with its id; the connection and the daemon live on", {
  timeout: 60_000,
}, async () => {
  const daemon = await startSocketDaemon({ extra: ["--max-message-bytes", String(LIMIT)] });
  try {
    const raw = await daemon.attach();
    await raw.initialize();
    const filler = "x".repeat(LIMIT * 4);
    // The id first (how hosts usually order fields) and last (how the TS SDKs do).
    raw.write(
      `{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"echo","arguments":{"text":"${filler}"}}}\n`,
    );
    raw.write(
      `{"method":"tools/call","params":{"name":"echo","arguments":{"text":"${filler}"}},"jsonrpc":"2.0","id":77}\n`,
    );
    // 8 MiB in one line: discarded as it streams, never held.
    const huge = `{"jsonrpc":"2.0","id":"huge","method":"ping","params":{"pad":"${
      "y".repeat(8 << 20)
    }"}}\n`;
    raw.write(huge);
    for (const id of ["big-1", 77, "huge"]) {
      const reply = await raw.response(id, 10_000);
      assert.equal(reply.error?.code, -32010, `id ${id}: ${JSON.stringify(reply)}`);
      assert.match(reply.error.message, /exceeds the 4096-byte limit/);
    }
    // A message of exactly the limit still passes.
    const fits = {
      jsonrpc: "2.0",
      id: "fits",
      method: "tools/call",
      params: { name: "echo", arguments: { text: "" } },
    };
    const pad = LIMIT - JSON.stringify(fits).length;
    fits.params.arguments.text = "z".repeat(pad);
    assert.equal(JSON.stringify(fits).length, LIMIT);
    raw.send(fits);
    assert.equal((await raw.response("fits")).result?.content?.[0]?.text.length, pad);
    await assertAlive(raw);
    await daemon.logged(/client_message_too_large .*bytes=8388\d+ limit=4096/);
    assert.ok(daemon.stats().hwmKiB < 200 * 1024, `daemon peak RSS ${daemon.stats().hwmKiB} KiB`);
    raw.destroy();
  } finally {
    await daemon.close();
  }
});

test(
  "invalid UTF-8, invalid JSON, non-JSON-RPC JSON and garbage get -32700/-32600; empty lines nothing",
  { timeout: 60_000 },
  async () => {
    const daemon = await startSocketDaemon();
    try {
      const raw = await daemon.attach();
      await raw.initialize();
      const before = raw.messages.length;
      // An unrecoverable id is left out, not null: both MCP SDKs reject a null id.
      const cases: [string, Uint8Array | string, number | null, string | number | undefined][] = [
        // [name, bytes, expected code (null: no reply), expected id]
        [
          "invalid UTF-8",
          new Uint8Array([
            ...new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"ping","x":"'),
            0xff,
            0xfe,
            0x22,
            0x7d,
            10,
          ]),
          -32700,
          undefined,
        ],
        ["overlong UTF-8", new Uint8Array([0xc0, 0xaf, 10]), -32700, undefined],
        ["invalid JSON", '{"jsonrpc":"2.0","id":2,"method":\n', -32700, undefined],
        ["no jsonrpc member", '{"id":3,"method":"ping"}\n', -32600, 3],
        ["null request id", '{"jsonrpc":"2.0","id":null,"method":"ping"}\n', -32600, undefined],
        ["non-string method", '{"jsonrpc":"2.0","id":4,"method":5}\n', -32600, 4],
        ["object id", '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}\n', -32600, undefined],
        [
          "params not structured",
          '{"jsonrpc":"2.0","id":5,"method":"ping","params":"p"}\n',
          -32600,
          5,
        ],
        ["a number", "42\n", -32600, undefined],
        ["a string", '"ping"\n', -32600, undefined],
        ["empty batch", "[]\n", -32600, undefined],
        [
          "binary garbage",
          new Uint8Array([0x00, 0x01, 0x9c, 0xff, 0x7f, 0x1b, 0x5b, 0x41, 10]),
          -32700,
          undefined,
        ],
        ["NUL bytes", new Uint8Array([0, 0, 0, 0, 10]), -32700, undefined],
        ["empty line", "\n", null, undefined],
        ["blank line", "  \t \r\n", null, undefined],
        ["CRLF line", "\r\n", null, undefined],
        [
          "response nobody asked for",
          '{"jsonrpc":"2.0","id":"nobody","result":{}}\n',
          null,
          undefined,
        ],
      ];
      for (const [name, bytes, code, id] of cases) {
        const seen = raw.messages.length;
        raw.write(bytes);
        // A marker request after each case: everything before it has been handled.
        const marker = `after ${name}`;
        await raw.request("tools/call", { name: "echo", arguments: { text: marker } }, {
          id: marker,
        });
        const replies = raw.messages.slice(seen).filter((m) => m.id !== marker);
        if (code === null) {
          assert.deepEqual(replies, [], `${name}: no reply is due`);
        } else {
          assert.equal(replies.length, 1, `${name}: one reply, got ${JSON.stringify(replies)}`);
          assert.equal(replies[0].error?.code, code, `${name}: ${JSON.stringify(replies[0])}`);
          assert.equal(replies[0].id, id, `${name}: id`);
          if (id === undefined) assert.ok(!("id" in replies[0]), `${name}: no id member`);
          assert.equal(replies[0].jsonrpc, "2.0");
        }
      }
      assert.ok(raw.messages.length > before);
      await assertAlive(raw);
      assert.ok(isAlive(daemon.pid));
      await daemon.logged(/warn client_parse_error/);
      await daemon.logged(/warn client_invalid_message/);
      const status = await daemon.status();
      assert.equal(status.clients.length, 1);
      assert.equal(status.clients[0].inFlight, 0);
      raw.destroy();
    } finally {
      await daemon.close();
    }
  },
);

test("a partial line followed by silence blocks nobody; completing it later gets its answer", {
  timeout: 60_000,
}, async () => {
  const daemon = await startSocketDaemon();
  try {
    const stuck = await daemon.attach();
    await stuck.initialize("stuck");
    stuck.write('{"jsonrpc":"2.0","id":"late","method":"tools/call","params":{"name":"echo","arg');
    const others = await Promise.all([daemon.attach(), daemon.attach()]);
    for (const [i, other] of others.entries()) await other.initialize(`other-${i}`);
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const other = others[i % 2];
      const reply = await other.request("tools/call", {
        name: "echo",
        arguments: { text: `m${i}` },
      }, { timeoutMs: 2_000 });
      assert.equal(reply.result.content[0].text, `m${i}`);
    }
    const elapsed = Date.now() - started;
    console.log(`# 20 calls by other hosts while one host sat on a partial line: ${elapsed} ms`);
    // A fresh host attaches and initializes too: the daemon's accept path is not stuck.
    const fresh = await daemon.attach();
    await fresh.initialize("fresh");
    assert.deepEqual(stuck.messages.filter((m) => m.id === "late"), []);
    stuck.write('uments":{"text":"finally"}}}\n');
    assert.equal((await stuck.response("late")).result.content[0].text, "finally");
    for (const r of [stuck, fresh, ...others]) r.destroy();
  } finally {
    await daemon.close();
  }
});

test("a server's junk and oversized output reach no host; the requester gets -32010 with its id", {
  timeout: 60_000,
}, async () => {
  const daemon = await startSocketDaemon({ extra: ["--max-message-bytes", String(LIMIT)] });
  try {
    const [a, b] = [await daemon.attach(), await daemon.attach()];
    await a.initialize("a");
    await b.initialize("b");
    const spewed = await a.request("tools/call", { name: "spew", arguments: {} }, { id: "spew" });
    assert.equal(spewed.result.content[0].text, "spewed");
    const big = await a.request("tools/call", { name: "big", arguments: { bytes: LIMIT * 3 } }, {
      id: 31,
    });
    assert.equal(big.error?.code, -32010, JSON.stringify(big));
    assert.match(big.error.message, /Response too large/);
    await assertAlive(a);
    await assertAlive(b);
    for (const raw of [a, b]) {
      assert.deepEqual(
        raw.messages.filter((m) => m.method !== undefined),
        [],
        "no junk notification reached a host",
      );
      assert.equal(raw.lines.length - 1, raw.messages.length, "every line a host got is JSON");
      assert.ok(raw.messages.every((m) => m.jsonrpc === "2.0"));
    }
    assert.deepEqual(b.messages.map((m) => m.id), ["r1", "r2"], "b got only its own answers");
    await daemon.logged(/warn server_output_not_json /);
    await daemon.logged(/warn server_message_too_large .*limit=4096/);
    assert.equal((await daemon.status()).upstreams[0].restarts, 0);
    a.destroy();
    b.destroy();
  } finally {
    await daemon.close();
  }
});

test("payload glued to the hello in one write is not lost", { timeout: 60_000 }, async () => {
  const daemon = await startSocketDaemon();
  try {
    const raw = await RawSocket.connect(daemon.socket);
    const init = {
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "glued", version: "1" },
      },
    };
    const call = {
      jsonrpc: "2.0",
      id: "call",
      method: "tools/call",
      params: { name: "echo", arguments: { text: "glued" } },
    };
    raw.write(
      `${
        JSON.stringify({
          protocol: 1,
          version: "0",
          build: "shoal-0.1.0",
          token: daemon.token,
          role: "proxy",
          pid: 1,
          key: "k",
        })
      }\n` +
        `${JSON.stringify(init)}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n${
          JSON.stringify(call)
        }\n`,
    );
    assert.equal((await raw.daemonHello()).state, "ready");
    assert.ok((await raw.response("init")).result);
    assert.equal((await raw.response("call")).result.content[0].text, "glued");
    raw.destroy();
  } finally {
    await daemon.close();
  }
});
