/**
 * Issue 4 system tests, server→client requests: sampling, elicitation and roots reach a
 * host that declared the capability, its answer reaches the server; with several hosts
 * they go to one that can answer; with none the server gets an error, never a hang.
 * Legacy era through real requests (pid fixture, SDK 1.x server); modern era through
 * `input_required` results (2.x fixture).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { waitFor } from "./harness/cleanup.ts";
import { FIXTURES } from "./harness/fixtures.ts";
import type { Host, HostHandlers } from "./harness/host.ts";
import { makeWorld } from "./harness/shoal_env.ts";

const PID_SERVER = ["node", FIXTURES.pidServer];
const MODERN_SERVER = ["node", FIXTURES.modernServer];

/** Handlers whose answers name the host, so the server's echo shows who answered. */
function answersFrom(who: string): HostHandlers {
  return {
    sampling: () => ({
      role: "assistant",
      content: { type: "text", text: `sampled by ${who}` },
      model: `model-${who}`,
    }),
    elicitation: () => ({ action: "accept", content: { name: who } }),
    roots: () => ({ roots: [{ uri: `file:///roots/${who}`, name: who }] }),
  };
}

/** Call each ask_* tool on `caller`; returns the answers the server got back, parsed. */
async function askAll(caller: Host) {
  const ask = async (tool: string) => {
    const outcome = await caller.callTool(tool, {}, { timeoutMs: 10_000 });
    assert.equal(outcome.isError, false, `${tool}: ${outcome.text}`);
    return JSON.parse(outcome.text);
  };
  return {
    sampling: await ask("ask_sampling"),
    elicitation: await ask("ask_elicitation"),
    roots: await ask("ask_roots"),
  };
}

function assertAnsweredBy(answers: Awaited<ReturnType<typeof askAll>>, who: string): void {
  assert.equal(answers.sampling.content.text, `sampled by ${who}`);
  assert.equal(answers.sampling.model, `model-${who}`);
  assert.deepEqual(answers.elicitation, { action: "accept", content: { name: who } });
  assert.deepEqual(answers.roots.roots, [{ uri: `file:///roots/${who}`, name: who }]);
}

const METHODS = ["sampling/createMessage", "elicitation/create", "roots/list"];

test(
  "sampling, elicitation and roots reach the asking host (v1 and v2) and the answers reach the server",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const a = await world.host(PID_SERVER, { sdk: "v1", name: "a", handlers: answersFrom("a") });
      const b = await world.host(PID_SERVER, { sdk: "v2", name: "b", handlers: answersFrom("b") });
      // Each host is the only one with a request in flight when it asks: it gets the question.
      assertAnsweredBy(await askAll(a), "a");
      assertAnsweredBy(await askAll(b), "b");
      assert.deepEqual(a.serverRequests.map((r) => r.method), METHODS);
      assert.deepEqual(b.serverRequests.map((r) => r.method), METHODS);
    } finally {
      await world.close();
    }
  },
);

// The daemon declares sampling, elicitation and roots upstream whatever the first host
// declared: a later host may answer them (regression: the first host's bare
// capabilities made the server refuse to ask anyone at all).
test("two hosts, only the second declares the capabilities: it answers for both", {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  try {
    const plain = await world.host(PID_SERVER, { name: "plain" });
    const able = await world.host(PID_SERVER, { name: "able", handlers: answersFrom("able") });
    assertAnsweredBy(await askAll(able), "able");
    assertAnsweredBy(await askAll(plain), "able");
    assert.equal(
      plain.serverRequests.length,
      0,
      "the host without the capabilities was never asked",
    );
    assert.equal(able.serverRequests.length, 6);
  } finally {
    await world.close();
  }
});

test("two hosts, only the first declares the capabilities: it answers for both", {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  try {
    const able = await world.host(PID_SERVER, { name: "able", handlers: answersFrom("able") });
    const plain = await world.host(PID_SERVER, { name: "plain" });
    assertAnsweredBy(await askAll(plain), "able");
    assertAnsweredBy(await askAll(able), "able");
    assert.equal(plain.serverRequests.length, 0);
    assert.equal(able.serverRequests.length, 6);
  } finally {
    await world.close();
  }
});

test("no host declares the capability: the server is answered at once as a bare host would", {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  try {
    const plain = await world.host(PID_SERVER, { name: "plain" });
    const roots = await plain.callTool("ask_roots", {}, { timeoutMs: 10_000 });
    assert.deepEqual(JSON.parse(roots.text), { roots: [] });
    const elicited = await plain.callTool("ask_elicitation", {}, { timeoutMs: 10_000 });
    assert.deepEqual(JSON.parse(elicited.text), { action: "decline" });
    const sampled = await plain.callTool("ask_sampling", {}, { timeoutMs: 10_000 });
    assert.equal(sampled.isError, true);
    assert.match(sampled.text, /no attached host can answer sampling\/createMessage/);
    assert.equal(plain.serverRequests.length, 0);
    assert.equal((await plain.callTool("echo", { text: "still fine" })).text, "still fine");
  } finally {
    await world.close();
  }
});

test(
  "a host leaving while it holds a server→client request: the server gets an error, not a hang",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const able = await world.host(PID_SERVER, {
        name: "able",
        handlers: { sampling: () => new Promise(() => {}) }, // never answers
      });
      const plain = await world.host(PID_SERVER, { name: "plain" });
      const asked = plain.callTool("ask_sampling", {}, { timeoutMs: 10_000 });
      await waitFor(() => able.serverRequests.length === 1, {
        what: "the sampling request to reach able",
      });
      process.kill(able.pid, "SIGKILL");
      const outcome = await asked;
      assert.equal(outcome.isError, true);
      assert.match(outcome.text, /host left before answering sampling\/createMessage/);
      assert.equal((await plain.callTool("echo", { text: "still fine" })).text, "still fine");
    } finally {
      await world.close();
    }
  },
);

test(
  "modern era: input-required questions reach the asking host and its answers reach the server",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const legacy = await world.host(MODERN_SERVER, {
        sdk: "v1",
        name: "legacy",
        handlers: answersFrom("legacy"),
      });
      const a = await world.host(MODERN_SERVER, {
        sdk: "v2",
        era: "modern",
        name: "a",
        handlers: answersFrom("a"),
      });
      const b = await world.host(MODERN_SERVER, {
        sdk: "v2",
        era: "modern",
        name: "b",
        handlers: answersFrom("b"),
      });
      const [fromA, fromB, fromLegacy] = await Promise.all([askAll(a), askAll(b), askAll(legacy)]);
      assertAnsweredBy(fromA, "a");
      assertAnsweredBy(fromB, "b");
      assertAnsweredBy(fromLegacy, "legacy");
      for (const host of [a, b, legacy]) {
        assert.deepEqual(
          host.serverRequests.map((r) => r.method),
          METHODS,
        );
      }
    } finally {
      await world.close();
    }
  },
);
