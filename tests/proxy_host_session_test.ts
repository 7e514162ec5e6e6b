import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_CODES } from "../src/errors.ts";
import { HostSession, type Replay } from "../src/proxy/host_session.ts";
import { MessagePeek, peekedMethod, peekMessage } from "../src/proxy/_peek_message.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const T = { timeout: 5000 };
const LOST = ERROR_CODES.ERR_DAEMON_LOST.rpc;

const bytes = (text: string) => encoder.encode(text);
/** Everything a replay sends: at once, and after its handshake is answered. */
const all = (replay: Replay) => [...replay.lines, ...replay.afterHandshake];
const line = (message: unknown) => bytes(JSON.stringify(message));
const text = (l: Uint8Array) => decoder.decode(l);
const json = (l: Uint8Array) => JSON.parse(text(l));
const request = (id: string | number, method: string, params?: unknown) =>
  line(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
const notification = (method: string, params?: unknown) =>
  line(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params });
// The TypeScript SDK writes `result` first and `id` last; Python writes `id` first.
const result = (id: string | number, value: unknown = {}) => line({ result: value, jsonrpc: "2.0", id });
const failure = (id: string | number, code = -32601) =>
  line({ jsonrpc: "2.0", id, error: { code, message: "nope" } });

const INIT_PARAMS = {
  protocolVersion: "2025-06-18",
  capabilities: { roots: { listChanged: true }, sampling: {} },
  clientInfo: { name: "host", version: "1.0.0" },
};
const INIT_RESULT = {
  protocolVersion: "2025-06-18",
  capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, prompts: {} },
  serverInfo: { name: "server", version: "2.0.0" },
};

/** A session whose host finished the legacy handshake (initialize id 0, then initialized). */
function readySession(options: ConstructorParameters<typeof HostSession>[0] = {}): HostSession {
  const session = new HostSession({ replayIdPrefix: "shoal-replay-t-", ...options });
  assert.equal(session.fromHost(request(0, "initialize", INIT_PARAMS)), "forward");
  assert.equal(session.handshake, "pending");
  assert.equal(session.fromDaemon(result(0, INIT_RESULT)), "forward");
  assert.equal(session.handshake, "ready");
  session.fromHost(notification("notifications/initialized"));
  return session;
}

/** Answer every replayed line the way a daemon would; returns the host-bound verdicts. */
function answerReplay(session: HostSession, lines: Uint8Array[]): Array<"forward" | "drop"> {
  const verdicts: Array<"forward" | "drop"> = [];
  for (const l of lines) {
    const message = json(l);
    if (message.id === undefined) continue;
    const value = message.method === "initialize" ? INIT_RESULT : {};
    verdicts.push(session.fromDaemon(result(message.id, value)));
  }
  return verdicts;
}

test("the handshake is replayed under private ids whose answers the host never sees", T, () => {
  // Odd spacing and key order: the replay must keep every byte but the id.
  const original = `{ "method" : "initialize", "id":0 ,"params": ${JSON.stringify(INIT_PARAMS)}, "jsonrpc":"2.0" }`;
  const session = new HostSession({ replayIdPrefix: "shoal-replay-t-" });
  session.fromHost(bytes(original));
  session.fromDaemon(result(0, INIT_RESULT));
  session.fromHost(notification("notifications/initialized"));
  session.fromHost(request(1, "tools/call", { name: "echo" }));
  session.fromDaemon(result(1));

  assert.deepEqual(session.onDisconnect("daemon closed the connection"), []);
  const replay = session.replay();
  assert.equal(all(replay).length, 2);
  const privateId = "shoal-replay-t-1";
  assert.equal(text(all(replay)[0]), original.replace(`"id":0 `, `"id":"${privateId}" `));
  assert.deepEqual(json(all(replay)[1]), { jsonrpc: "2.0", method: "notifications/initialized" });
  assert.deepEqual([...replay.swallow], [privateId]);
  // The handshake goes alone; the rest follows its answer.
  assert.equal(replay.lines.length, 1);
  assert.equal(session.replaying, true);
  assert.deepEqual(session.takeDaemonLines(), []);

  assert.equal(session.fromDaemon(result(privateId, INIT_RESULT)), "drop");
  assert.equal(session.replaying, false);
  assert.deepEqual(session.takeDaemonLines().map(text), replay.afterHandshake.map(text));
  // The server advertised tools.listChanged only: the host is told to look again.
  assert.deepEqual(session.takeHostLines().map(json), [{ jsonrpc: "2.0", method: "notifications/tools/list_changed" }]);
  assert.deepEqual(session.takeWarnings(), []);
  // Once answered, the private id is no longer swallowed.
  assert.equal(session.fromDaemon(result(privateId)), "forward");
  assert.equal(session.fromDaemon(result(2)), "forward");
});

