/**
 * Issue 6, the hello: a connection that never says it is closed after the daemon's
 * hello timeout (5 s, the real value), an oversized hello is refused unread, and a
 * wrong or missing token is refused and logged. None of it disturbs attached hosts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isAlive, waitFor } from "./harness/cleanup.ts";
import { RawSocket } from "./harness/raw_socket.ts";
import { startSocketDaemon } from "./harness/socket_daemon.ts";
import { HELLO_TIMEOUT_MS } from "../src/daemon/daemon_options.ts";

test("a connection that never says hello is closed after the hello timeout; hosts carry on", {
  timeout: 60_000,
}, async () => {
  const daemon = await startSocketDaemon();
  try {
    const host = await daemon.attach();
    await host.initialize("attached");
    const silent = await RawSocket.connect(daemon.socket);
    // Slowloris: a hello that trickles in without ever ending is no better.
    const trickle = await RawSocket.connect(daemon.socket);
    const drip = setInterval(() => trickle.closedAt === null && trickle.write("{"), 200);
    try {
      // The daemon keeps serving while both sit there.
      for (let i = 0; i < 10; i++) {
        const reply = await host.request("tools/call", {
          name: "echo",
          arguments: { text: `t${i}` },
        });
        assert.equal(reply.result.content[0].text, `t${i}`);
      }
      const fresh = await daemon.attach();
      await fresh.initialize("fresh");
      fresh.destroy();
      await Promise.all([silent.closed, trickle.closed]);
    } finally {
      clearInterval(drip);
    }
    for (const [name, raw] of [["silent", silent], ["trickle", trickle]] as const) {
      const after = raw.closedAt! - raw.openedAt;
      console.log(`# ${name} connection closed after ${after} ms (timeout ${HELLO_TIMEOUT_MS} ms)`);
      assert.ok(
        after >= HELLO_TIMEOUT_MS - 100 && after < HELLO_TIMEOUT_MS + 2_000,
        `${name}: closed after ${after} ms`,
      );
      assert.deepEqual(raw.lines, [], `${name}: nothing was said to a stranger`);
    }
    const log = await daemon.logged(/warn hello_timeout/, 2);
    assert.equal(log.match(/warn hello_timeout/g)?.length, 2);
    assert.doesNotMatch(
      log,
      /hello_refused|connection_failed/,
      "a timeout is reported as a timeout",
    );
    const reply = await host.request("tools/call", { name: "echo", arguments: { text: "after" } });
    assert.equal(reply.result.content[0].text, "after");
    await waitFor(async () => (await daemon.status()).clients.length === 1, {
      what: "only the first host attached",
    });
    host.destroy();
  } finally {
    await daemon.close();
  }
});

test(
  "a hello over 64 KiB is refused, with or without its newline",
  { timeout: 60_000 },
  async () => {
    const daemon = await startSocketDaemon();
    try {
      const endless = await RawSocket.connect(daemon.socket);
      endless.write(`{"protocol":1,"token":"${daemon.token}","pad":"${"a".repeat(70 * 1024)}`);
      const long = await RawSocket.connect(daemon.socket);
      long.write(
        `{"protocol":1,"token":"${daemon.token}","role":"proxy","pad":"${
          "b".repeat(100 * 1024)
        }"}\n`,
      );
      for (const raw of [endless, long]) {
        const hello = await raw.daemonHello();
        assert.match(hello.error, /longer than 64 KiB/);
        await raw.closed;
      }
      assert.ok(
        (endless.closedAt! - endless.openedAt) < HELLO_TIMEOUT_MS,
        "refused at once, not timed out",
      );
      const tooLong = /warn hello_refused .*reason="hello (is )?longer than 64 KiB"/g;
      assert.equal((await daemon.logged(tooLong, 2)).match(tooLong)?.length, 2);
      // A large but legal hello still works: the limit is 64 KiB, not less.
      const roomy = await RawSocket.attach(daemon.socket, daemon.token, {
        pad: "c".repeat(60 * 1024),
      });
      await roomy.initialize("roomy");
      roomy.destroy();
    } finally {
      await daemon.close();
    }
  },
);

test("a wrong, missing or malformed hello is refused and logged, without the token", {
  timeout: 60_000,
}, async () => {
  const daemon = await startSocketDaemon();
  try {
    const host = await daemon.attach();
    await host.initialize("attached");
    const wrongToken = "f".repeat(64);
    const cases: [string, string, RegExp][] = [
      [
        "wrong token",
        JSON.stringify({ protocol: 1, token: wrongToken, role: "proxy", pid: 4242 }),
        /wrong token/,
      ],
      [
        "missing token",
        JSON.stringify({ protocol: 1, role: "proxy", pid: 4243 }),
        /hello has no token/,
      ],
      [
        "token of another type",
        JSON.stringify({ protocol: 1, token: 7, role: "proxy" }),
        /hello has no token/,
      ],
      ["not JSON", "GET / HTTP/1.1", /hello is not valid JSON/],
      ["not an object", "[1,2,3]", /hello is not a JSON object/],
      [
        "unknown role",
        JSON.stringify({ protocol: 1, token: daemon.token, role: "daemon" }),
        /unknown role/,
      ],
    ];
    for (const [name, line, reason] of cases) {
      const raw = await RawSocket.connect(daemon.socket);
      // Payload glued to a bad hello (one write, so it arrives before the refusal) must
      // never reach the router.
      raw.write(
        `${line}\n{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"sneaky"}}}\n`,
      );
      const hello = await raw.daemonHello();
      assert.match(hello.error ?? "", reason, `${name}: ${JSON.stringify(hello)}`);
      await raw.closed;
      assert.equal(raw.lines.length, 1, `${name}: only the refusal, no payload answer`);
    }
    const log = await daemon.logged(/warn hello_refused /, cases.length);
    assert.match(log, /warn hello_refused .*reason="wrong token" peer_pid=4242/);
    assert.equal(log.match(/warn hello_refused .*reason="hello has no token"/g)?.length, 2);
    assert.match(log, /warn hello_refused .*reason="hello is not valid JSON"/);
    assert.ok(!log.includes(wrongToken), "the offered token is not logged");
    assert.ok(!log.includes(daemon.token), "the real token is not logged");
    assert.ok(!log.includes("sneaky"), "nothing after a refused hello was read as payload");
    assert.ok(isAlive(daemon.pid));
    await waitFor(async () => (await daemon.status()).clients.length === 1, {
      what: "only the real host attached",
    });
    const reply = await host.request("tools/call", { name: "echo", arguments: { text: "fine" } });
    assert.equal(reply.result.content[0].text, "fine");
    host.destroy();
  } finally {
    await daemon.close();
  }
});
