/**
 * The router between real SDK clients and a real SDK server, in process: 1.x (legacy
 * era), 2.x with its default legacy handshake, and 2.x negotiating 2026-07-28 with a
 * `server/discover` probe — all at once on one shared server, each seeing its own.
 * Transports are the SDKs' in-memory pairs; every message crosses the router as a
 * JSON line, exactly as on the daemon's sockets and pipes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client as ModernClient, InMemoryTransport } from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client";
import { fromJsonSchema, McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { Router } from "../src/mcp/router.ts";
import type { RouterOutput } from "../src/mcp/types.ts";

// deno-lint-ignore no-explicit-any
type Msg = any;

interface Wire {
  onmessage?: (message: Msg) => void;
  start(): Promise<void>;
  send(message: Msg): Promise<void>;
  close(): Promise<void>;
}

function makeServer(): McpServer {
  const server = new McpServer({ name: "fixture", version: "1.0.0" }, {
    capabilities: { logging: {} },
  });
  server.registerTool("echo", {
    description: "Echo the text back",
    inputSchema: fromJsonSchema({
      type: "object",
      properties: { text: { type: "string" } },
      required: ["text"],
    }),
  }, (args: Msg) => ({ content: [{ type: "text", text: String(args.text) }] }));
  server.registerTool("count", {
    description: "Report progress n times",
    inputSchema: fromJsonSchema({ type: "object", properties: { n: { type: "number" } } }),
  }, async (args: Msg, ctx: Msg) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (let i = 1; i <= args.n; i++) {
      if (token !== undefined) {
        await ctx.mcpReq.notify({
          method: "notifications/progress",
          params: { progressToken: token, progress: i, total: args.n },
        });
      }
    }
    return { content: [{ type: "text", text: String(args.n) }] };
  });
  server.registerTool("ask", {
    description: "Ask the host's model",
    inputSchema: fromJsonSchema({ type: "object", properties: {} }),
  }, async (_args: Msg, ctx: Msg) => {
    const sampled = await ctx.mcpReq.requestSampling({
      messages: [{ role: "user", content: { type: "text", text: "who are you?" } }],
      maxTokens: 5,
    });
    return { content: [{ type: "text", text: sampled.content.text }] };
  });
  let grown = 0;
  server.registerTool("grow", {
    description: "Register one more tool (the server then announces list_changed)",
    inputSchema: fromJsonSchema({ type: "object", properties: {} }),
  }, () => {
    const name = `grown-${++grown}`;
    server.registerTool(name, { description: name }, () => ({ content: [] }));
    return { content: [{ type: "text", text: name }] };
  });
  return server;
}

/** The daemon's job, in memory: lanes are SDK servers, clients are SDK transports. */
class Bridge {
  readonly router = new Router();
  readonly lanes = new Map<string, Wire>();
  readonly hosts = new Map<number, Wire>();
  readonly laneOrder: string[] = [];
  #next = 1;

  dispatch(outputs: RouterOutput[]): void {
    for (const output of outputs) {
      if (output.kind === "log") {
        assert.notEqual(output.event, "router_failure");
        continue;
      }
      if (output.kind === "stop") continue; // in-process servers: nothing to stop
      // A copy, as if serialized: SDKs may keep or mutate what they receive.
      const message = JSON.parse(JSON.stringify(output.message));
      if (output.kind === "upstream") void this.#lane(output.lane).send(message);
      else void this.hosts.get(output.client)?.send(message);
    }
  }

  /** A host connection; the 2.x in-memory pair also fits the 1.x client's Transport. */
  connect(): Wire {
    const id = this.#next++;
    const [hostSide, routerSide] = InMemoryTransport.createLinkedPair();
    const wire = routerSide as unknown as Wire;
    wire.onmessage = (message) =>
      this.dispatch(this.router.fromClient(id, JSON.stringify(message)));
    this.hosts.set(id, wire);
    this.dispatch(this.router.addClient(id));
    void wire.start();
    return hostSide as unknown as Wire;
  }

  #lane(id: string): Wire {
    let wire = this.lanes.get(id);
    if (wire === undefined) {
      const [laneSide, serverSide] = InMemoryTransport.createLinkedPair();
      wire = laneSide as unknown as Wire;
      wire.onmessage = (message) =>
        this.dispatch(this.router.fromUpstream(id, JSON.stringify(message)));
      this.lanes.set(id, wire);
      this.laneOrder.push(id);
      void wire.start();
      serveStdio(makeServer, { transport: serverSide as never });
    }
    return wire;
  }
}

const echoText = (result: Msg) => result.content[0].text;