test("default private ids carry a random part, so a host cannot guess them", T, () => {
  const a = new HostSession();
  const b = new HostSession();
  for (const session of [a, b]) {
    session.fromHost(request("shoal-replay-1", "initialize", INIT_PARAMS));
    session.fromDaemon(result("shoal-replay-1", INIT_RESULT));
    session.onDisconnect("x");
  }
  const [idA] = a.replay().swallow;
  const [idB] = b.replay().swallow;
  assert.match(String(idA), /^shoal-replay-[0-9a-f]{8}-1$/);
  assert.notEqual(idA, idB);
});

test("requests in flight fail with their exact ids: 1 and \"1\" are different requests", T, () => {
  const session = readySession();
  session.fromHost(request(1, "tools/call", { name: "a" }));
  session.fromHost(request("1", "tools/call", { name: "b" }));
  session.fromHost(request("x\"y", "tools/call", { name: "c" }));
  session.fromHost(request(2, "tools/call", { name: "d" }));
  session.fromHost(request(1.5, "tools/call", { name: "e" }));
  assert.equal(session.fromDaemon(result(2)), "forward");
  assert.equal(session.inflightCount, 4);

  const lines = session.onDisconnect("daemon pid 42 exited");
  const errors = lines.map(json);
  assert.deepEqual(errors.map((e) => e.id), [1, "1", "x\"y", 1.5]);
  for (const error of errors) {
    assert.equal(error.jsonrpc, "2.0");
    assert.equal(error.error.code, LOST);
    assert.ok(error.error.code <= -32000 && error.error.code >= -32019);
    assert.match(error.error.message, /shared shoal daemon went away \(daemon pid 42 exited\)/);
  }
  assert.equal(session.inflightCount, 0);
  // Nothing left to fail a second time.
  assert.deepEqual(session.onDisconnect("again"), []);
});

test("an initialize in flight at the disconnect is resent with the host's id, not failed", T, () => {
  const session = new HostSession({ replayIdPrefix: "p-" });
  const init = request("init-1", "initialize", INIT_PARAMS);
  session.fromHost(init);
  session.fromHost(request(5, "ping"));
  assert.deepEqual(session.onDisconnect("daemon killed"), []);
  const replay = session.replay();
  assert.deepEqual(all(replay).map(text), [text(init), text(request(5, "ping"))]);
  assert.equal(replay.swallow.size, 0);
  // The new daemon's answer goes to the host, and the handshake is then complete.
  assert.equal(session.fromDaemon(result("init-1", INIT_RESULT)), "forward");
  assert.equal(session.fromDaemon(result(5)), "forward");
  assert.equal(session.handshake, "ready");
  assert.equal(session.inflightCount, 0);
});

