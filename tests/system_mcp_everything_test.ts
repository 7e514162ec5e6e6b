/**
 * Issue 4 system tests against a third-party server: @modelcontextprotocol/server-everything
 * (SDK 1.x, tasks, conditional tools, its own roots request right after `initialized`)
 * shared by two hosts of different SDKs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { waitFor } from "./harness/cleanup.ts";
import { ROOT } from "./harness/shoal.ts";
import { makeWorld } from "./harness/shoal_env.ts";

const EVERYTHING = [
  "node",
  join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
  "stdio",
];

test(
  "server-everything shared by two hosts: same tools, each host's calls and progress are its own",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const a = await world.host(EVERYTHING, { sdk: "v1", name: "a" });
      const b = await world.host(EVERYTHING, { sdk: "v2", name: "b" });
      const [toolsA, toolsB] = await Promise.all([a.listTools(), b.listTools()]);
      assert.deepEqual(toolsA.sort(), toolsB.sort());
      for (const tool of ["echo", "get-sum", "trigger-long-running-operation"]) {
        assert.ok(toolsA.includes(tool), tool);
      }

      const [echoA, echoB, sumA, sumB] = await Promise.all([
        a.callTool("echo", { message: "from a" }),
        b.callTool("echo", { message: "from b" }),
        a.callTool("get-sum", { a: 2, b: 3 }),
        b.callTool("get-sum", { a: 40, b: 2 }),
      ]);
      assert.equal(echoA.text, "Echo: from a");
      assert.equal(echoB.text, "Echo: from b");
      assert.match(sumA.text, /\b5\b/);
      assert.match(sumB.text, /\b42\b/);

      // Both run a long operation at once; progress tokens collide (both SDKs use the
      // request id) and each host must see exactly its own five steps.
      const long = { duration: 0.5, steps: 5 };
      const [opA, opB] = await Promise.all([
        a.callTool("trigger-long-running-operation", long),
        b.callTool("trigger-long-running-operation", long),
      ]);
      for (const op of [opA, opB]) {
        assert.match(op.text, /Long running operation completed/);
        assert.deepEqual(op.progress.map((p) => p.progress), [1, 2, 3, 4, 5]);
      }
      assert.deepEqual(a.foreignProgress, []);
      assert.deepEqual(b.foreignProgress, []);
    } finally {
      await world.close();
    }
  },
);

test(
  "server-everything: its roots request reaches the host that declared roots; a sampling tool works for a host without sampling",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const able = await world.host(EVERYTHING, {
        sdk: "v2",
        name: "able",
        handlers: {
          roots: () => ({ roots: [{ uri: "file:///work/able", name: "able" }] }),
          sampling: () => ({
            role: "assistant",
            content: { type: "text", text: "sampled by able" },
            model: "m",
          }),
        },
      });
      // The server asks for roots 350 ms after `initialized`, on its own.
      await waitFor(() => able.serverRequests.some((r) => r.method === "roots/list"), {
        what: "the server's roots/list",
      });
      const plain = await world.host(EVERYTHING, { sdk: "v1", name: "plain" });
      const tools = await plain.listTools();
      assert.ok(
        tools.includes("trigger-sampling-request"),
        "registered: the upstream client can sample",
      );
      const outcome = await plain.callTool("trigger-sampling-request", {
        prompt: "hi",
        maxTokens: 5,
      });
      assert.match(outcome.text, /sampled by able/);
      const roots = await plain.callTool("get-roots-list", {});
      assert.match(roots.text, /file:\/\/\/work\/able/);
      assert.equal(plain.serverRequests.length, 0);
    } finally {
      await world.close();
    }
  },
);
