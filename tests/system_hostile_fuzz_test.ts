/**
 * Issue 6, system-level fuzz: seeded, bounded. Several raw hosts write random bytes,
 * mutated and malformed messages and well-formed requests, cut into random fragments,
 * through the real daemon socket. The daemon survives; every well-formed request gets
 * exactly one answer; every line a host gets back is JSON; nothing stays in flight;
 * and once the hosts (and others that came and went meanwhile) are gone, no client,
 * request or subscription is left anywhere.
 * Replay a run with HOSTILE_FUZZ_SEED=<seed>.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { isAlive, provesAbsence, waitFor } from "./harness/cleanup.ts";
import type { RawSocket } from "./harness/raw_socket.ts";
import { garbage, mutate, prng, type Rng } from "./harness/fuzz_input.ts";
import { type SocketDaemon, startSocketDaemon } from "./harness/socket_daemon.ts";

const SEED = Number(process.env.HOSTILE_FUZZ_SEED ?? 0x5eed6);
const HOSTS = 6;
const ITERATIONS_PER_HOST = Number(process.env.HOSTILE_FUZZ_ITERATIONS ?? 1500);
const CHURNERS = 60;
const LIMIT = 16 * 1024;

const encoder = new TextEncoder();
const TEXTS = [
  "",
  "plain",
  'quo"te',
  "back\\slash",
  "new\nline",
  "ünïcødé ✓ 🐟",
  "\u0000nul",
  "x".repeat(2000),
];

/** Lines that are JSON, or nearly, but no message: each one a case of its own. */
const ODD_LINES = [
  "",
  " ",
  "\r",
  "null",
  "[]",
  "[[[[[[[[[[]]]]]]]]]]",
  "1e999",
  '{"id":1}',
  '"\\ud800"',
  "{}",
];

/** A well-formed request and how its one answer must look. */
interface Expected {
  id: string;
  check(reply: Record<string, any>): string | null;
}

function wellFormed(r: Rng, id: string): { line: string; expected: Expected } {
  const ok = (
    reply: Record<string, any>,
  ) => (reply.result !== undefined ? null : `wanted a result: ${JSON.stringify(reply)}`);
  const err = (code: number) => (reply: Record<string, any>) =>
    reply.error?.code === code
      ? null
      : `wanted error ${code}: ${JSON.stringify(reply).slice(0, 200)}`;
  const request = (method: string, params?: unknown) =>
    JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
  switch (r.int(8)) {
    case 0: {
      const text = r.pick(TEXTS);
      return {
        line: request("tools/call", { name: "echo", arguments: { text } }),
        expected: {
          id,
          check: (
            m,
          ) => (m.result?.content?.[0]?.text === text
            ? null
            : `echo: ${JSON.stringify(m).slice(0, 200)}`),
        },
      };
    }
    case 1:
      return { line: request("tools/list"), expected: { id, check: ok } };
    case 2:
      return { line: request("ping"), expected: { id, check: ok } };
    case 3:
      return {
        line: request("resources/subscribe", { uri: `test://f${r.int(5)}` }),
        expected: { id, check: ok },
      };
    case 4:
      return {
        line: request("resources/unsubscribe", { uri: `test://f${r.int(5)}` }),
        expected: { id, check: () => null },
      };
    case 5:
      return { line: request("no/such/method"), expected: { id, check: err(-32601) } };
    case 6:
      return {
        line: request("logging/setLevel", { level: r.pick(["debug", "info", "error"]) }),
        expected: { id, check: ok },
      };
    default: // over the limit, id at the end as the SDKs write it
      return {
        line: `{"method":"tools/call","params":{"name":"echo","arguments":{"text":"${
          "o".repeat(LIMIT)
        }"}},"jsonrpc":"2.0","id":"${id}"}`,
        expected: { id, check: err(-32010) },
      };
  }
}

/** A message to mutate: ids from a numeric space the well-formed ids never use. */
function source(r: Rng, id: number): string {
  return r.pick([
    () =>
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"m"}}}`,
    () =>
      `{"jsonrpc":"2.0","id":${id},"method":"resources/subscribe","params":{"uri":"test://m${
        id % 3
      }"}}`,
    () => `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id}}}`,
    () =>
      `{"jsonrpc":"2.0","id":${id},"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"m","version":"1"}}}`,
    () =>
      `[{"jsonrpc":"2.0","id":${id},"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},7]`,
    () => `{"jsonrpc":"2.0","id":${id},"result":{}}`,
  ])();
}