test("the handshake is the host's accepted initialize, not a refused or repeated one", T, () => {
  const session = new HostSession({ replayIdPrefix: "p-" });
  session.fromHost(request(0, "initialize", { ...INIT_PARAMS, protocolVersion: "1999-01-01" }));
  session.fromDaemon(failure(0, -32602));
  assert.equal(session.handshake, "none");
  session.fromHost(request(1, "initialize", INIT_PARAMS));
  session.fromDaemon(result(1, INIT_RESULT));
  // A second initialize on a live connection is refused by the daemon and changes nothing.
  session.fromHost(request(2, "initialize", { ...INIT_PARAMS, clientInfo: { name: "other", version: "0" } }));
  session.fromDaemon(failure(2, -32600));
  session.onDisconnect("gone");
  const [replayed] = all(session.replay()).map(json);
  assert.deepEqual(replayed, { jsonrpc: "2.0", id: "p-1", method: "initialize", params: INIT_PARAMS });
});

test("a request is resent across at most maxResends reconnects, then fails", T, () => {
  const session = new HostSession({ maxResends: 2 });
  session.fromHost(request(1, "initialize", INIT_PARAMS));
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(session.onDisconnect(`crash ${i}`), []);
    assert.equal(all(session.replay()).length, 1);
  }
  const lines = session.onDisconnect("crash 2").map(json);
  assert.deepEqual(lines.map((l) => [l.id, l.error.code]), [[1, LOST]]);
  assert.equal(session.handshake, "none");
  assert.deepEqual(all(session.replay()), []);
});

test("reads are resent with the host's ids; calls with effects fail", T, () => {
  const session = readySession();
  const list = request(3, "tools/list");
  session.fromHost(list);
  session.fromHost(request(4, "tools/call", { name: "write" }));
  session.fromHost(request(5, "resources/read", { uri: "file:///a" }));
  const failed = session.onDisconnect("gone").map(json);
  assert.deepEqual(failed.map((f) => f.id), [4]);
  const replay = session.replay();
  assert.equal(all(replay).length, 4); // initialize, initialized, tools/list, resources/read
  assert.deepEqual(text(all(replay)[2]), text(list));
  assert.equal(json(all(replay)[3]).id, 5);
  assert.deepEqual(answerReplay(session, all(replay)), ["drop", "forward", "forward"]);
  assert.equal(session.inflightCount, 0);
});

test("a host line sent after the replay is not resent by it again", T, () => {
  const session = readySession();
  session.fromHost(request(3, "tools/list"));
  session.onDisconnect("gone");
  // The relay feeds lines the host wrote during the reconnect once they are sent.
  session.fromHost(request(4, "prompts/list"));
  const ids = all(session.replay()).map((l) => json(l).id);
  assert.deepEqual(ids.slice(2), [3]);
});

test("subscriptions and the last log level are replayed; refused ones are not", T, () => {
  const session = readySession();
  session.fromHost(request(1, "resources/subscribe", { uri: "file:///a" }));
  session.fromHost(request(2, "resources/subscribe", { uri: "file:///b" }));
  session.fromHost(request(3, "resources/subscribe", { uri: "file:///refused" }));
  session.fromHost(request(4, "logging/setLevel", { level: "debug" }));
  session.fromHost(request(5, "logging/setLevel", { level: "warning" }));
  for (const id of [1, 2, 4, 5]) session.fromDaemon(result(id));
  session.fromDaemon(failure(3));
  session.fromHost(request(6, "resources/unsubscribe", { uri: "file:///a" }));
  session.fromDaemon(result(6));
  assert.deepEqual([...session.subscriptions], ["file:///b"]);

  session.onDisconnect("gone");
  const replay = session.replay();
  const messages = all(replay).map(json);
  assert.deepEqual(messages.map((m) => m.method), [
    "initialize",
    "notifications/initialized",
    "resources/subscribe",
    "logging/setLevel",
  ]);
  assert.deepEqual(messages[2].params, { uri: "file:///b" });
  assert.deepEqual(messages[3].params, { level: "warning" });
  const privateIds = messages.filter((m) => m.id !== undefined).map((m) => m.id);
  assert.deepEqual([...replay.swallow].sort(), [...privateIds].sort());
  for (const id of privateIds) assert.equal(typeof id, "string");
  assert.deepEqual(answerReplay(session, all(replay)), ["drop", "drop", "drop"]);
  assert.deepEqual(session.takeWarnings(), []);
});

