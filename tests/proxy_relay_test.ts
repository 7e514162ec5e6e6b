/**
 * The proxy's relay against fake stdio and fake daemon connections: what reaches
 * which daemon, and what the host is told, when a daemon goes away at any moment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ByteReader, ByteWriter, Conn } from "../src/runtime/types.ts";
import type { Attached } from "../src/wire/attach.ts";
import { Relay } from "../src/proxy/relay.ts";
import { STOPPING_LINE } from "../src/wire/stopping.ts";
import { ERROR_CODES } from "../src/errors.ts";
import { provesAbsence } from "./harness/cleanup.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LOST = ERROR_CODES.ERR_DAEMON_LOST.rpc;

/** A byte stream the test feeds; reads wait for the next chunk or the end. */
class Feed implements ByteReader {
  #chunks: Array<Uint8Array | null> = [];
  #waiting: ((chunk: Uint8Array | null) => void) | null = null;

  push(chunk: Uint8Array | null): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting !== null) waiting(chunk);
    else this.#chunks.push(chunk);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#chunks.shift()!);
    return new Promise((resolve) => (this.#waiting = resolve));
  }
}

/** Lines written by the relay to the host or to a daemon, parsed. */
class Recorder implements ByteWriter {
  readonly messages: any[] = [];
  closedWrite = false;

  write(data: Uint8Array): Promise<void> {
    for (const line of decoder.decode(data).split("\n")) {
      if (line !== "") this.messages.push(JSON.parse(line));
    }
    return Promise.resolve();
  }

  closeWrite(): Promise<void> {
    this.closedWrite = true;
    return Promise.resolve();
  }
}

/** A daemon connection: the test plays the daemon's side. */
class FakeConn extends Recorder implements Conn {
  readonly incoming = new Feed();
  closed = false;

  read(): Promise<Uint8Array | null> {
    return this.incoming.read();
  }

  override write(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error("EPIPE"));
    return super.write(data);
  }

  override closeWrite(): Promise<void> {
    this.closedWrite = true;
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
    this.incoming.push(null);
  }

  /** The daemon writes one line. */
  send(message: unknown): void {
    this.incoming.push(encoder.encode(`${JSON.stringify(message)}\n`));
  }
}

function attached(conn: FakeConn): Attached {
  return { conn, hello: {} as Attached["hello"], rest: new Uint8Array() };
}

/** A relay from `stdin` to daemon `first`; `next` are the daemons reconnects find. */
function startRelay(first: FakeConn, next: FakeConn[]) {
  const stdin = new Feed();
  const stdout = new Recorder();
  let reconnects = 0;
  const relay = new Relay({
    stdin,
    stdout,
    first: attached(first),
    reconnect: () => {
      reconnects++;
      return Promise.resolve(next.length > 0 ? attached(next.shift()!) : null);
    },
    maxMessageBytes: 1 << 20,
    warn: () => {},
  });
  const ended = relay.run();
  return { stdin, stdout, ended, reconnects: () => reconnects };
}

const call = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "echo", arguments: {} },
});
const ping = (id: number) => ({ jsonrpc: "2.0", id, method: "ping" });
const answer = (id: number) => ({ jsonrpc: "2.0", id, result: { content: [] } });
const lines = (...messages: unknown[]) =>
  encoder.encode(messages.map((m) => `${JSON.stringify(m)}\n`).join(""));