/** One host's stream: returns what it expects and how many items it sent. */
async function fuzzHost(raw: RawSocket, r: Rng, host: number): Promise<Expected[]> {
  const expected: Expected[] = [];
  let mx = 900_000 + host * 10_000;
  for (let i = 0; i < ITERATIONS_PER_HOST; i++) {
    const roll = r.next();
    let item: Uint8Array;
    if (roll < 0.4) {
      const { line, expected: e } = wellFormed(r, `wf-${host}-${i}`);
      expected.push(e);
      item = encoder.encode(line);
    } else if (roll < 0.7) {
      item = mutate(r, source(r, mx++));
    } else if (roll < 0.85) {
      item = garbage(r);
    } else {
      item = encoder.encode(r.pick(ODD_LINES));
    }
    const bytes = new Uint8Array(item.length + 1);
    bytes.set(item);
    bytes[item.length] = 10;
    // Random fragments, sometimes yielding between them: the daemon sees partial lines.
    for (let at = 0; at < bytes.length;) {
      const size = 1 + r.int(r.next() < 0.5 ? 8 : 4096);
      raw.write(bytes.subarray(at, at + size));
      at += size;
      if (r.next() < 0.1) await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return expected;
}

/**
 * Hosts that come and go mid-stream: some never initialize, some leave a partial line,
 * a subscription or a slow request behind. Only the end state is checked for them.
 */
async function churn(daemon: SocketDaemon, r: Rng, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) {
    const raw = await daemon.attach();
    if (r.next() < 0.8) await raw.initialize(`churner-${i}`);
    for (let n = r.int(6); n > 0; n--) {
      const id = 800_000 + i * 10 + n;
      raw.write(
        r.pick([
          () =>
            `{"jsonrpc":"2.0","id":${id},"method":"resources/subscribe","params":{"uri":"test://f${
              r.int(5)
            }"}}\n`,
          () =>
            `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"sleep","arguments":{"ms":${
              r.int(3000)
            }},"_meta":{"progressToken":${id}}}}\n`,
          () => mutate(r, source(r, id)),
          () => garbage(r),
        ])(),
      );
    }
    if (r.next() < 0.5) raw.write(`{"jsonrpc":"2.0","id":"partial","method":"tools/ca`);
    await new Promise((resolve) => setTimeout(resolve, r.int(5)));
    raw.destroy();
  }
}

test(
  "seeded system fuzz: garbage and mutations from several hosts, every well-formed request answered once",
  { timeout: 90_000 },
  async () => {
    console.log(`# fuzz seed ${SEED} (replay: HOSTILE_FUZZ_SEED=${SEED})`);
    const daemon = await startSocketDaemon({ extra: ["--max-message-bytes", String(LIMIT)] });
    try {
      const root = prng(SEED);
      const hosts = await Promise.all(Array.from({ length: HOSTS }, () => daemon.attach()));
      for (const [i, raw] of hosts.entries()) await raw.initialize(`fuzz-${i}`);
      const started = Date.now();
      const churned = churn(daemon, prng(root.int(2 ** 32)), CHURNERS);
      const expectations = await Promise.all(
        hosts.map((raw, i) => fuzzHost(raw, prng(root.int(2 ** 32)), i)),
      );
      const wellFormedCount = expectations.reduce((n, e) => n + e.length, 0);
      for (const [i, raw] of hosts.entries()) {
        for (const e of expectations[i]) {
          const problem = e.check(await raw.response(e.id, 30_000));
          assert.equal(problem, null, `host ${i} request ${e.id} (seed ${SEED})`);
        }
      }
      await churned;
      console.log(
        `# fuzz: ${
          HOSTS * ITERATIONS_PER_HOST
        } iterations (${wellFormedCount} well-formed requests) and ${CHURNERS} passing hosts in ${
          Date.now() - started
        } ms`,
      );
      await provesAbsence(300); // a second answer would have arrived by now
      for (const [i, raw] of hosts.entries()) {
        for (const e of expectations[i]) {
          const answers = raw.messages.filter((m) => m.method === undefined && m.id === e.id);
          assert.equal(
            answers.length,
            1,
            `host ${i}: ${answers.length} answers to ${e.id} (seed ${SEED})`,
          );
        }
        assert.equal(
          raw.lines.length - 1,
          raw.messages.length,
          `host ${i}: every line it got is JSON`,
        );
      }
      assert.ok(isAlive(daemon.pid), "the daemon survived");
      // Churners that left a request in flight are drained for up to 2 s, then let go.
      await waitFor(async () => (await daemon.status()).clients.length === HOSTS, {
        timeoutMs: 10_000,
        what: "the churners to be gone",
      });
      const status = await daemon.status();
      assert.deepEqual(
        status.clients.map((c: any) => c.inFlight),
        Array(HOSTS).fill(0),
        "nothing left in flight",
      );
      assert.equal(status.upstreams[0].restarts, 0);
      for (const raw of hosts) raw.destroy();
      await waitFor(async () => (await daemon.status()).clients.length === 0, {
        timeoutMs: 10_000,
        what: "the hosts to be gone",
      });
      const inspector = await daemon.attach();
      await inspector.initialize("inspector");
      const state = JSON.parse(
        (await inspector.request("tools/call", { name: "state", arguments: {} })).result.content[0]
          .text,
      );
      assert.equal(state.inFlight, 0);
      assert.deepEqual(state.subscriptions, [], "every subscription was released upstream");
      inspector.destroy();
      assert.doesNotMatch(daemon.log(), / error /);
    } finally {
      await daemon.close();
    }
  },
);