test("a subscription or log level in flight at the disconnect is resent, not doubled", T, () => {
  const session = readySession({ replayIdPrefix: "p-" });
  session.fromHost(request(1, "resources/subscribe", { uri: "file:///a" }));
  session.fromHost(request(2, "logging/setLevel", { level: "info" }));
  session.onDisconnect("gone");
  const messages = all(session.replay()).map(json);
  assert.deepEqual(messages.map((m) => [m.id, m.method]), [
    ["p-1", "initialize"],
    [undefined, "notifications/initialized"],
    [1, "resources/subscribe"],
    [2, "logging/setLevel"],
  ]);
});

test("a failed renewal is reported as a warning, not shown to the host", T, () => {
  const session = readySession({ replayIdPrefix: "p-" });
  session.fromHost(request(1, "resources/subscribe", { uri: "file:///a" }));
  session.fromDaemon(result(1));
  session.onDisconnect("gone");
  const replay = session.replay();
  assert.equal(session.fromDaemon(failure("p-1", -32603)), "drop");
  assert.equal(session.fromDaemon(failure("p-2")), "drop");
  assert.equal(all(replay).length, 3);
  const warnings = session.takeWarnings();
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^Replayed initialize refused by the new daemon: nope \(code -32603\)$/);
  assert.match(warnings[1], /subscription to "file:\/\/\/a"/);
  assert.deepEqual(session.takeHostLines(), []); // no list_changed after a failed replay
});

test("a replayed handshake lost to a server exit is asked again; the rest waits for it", T, () => {
  const session = readySession({ replayIdPrefix: "p-" });
  session.fromHost(request(1, "resources/subscribe", { uri: "file:///a" }));
  session.fromDaemon(result(1));
  session.fromHost(request(2, "tools/list"));
  session.onDisconnect("gone");
  const replay = session.replay();
  assert.deepEqual(replay.lines.map((l) => json(l).id), ["p-1"]);
  assert.deepEqual(replay.afterHandshake.map((l) => [json(l).id, json(l).method]), [
    [undefined, "notifications/initialized"],
    ["p-2", "resources/subscribe"],
    [2, "tools/list"],
  ]);
  // A fresh daemon's server died during its first handshake: every waiting host is refused.
  const exited = line({
    jsonrpc: "2.0",
    id: "p-1",
    error: { code: -32000, message: "Server exited on signal SIGKILL", data: { exitCode: null, signal: "SIGKILL" } },
  });
  assert.equal(session.fromDaemon(exited), "drop");
  assert.equal(session.replaying, true);
  const again = session.takeDaemonLines().map(json);
  assert.deepEqual(again, [{ jsonrpc: "2.0", id: "p-3", method: "initialize", params: INIT_PARAMS }]);
  assert.deepEqual(session.takeWarnings(), []);
  assert.deepEqual(session.takeHostLines(), []);
  assert.equal(session.fromDaemon(result("p-3", INIT_RESULT)), "drop");
  assert.equal(session.replaying, false);
  assert.deepEqual(session.takeDaemonLines().map(text), replay.afterHandshake.map(text));
  assert.deepEqual(session.takeHostLines().map(json), [{ jsonrpc: "2.0", method: "notifications/tools/list_changed" }]);
  assert.equal(session.fromDaemon(result("p-2")), "drop");
  assert.equal(session.fromDaemon(result(2)), "forward");
  assert.equal(session.inflightCount, 0);
});

