import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeHello, MAX_HELLO_BYTES, parseClientHello, parseDaemonHello } from "../src/wire/hello.ts";

test("hellos round-trip and ignore unknown fields", { timeout: 5000 }, () => {
  const hello = { protocol: 1, version: "1", build: "b", token: "t", role: "proxy" as const, pid: 9, key: "k" };
  const line = encodeHello(hello);
  assert.ok(line.endsWith("\n"));
  assert.deepEqual(parseClientHello(JSON.stringify({ ...hello, future: true })), hello);
  const d = parseDaemonHello(JSON.stringify({ protocol: 1, version: "1", build: "b", role: "daemon", state: "draining", pid: 3, key: "k" }));
  assert.equal(typeof d === "object" && d.state, "draining");
});

test("bad hellos are refused with a reason, never thrown", { timeout: 5000 }, () => {
  assert.equal(parseClientHello("nope"), "hello is not valid JSON");
  assert.equal(parseClientHello("[1]"), "hello is not a JSON object");
  assert.equal(parseClientHello('{"protocol":1}'), "hello has no token");
  assert.match(String(parseClientHello('{"protocol":1,"token":"t","role":"root"}')), /unknown role/);
  assert.equal(parseClientHello("x".repeat(MAX_HELLO_BYTES + 1)), "hello is longer than 64 KiB");
  assert.match(String(parseDaemonHello('{"protocol":1,"state":"weird"}')), /unknown state/);
});