/** Poll `condition` (the relay works asynchronously); fail after 2 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for the relay");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

test("a daemon lost amid a pipelined chunk: each request is failed or sent on, never both", {
  timeout: 10_000,
}, async () => {
  // Walk the daemon's EOF through every point of the relay's handling of one chunk.
  for (let depth = 0; depth <= 12; depth++) {
    const a = new FakeConn();
    const b = new FakeConn();
    const { stdin, stdout, ended } = startRelay(a, [b]);
    stdin.push(lines(call(1), call(2), ping(3), call(4)));
    await microtasks(depth);
    a.incoming.push(null);
    stdin.push(null);
    // The host is done: once the relay half-closes the new daemon, that daemon finishes.
    await until(() => b.closedWrite);
    b.incoming.push(null);
    assert.equal(await ended, "host-closed");

    const failed = stdout.messages.filter((m) => m.error?.code === LOST).map((m) => m.id);
    const toB = b.messages.map((m) => m.id);
    for (const id of [1, 2, 4]) {
      const fates = failed.filter((x) => x === id).length + toB.filter((x) => x === id).length;
      assert.equal(
        fates,
        1,
        `depth ${depth}: call ${id} failed ${failed} / sent to the new daemon ${toB}`,
      );
      if (failed.includes(id)) {
        assert.ok(a.messages.some((m) => m.id === id), `depth ${depth}: ${id} failed unsent`);
      }
    }
    // A ping is resent instead of failed, exactly once.
    assert.ok(!failed.includes(3), `depth ${depth}: the ping failed`);
    assert.equal(
      toB.filter((x) => x === 3).length,
      1,
      `depth ${depth}: ping sent to the new daemon ${toB}`,
    );
  }
});

test(
  "after the daemon's goodbye, new host requests wait for the next daemon",
  { timeout: 10_000 },
  async () => {
    const a = new FakeConn();
    const b = new FakeConn();
    const { stdin, stdout, ended } = startRelay(a, [b]);
    stdin.push(lines(call(1)));
    await until(() => a.messages.length === 1);
    // The goodbye, then the answer to what the leaving daemon still had.
    a.incoming.push(lines({ jsonrpc: "2.0", method: JSON.parse(STOPPING_LINE).method }, answer(1)));
    await until(() => stdout.messages.length === 1);
    stdin.push(lines(call(2)));
    await provesAbsence(50);
    assert.deepEqual(
      a.messages.map((m) => m.id),
      [1],
      "nothing new goes to a daemon that is leaving",
    );
    a.incoming.push(null);
    await until(() => b.messages.some((m) => m.id === 2));
    b.send(answer(2));
    await until(() => stdout.messages.length === 2);
    stdin.push(null);
    await until(() => b.closedWrite);
    b.incoming.push(null);
    assert.equal(await ended, "host-closed");
    assert.deepEqual(stdout.messages.map((m) => [m.id, m.error?.code ?? "ok"]), [[1, "ok"], [
      2,
      "ok",
    ]]);
  },
);

test("after the daemon's goodbye, an idle host gets no new daemon until it speaks", {
  timeout: 10_000,
}, async () => {
  const a = new FakeConn();
  const b = new FakeConn();
  const { stdin, stdout, ended, reconnects } = startRelay(a, [b]);
  a.incoming.push(lines({ jsonrpc: "2.0", method: JSON.parse(STOPPING_LINE).method }));
  a.incoming.push(null);
  await provesAbsence(50);
  assert.equal(reconnects(), 0);
  stdin.push(lines(call(1)));
  await until(() => b.messages.some((m) => m.id === 1));
  assert.equal(reconnects(), 1);
  b.send(answer(1));
  await until(() => stdout.messages.length === 1);
  stdin.push(null);
  await until(() => b.closedWrite);
  b.incoming.push(null);
  assert.equal(await ended, "host-closed");
  assert.deepEqual(stdout.messages.map((m) => [m.id, m.error?.code ?? "ok"]), [[1, "ok"]]);
});

test("host lines wait for the replayed handshake, which is asked again when the server died", {
  timeout: 10_000,
}, async () => {
  const a = new FakeConn();
  const b = new FakeConn();
  const { stdin, stdout, ended } = startRelay(a, [b]);
  const params = {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "h", version: "1" },
  };
  stdin.push(lines({ jsonrpc: "2.0", id: 0, method: "initialize", params }));
  await until(() => a.messages.length === 1);
  a.send({
    jsonrpc: "2.0",
    id: 0,
    result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: {} },
  });
  stdin.push(lines({ jsonrpc: "2.0", method: "notifications/initialized" }));
  await until(() => a.messages.length === 2 && stdout.messages.length === 1);
  a.incoming.push(null);
  await until(() => b.messages.length === 1);
  const [first] = b.messages;
  assert.equal(first.method, "initialize");
  stdin.push(lines(call(1)));
  await provesAbsence(50);
  assert.equal(b.messages.length, 1, "nothing but the handshake before it is answered");
  b.send({
    jsonrpc: "2.0",
    id: first.id,
    error: { code: -32000, message: "Server exited", data: { exitCode: 1 } },
  });
  await until(() => b.messages.length === 2);
  const second = b.messages[1];
  assert.equal(second.method, "initialize");
  assert.notEqual(second.id, first.id);
  b.send({
    jsonrpc: "2.0",
    id: second.id,
    result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: {} },
  });
  await until(() => b.messages.length === 4);
  assert.deepEqual(b.messages.slice(2).map((m) => m.method), [
    "notifications/initialized",
    "tools/call",
  ]);
  b.send(answer(1));
  await until(() => stdout.messages.length === 2);
  stdin.push(null);
  await until(() => b.closedWrite);
  b.incoming.push(null);
  assert.equal(await ended, "host-closed");
  assert.deepEqual(stdout.messages.map((m) => m.id), [0, 1], "the host saw neither replay answer");
});