test("a replayed handshake refused outright is not asked again: the rest goes out, with a warning", T, () => {
  const session = readySession({ replayIdPrefix: "p-" });
  session.onDisconnect("gone");
  const replay = session.replay();
  // The same code as a crash, but no exit status: the server itself said no.
  assert.equal(session.fromDaemon(failure("p-1", -32000)), "drop");
  assert.equal(session.replaying, false);
  assert.deepEqual(session.takeDaemonLines().map(text), replay.afterHandshake.map(text));
  assert.match(session.takeWarnings()[0], /^Replayed initialize refused by the new daemon: nope \(code -32000\)$/);
});

test("a disconnect during the replayed handshake starts the replay over", T, () => {
  const session = readySession({ replayIdPrefix: "p-" });
  session.onDisconnect("gone");
  session.replay();
  assert.equal(session.replaying, true);
  session.onDisconnect("gone again");
  assert.equal(session.replaying, false);
  assert.deepEqual(session.takeDaemonLines(), []);
  assert.deepEqual(session.replay().lines.map((l) => json(l).id), ["p-2"]);
});

test("a replayed handshake that negotiates another version is reported", T, () => {
  const session = readySession({ replayIdPrefix: "p-" });
  session.onDisconnect("gone");
  session.replay();
  session.fromDaemon(result("p-1", { ...INIT_RESULT, protocolVersion: "2025-03-26" }));
  assert.deepEqual(session.takeWarnings(), [
    `Replayed initialize negotiated protocol version "2025-03-26", the host still speaks "2025-06-18"`,
  ]);
});

test("a batch fails together as one array, and batch answers settle each id", T, () => {
  const session = readySession();
  const batch = [
    { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "a" } },
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } },
    { jsonrpc: "2.0", id: "2", method: "tools/list" },
  ];
  session.fromHost(line(batch));
  session.fromHost(request(3, "tools/call"));
  session.fromHost(line([{ jsonrpc: "2.0", id: 4, method: "tools/call" }, { jsonrpc: "2.0", id: 5, method: "ping" }]));
  assert.equal(session.inflightCount, 5);
  session.fromDaemon(line([{ jsonrpc: "2.0", id: 4, result: {} }, { jsonrpc: "2.0", id: 5, result: {} }]));
  assert.equal(session.inflightCount, 3);

  const lines = session.onDisconnect("gone").map(json);
  assert.equal(lines.length, 2);
  assert.ok(Array.isArray(lines[0]));
  assert.deepEqual(lines[0].map((e: { id: unknown }) => e.id), [1, "2"]); // even tools/list: batches are not resent
  assert.equal(lines[1].id, 3);
  assert.deepEqual(all(session.replay()).map((l) => json(l).method), ["initialize", "notifications/initialized"]);
});

test("only a response with the exact id settles a request", T, () => {
  const session = readySession();
  session.fromHost(request(7, "tools/call"));
  session.fromDaemon(result("7")); // another type
  session.fromDaemon(line({ jsonrpc: "2.0", id: 7, method: "roots/list" })); // a server request, not an answer
  session.fromDaemon(notification("notifications/progress", { progressToken: 7, progress: 1 }));
  session.fromDaemon(line({ jsonrpc: "2.0", result: { id: 7, content: [{ id: 7 }] }, id: 8 })); // nested ids
  assert.equal(session.inflightCount, 1);
  session.fromDaemon(bytes(`{"jsonrpc":"2.0","error":{"code":-1,"message":"x"},"id":7.0}`));
  assert.equal(session.inflightCount, 0);
});

test("a host cancellation removes the request; initialize cannot be cancelled", T, () => {
  const session = new HostSession();
  session.fromHost(request(0, "initialize", INIT_PARAMS));
  session.fromHost(request(1, "tools/call"));
  session.fromHost(notification("notifications/cancelled", { requestId: 1, reason: "user" }));
  session.fromHost(notification("notifications/cancelled", { requestId: 0 }));
  assert.equal(session.inflightCount, 1);
  assert.deepEqual(session.onDisconnect("gone"), []);
  assert.equal(json(all(session.replay())[0]).id, 0);
});