test(
  "real SDK clients of both eras share one server without cross-talk",
  { timeout: 20000 },
  async () => {
    const bridge = new Bridge();
    const v1 = new LegacyClient({ name: "sdk-1x", version: "1.32.2" });
    await v1.connect(bridge.connect() as never);
    const v2 = new ModernClient({ name: "sdk-2x-legacy", version: "2.4.0" });
    await v2.connect(bridge.connect() as never);
    const auto = new ModernClient({ name: "sdk-2x-auto", version: "2.4.0" }, {
      versionNegotiation: { mode: "auto" },
    });
    await auto.connect(bridge.connect() as never);

    assert.equal(v1.getServerVersion()?.name, "fixture");
    assert.equal(v2.getProtocolEra(), "legacy");
    assert.equal(
      auto.getProtocolEra(),
      "modern",
      "the probe found the modern era and the session uses it",
    );
    assert.deepEqual(bridge.laneOrder, ["main", "modern"]);

    const clients = [v1, v2, auto] as Msg[];
    const calls: Array<Promise<void>> = [];
    for (let round = 0; round < 40; round++) {
      clients.forEach((client, index) => {
        const text = `client-${index}-call-${round}`;
        calls.push(
          client.callTool({ name: "echo", arguments: { text } }).then((result: Msg) => {
            assert.equal(echoText(result), text);
          }),
        );
      });
    }
    await Promise.all(calls);
    for (const client of clients) {
      const listed = await client.listTools();
      assert.deepEqual(listed.tools.map((t: Msg) => t.name), ["echo", "count", "ask", "grow"]);
    }
    const snapshot = bridge.router.snapshot();
    assert.deepEqual(snapshot.clients.map((c) => [c.name, c.era, c.lane]), [
      ["sdk-1x", "legacy", "main"],
      ["sdk-2x-legacy", "legacy", "main"],
      ["sdk-2x-auto", "modern", "modern"],
    ]);
    assert.ok(snapshot.clients.every((c) => c.inFlight === 0));
    assert.ok(snapshot.lanes.every((l) => l.pending === 0));
    for (const client of clients) await client.close();
  },
);

test("progress and sampling reach the right SDK host", { timeout: 20000 }, async () => {
  const bridge = new Bridge();
  const hosts: Msg[] = [];
  for (const name of ["A", "B"]) {
    const host = new ModernClient({ name, version: "2.4.0" }, { capabilities: { sampling: {} } });
    host.setRequestHandler("sampling/createMessage", () => ({
      role: "assistant",
      content: { type: "text", text: `model of ${name}` },
      model: "m",
    }));
    await host.connect(bridge.connect() as never);
    hosts.push(host);
  }
  const v1 = new LegacyClient({ name: "sdk-1x", version: "1.32.2" });
  await v1.connect(bridge.connect() as never);
  const modern = new ModernClient({ name: "modern", version: "2.4.0" }, {
    versionNegotiation: { mode: "auto" },
  });
  await modern.connect(bridge.connect() as never);
  assert.equal(modern.getProtocolEra(), "modern");

  // Every host counts only its own progress, although all use colliding tokens.
  const seen = new Map<string, number[]>();
  const count = (label: string, call: (onprogress: (p: Msg) => void) => Promise<Msg>) => {
    seen.set(label, []);
    return call((p) => seen.get(label)!.push(p.progress));
  };
  await Promise.all([
    count(
      "A",
      (onprogress) => hosts[0].callTool({ name: "count", arguments: { n: 5 } }, { onprogress }),
    ),
    count(
      "B",
      (onprogress) => hosts[1].callTool({ name: "count", arguments: { n: 3 } }, { onprogress }),
    ),
    count(
      "1x",
      (onprogress) =>
        v1.callTool({ name: "count", arguments: { n: 4 } }, undefined, { onprogress }),
    ),
    count(
      "modern",
      (onprogress) => modern.callTool({ name: "count", arguments: { n: 2 } }, { onprogress }),
    ),
  ]);
  assert.deepEqual(Object.fromEntries(seen), {
    A: [1, 2, 3, 4, 5],
    B: [1, 2, 3],
    "1x": [1, 2, 3, 4],
    modern: [1, 2],
  });

  // Sampling goes to the host whose request caused it (the only one in flight).
  assert.equal(echoText(await hosts[1].callTool({ name: "ask", arguments: {} })), "model of B");
  assert.equal(echoText(await hosts[0].callTool({ name: "ask", arguments: {} })), "model of A");
  for (const client of [...hosts, v1, modern]) await client.close();
});

test(
  "modern listen streams carry each host's own subscription id",
  { timeout: 20000 },
  async () => {
    const bridge = new Bridge();
    const legacy = new ModernClient({ name: "legacy", version: "2.4.0" });
    await legacy.connect(bridge.connect() as never);
    const changes = new Map<string, number>();
    const modern: Msg[] = [];
    for (const name of ["M1", "M2"]) {
      const client = new ModernClient({ name, version: "2.4.0" }, {
        versionNegotiation: { mode: "auto" },
      });
      await client.connect(bridge.connect() as never);
      assert.equal(client.getProtocolEra(), "modern");
      changes.set(name, 0);
      client.setNotificationHandler("notifications/tools/list_changed", () => {
        changes.set(name, changes.get(name)! + 1);
      });
      modern.push(client);
    }
    changes.set("legacy", 0);
    legacy.setNotificationHandler("notifications/tools/list_changed", () => {
      changes.set("legacy", changes.get("legacy")! + 1);
    });
    const subscriptions = await Promise.all(
      modern.map((c) => c.listen({ toolsListChanged: true })),
    );
    // Notifications travel through microtasks: poll (yielding) until they are counted.
    const expect = async (want: Record<string, number>) => {
      for (
        let i = 0;
        i < 100 && JSON.stringify(Object.fromEntries(changes)) !== JSON.stringify(want);
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      assert.deepEqual(Object.fromEntries(changes), want);
    };
    await modern[0].callTool({ name: "grow", arguments: {} });
    await expect({ legacy: 0, M1: 1, M2: 1 });
    await subscriptions[0].close();
    await modern[1].callTool({ name: "grow", arguments: {} });
    await expect({ legacy: 0, M1: 1, M2: 2 });
    await legacy.callTool({ name: "grow", arguments: {} });
    await expect({ legacy: 1, M1: 1, M2: 2 });
    await subscriptions[1].close();
    for (const client of [legacy, ...modern]) await client.close();
    const lanes = bridge.router.snapshot().lanes;
    assert.ok(lanes.every((l) => l.pending === 0), JSON.stringify(lanes));
  },
);