test("server requests the host holds are cancelled at the disconnect; late answers are dropped", T, () => {
  const session = readySession();
  session.fromDaemon(line({ jsonrpc: "2.0", id: 1, method: "sampling/createMessage", params: {} }));
  session.fromDaemon(line({ jsonrpc: "2.0", id: 2, method: "roots/list" }));
  session.fromDaemon(line({ jsonrpc: "2.0", id: 3, method: "elicitation/create", params: {} }));
  assert.equal(session.fromHost(result(2, { roots: [] })), "forward");
  // The server gave up on 3 itself.
  session.fromDaemon(notification("notifications/cancelled", { requestId: 3 }));
  assert.equal(session.heldCount, 1);

  const lines = session.onDisconnect("gone").map(json);
  assert.deepEqual(lines, [{
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 1, reason: "The shared shoal daemon went away (gone)" },
  }]);
  assert.equal(session.fromHost(result(1, { content: {} })), "drop");
  // The new daemon's own server requests are answered as usual.
  session.fromDaemon(line({ jsonrpc: "2.0", id: 9, method: "roots/list" }));
  assert.equal(session.fromHost(result(9)), "forward");
  assert.equal(session.fromHost(result(1)), "forward"); // dropped once, then unknown: the daemon decides
});

test("the daemon direction never parses a line it only has to classify", T, () => {
  const session = readySession();
  const parsesAfterHandshake = session.stats.parses;
  const scans = session.stats.scans;
  const idle = [
    notification("notifications/message", { level: "info", data: "x".repeat(10_000) }),
    notification("notifications/tools/list_changed"),
    result(99, { late: true }),
  ];
  for (const l of idle) assert.equal(session.fromDaemon(l), "forward");
  for (let id = 1; id <= 100; id++) session.fromHost(request(id, "tools/call", { name: "x" }));
  for (let id = 1; id <= 100; id++) {
    session.fromDaemon(notification("notifications/progress", { progressToken: id, progress: 1 }));
    session.fromDaemon(result(id, { content: [{ type: "text", text: `{"id":${id + 1}}` }] }));
  }
  assert.equal(session.inflightCount, 0);
  assert.equal(session.stats.parses, parsesAfterHandshake);
  assert.equal(session.stats.scans, scans + idle.length + 300);
});

test("tables are bounded", T, () => {
  const session = readySession({ maxInflight: 3, maxSubscriptions: 2, maxResendBytes: 60, maxHeldRequests: 1 });
  session.fromHost(request(1, "tools/list")); // 47 bytes: kept for resending
  session.fromHost(request(2, "prompts/list")); // over the byte budget: fails instead
  session.fromHost(request(3, "resources/subscribe", { uri: "u:1" }));
  session.fromHost(request(4, "tools/call"));
  session.fromHost(request(5, "tools/call"));
  assert.equal(session.inflightCount, 3);
  assert.equal(session.stats.untracked, 2);
  session.fromDaemon(result(3));
  session.fromHost(request(6, "resources/subscribe", { uri: "u:2" }));
  session.fromHost(request(7, "resources/subscribe", { uri: "u:3" }));
  assert.deepEqual([...session.subscriptions], ["u:1", "u:2"]);
  session.fromDaemon(line({ jsonrpc: "2.0", id: 1, method: "roots/list" }));
  session.fromDaemon(line({ jsonrpc: "2.0", id: 2, method: "roots/list" }));
  assert.equal(session.heldCount, 1);
  const warnings = session.takeWarnings();
  assert.equal(warnings.length, 3); // each table warns once
  assert.match(warnings.join("\n"), /Too many requests in flight to track \(3\)/);

  // 1 is resent, 2 lost its bytes to the budget, 6 never had them: both fail (and u:2
  // is no longer live); then the held server request 1 is cancelled.
  const failed = session.onDisconnect("gone").map(json);
  assert.deepEqual(failed.map((f) => f.id ?? f.params.requestId), [2, 6, 1]);
  assert.deepEqual([...session.subscriptions], ["u:1"]);
  assert.deepEqual(all(session.replay()).map((l) => json(l).id).slice(2), ["shoal-replay-t-2", 1]);
});

test("lines the tracker cannot read are ignored and forwarded", T, () => {
  const session = readySession();
  const garbage = [
    "not json",
    `{"jsonrpc":"2.0","id":1}`,
    `{"jsonrpc":"2.0","id":null,"method":"tools/call"}`,
    `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call"}`,
    `{"jsonrpc":"2.0","id":2,"method":"tools/call"`,
    `{"jsonrpc":"2.0","id":3,"method":"tools/call"} trailing`,
    `{"jsonrpc":"2.0","id":4,"method":5}`,
    `{"jsonrpc":"2.0","id":0x10,"method":"tools/call"}`,
    `[1, 2`,
    `[]`,
    `{}`,
  ];
  for (const g of garbage) {
    assert.equal(session.fromHost(bytes(g)), "forward", g);
    assert.equal(session.fromDaemon(bytes(g)), "forward", g);
  }
  session.fromHost(Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d)); // invalid UTF-8
  assert.equal(session.inflightCount, 0);
});

test("keys written with escapes are understood through a full parse", T, () => {
  const session = new HostSession({ replayIdPrefix: "p-" });
  session.fromHost(bytes(`{"jsonrpc":"2.0","\\u0069d":3,"method":"initialize","params":${JSON.stringify(INIT_PARAMS)}}`));
  assert.equal(session.handshake, "pending");
  session.fromDaemon(bytes(`{"jsonrpc":"2.0","\\u0069d":3,"result":${JSON.stringify(INIT_RESULT)}}`));
  assert.equal(session.handshake, "ready");
  session.onDisconnect("gone");
  const replayed = json(all(session.replay())[0]);
  assert.deepEqual(replayed, { id: "p-1", jsonrpc: "2.0", method: "initialize", params: INIT_PARAMS });
});

test("a modern-era host has nothing replayed; its listens fail like any request", T, () => {
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
  const session = new HostSession();
  session.fromHost(request(1, "server/discover", { _meta: meta }));
  session.fromDaemon(result(1, { supportedVersions: ["2026-07-28"] }));
  session.fromHost(request(2, "subscriptions/listen", { _meta: meta }));
  session.fromHost(request(3, "tools/call", { name: "x", _meta: meta }));
  session.fromDaemon(notification("notifications/resources/updated", {
    uri: "u",
    _meta: { "io.modelcontextprotocol/subscriptionId": 2 },
  }));
  assert.equal(session.handshake, "none");
  assert.deepEqual(session.onDisconnect("gone").map((l) => json(l).id), [2, 3]);
  const replay = session.replay();
  assert.deepEqual(all(replay), []);
  assert.equal(replay.swallow.size, 0);
});

test("an oversized answer still settles its request", T, () => {
  const session = readySession();
  session.fromHost(request(1, "resources/read", { uri: "big" }));
  session.fromHost(request(2, "resources/read", { uri: "big" }));
  const oversized = (head: string, tail: string) => ({
    kind: "oversized" as const,
    head: bytes(head),
    tail: bytes(tail),
    totalBytes: 1 << 30,
    limit: 1 << 25,
  });
  // The TypeScript SDK puts the id last, Python first: both ends are read.
  assert.equal(session.fromDaemon(oversized(`{"result":{"contents":[{"text":"aaaa`, `aaaa"}]},"jsonrpc":"2.0","id":1}`)), "forward");
  assert.equal(session.fromDaemon(oversized(`{"jsonrpc":"2.0","id":2,"result":{"contents":[{"text":"aaaa`, `aaaa"}]}}`)), "forward");
  assert.equal(session.inflightCount, 0);
  session.fromHost(oversized(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"x":"`, `xxx"}}`));
  assert.equal(session.inflightCount, 1);
  // A server request too large to read is not mistaken for an answer.
  session.fromDaemon(oversized(`{"method":"sampling/createMessage","params":{"x":"`, `xxx"},"jsonrpc":"2.0","id":3}`));
  assert.equal(session.inflightCount, 1);
});

test("the scan finds top-level members only, across strings with quotes and brackets", T, () => {
  const peek = new MessagePeek();
  const cases: Array<[string, string, unknown, boolean?]> = [
    [`{"params":{"id":1,"method":"x"},"id":"a\\"}b","method":"m\\u0041"}`, "request", "a\"}b"],
    [`{"result":{"s":"\\\\","t":"]}\\"{"},"jsonrpc":"2.0","id":-12.5e1}`, "response", -125, false],
    [`{"error":{"code":1,"message":"m"},"id":"ü"}`, "response", "ü", true],
    [` {"method":"n","params":[1,{"id":2}]} `, "notification", undefined],
    [`{"method":"m","id":true}`, "invalid", undefined],
    [`[{"id":1}]`, "batch", undefined],
    [`{"a":1,"\\u0069d":1,"method":"m"}`, "unsure", undefined],
  ];
  for (const [input, kind, id, isError] of cases) {
    const l = bytes(input);
    peekMessage(l, peek);
    assert.equal(peek.kind, kind, input);
    assert.equal(peek.id, id, input);
    if (isError !== undefined) assert.equal(peek.isError, isError, input);
  }
  peekMessage(bytes(cases[0][0]), peek);
  assert.equal(peekedMethod(bytes(cases[0][0]), peek), "mA");
});

test("the scan reads ids exactly as JSON.parse does, and refuses what it refuses", T, () => {
  const peek = new MessagePeek();
  const good = ["0", "7", "-3", "1e2", "2.50", "123456789012345", "12345678901234567890", `"7"`, `""`, `"\\u00e9\\n"`, `"é"`];
  for (const token of good) {
    const input = `{"jsonrpc":"2.0","id":${token},"result":{}}`;
    peekMessage(bytes(input), peek);
    assert.equal(peek.kind, "response", token);
    assert.equal(peek.id, JSON.parse(input).id, token);
  }
  for (const token of ["007", "+1", "1.", ".5", "0x1", "NaN", "1e999", "[1]", "null"]) {
    peekMessage(bytes(`{"jsonrpc":"2.0","id":${token},"result":{}}`), peek);
    assert.equal(peek.kind, "invalid", token);
  }
});

test("a request a stopping daemon hands back unsent (-32012) is resent to the next daemon, not failed", T, () => {
  const session = readySession();
  const call = { jsonrpc: "2.0", id: "c1", method: "tools/call", params: { name: "slow" } };
  session.fromHost(line(call));
  session.fromHost(request(2, "tools/call", { name: "other" }));
  const handBack = (id: unknown, request: unknown) =>
    line({ jsonrpc: "2.0", id, error: { code: -32012, message: "Not sent", data: { request } } });
  // Another request's line, or a -32012 without one, is an ordinary error for the host.
  assert.equal(session.fromDaemon(handBack(2, { ...call, id: 3 })), "forward");
  assert.equal(session.fromDaemon(handBack("c1", call)), "drop");
  assert.equal(session.resending, false);
  assert.deepEqual(session.onDisconnect("daemon stopping"), [], "nothing failed: it will be resent");
  assert.equal(session.resending, true, "reconnect at once, not on the host's next line");
  const replay = all(session.replay());
  assert.deepEqual(replay.map(json).filter((m) => m.method === "tools/call"), [call]);
  assert.equal(session.fromDaemon(result("c1", { ok: 1 })), "forward");
  assert.equal(session.inflightCount, 0);
});
