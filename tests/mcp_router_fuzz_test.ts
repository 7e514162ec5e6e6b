/**
 * Seeded, bounded fuzz of framing plus router: several hosts send random, mutated and
 * malformed traffic in random chunks while simulated servers answer in random order,
 * crash and restart. Checks, throughout and at the end:
 * - the router never fails; no output goes to a lane that is down;
 * - every host request gets exactly one response (at most one when cancelled), and
 *   nothing reaches a host that it did not ask for (ids, progress tokens, listen ids,
 *   resource updates);
 * - every server→client request gets exactly one answer; one `initialized` per process;
 * - upstream ids are never reused on a lane (allocation is monotonic; requests held
 *   while a server restarts go out after the replayed handshake);
 * - subscription refcounts agree; when idle every table is empty.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Router } from "../src/mcp/router.ts";
import type { RouterOutput } from "../src/mcp/types.ts";
import { LineSplitter } from "../src/rpc/line_splitter.ts";

// deno-lint-ignore no-explicit-any
type Msg = any;

const SEEDS = 400;
const STEPS = 500;
const MAX_BYTES = 2048;
const encoder = new TextEncoder();
const SUB = "io.modelcontextprotocol/subscriptionId";
const URIS = ["file:///a", "file:///b", "file:///c"];
const LEVELS = ["debug", "info", "warning", "error"];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const key = (id: unknown) => `${typeof id}:${String(id)}`;

interface Tracked {
  cancelled: boolean;
  responses: number;
}

class Host {
  readonly splitter = new LineSplitter({ maxMessageBytes: MAX_BYTES });
  readonly outstanding = new Map<string, Tracked>();
  readonly tokens = new Set<string>();
  readonly listens = new Set<string>();
  readonly subscribedEver = new Set<string>();
  readonly serverRequests: Msg[] = [];
  pending = new Uint8Array(0);
  counter = 0;
  garbage = 0;
  constructor(readonly client: number) {}
  nextId(random: () => number): number | string {
    this.counter++;
    return random() < 0.5 ? this.counter : String(this.counter);
  }
}

interface LaneSim {
  queue: Msg[];
  serverOutstanding: Map<string, boolean>;
  generation: number;
  initialized: number;
  down: boolean;
  seenIds: Set<number>;
  nextServerId: number;
}

class World {
  readonly random: () => number;
  readonly router = new Router({ maxHeldMessages: 64 });
  readonly hosts = new Map<number, Host>();
  readonly lanes = new Map<string, LaneSim>();
  nextClient = 1;
  messages = 0;
  readonly modernServer: boolean;

  constructor(seed: number) {
    this.random = rng(seed);
    this.modernServer = this.random() < 0.5;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  lane(id: string): LaneSim {
    let lane = this.lanes.get(id);
    if (lane === undefined) {
      lane = {
        queue: [],
        serverOutstanding: new Map(),
        generation: 0,
        initialized: 0,
        down: false,
        seenIds: new Set(),
        nextServerId: 1,
      };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  apply(outputs: RouterOutput[]): void {
    for (const output of outputs) {
      if (output.kind === "log") {
        assert.notEqual(output.event, "router_failure", JSON.stringify(output.fields));
      } else if (output.kind === "upstream") {
        this.toServer(output.lane, output.message);
      } else if (output.kind === "stop") {
        this.lanes.delete(output.lane); // the process goes; a later lane starts a new one
      } else {
        const host = this.hosts.get(output.client);
        assert.ok(host !== undefined, `output for departed host ${output.client}`);
        const messages = Array.isArray(output.message) ? output.message : [output.message];
        for (const message of messages) this.toHost(host, message);
      }
    }
  }

  toServer(laneId: string, message: Msg): void {
    const lane = this.lane(laneId);
    assert.equal(lane.down, false, `message for lane ${laneId} while it is down`);
    this.messages++;
    if (message.method !== undefined && message.id !== undefined) {
      assert.equal(typeof message.id, "number");
      assert.ok(!lane.seenIds.has(message.id), `upstream id ${message.id} reused on ${laneId}`);
      lane.seenIds.add(message.id);
      lane.queue.push(message);
    } else if (message.method === "notifications/initialized") {
      lane.initialized++;
      assert.equal(lane.initialized, 1, "one initialized per server process");
    } else if (message.method === undefined) {
      const k = key(message.id);
      const answered = lane.serverOutstanding.get(k);
      assert.equal(answered, false, `answer to unknown or answered server request ${k}`);
      lane.serverOutstanding.set(k, true);
    }
  }

  toHost(host: Host, message: Msg): void {
    this.messages++;
    if (message.method !== undefined && message.id !== undefined) {
      host.serverRequests.push(message);
      return;
    }
    if (message.method === undefined) {
      if (
        message.id === undefined || (typeof message.id === "string" && message.id.startsWith("g"))
      ) return;
      const tracked = host.outstanding.get(key(message.id));
      assert.ok(
        tracked !== undefined,
        `host ${host.client} got a response for ${key(message.id)} it never sent`,
      );
      tracked.responses++;
      assert.ok(
        tracked.responses <= 1,
        `host ${host.client} got two responses for ${key(message.id)}`,
      );
      return;
    }
    const params = message.params ?? {};
    switch (message.method) {
      case "notifications/progress":
        assert.ok(
          host.tokens.has(key(params.progressToken)),
          `foreign progress token at host ${host.client}`,
        );
        break;
      case "notifications/cancelled": {
        // A server cancels its own requests, or (2026-07-28) tears down a host's listen.
        if (host.listens.has(key(params.requestId))) {
          const tracked = host.outstanding.get(key(params.requestId));
          if (tracked !== undefined) tracked.responses++;
        }
        const index = host.serverRequests.findIndex((m) => key(m.id) === key(params.requestId));
        if (index >= 0) host.serverRequests.splice(index, 1);
        break;
      }
      case "notifications/resources/updated":
        if (params._meta?.[SUB] === undefined) {
          assert.ok(
            host.subscribedEver.has(params.uri),
            `update for ${params.uri} never subscribed`,
          );
        }
        break;
    }
    if (params._meta?.[SUB] !== undefined) {
      assert.ok(
        host.listens.has(key(params._meta[SUB])),
        `foreign subscription id at host ${host.client}`,
      );
    }
  }

  // ---- host behaviour -------------------------------------------------------------

  addHost(): void {
    const host = new Host(this.nextClient++);
    this.hosts.set(host.client, host);
    this.apply(this.router.addClient(host.client));
  }

  removeHost(host: Host): void {
    this.hosts.delete(host.client);
    this.apply(this.router.removeClient(host.client));
  }

  queueBytes(host: Host, bytes: Uint8Array): void {
    const next = new Uint8Array(host.pending.length + bytes.length);
    next.set(host.pending);
    next.set(bytes, host.pending.length);
    host.pending = next;
  }

  sendJson(host: Host, value: unknown): void {
    this.queueBytes(host, encoder.encode(JSON.stringify(value) + "\n"));
  }

  track(host: Host, message: Msg): Msg {
    host.outstanding.set(key(message.id), { cancelled: false, responses: 0 });
    const token = message.params?._meta?.progressToken;
    if (token !== undefined) host.tokens.add(key(token));
    if (message.method === "subscriptions/listen") host.listens.add(key(message.id));
    if (message.method === "resources/subscribe") host.subscribedEver.add(message.params.uri);
    return message;
  }

  randomRequest(host: Host): Msg {
    const id = host.nextId(this.random);
    const roll = this.random();
    const envelope = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
      ...(this.random() < 0.3 ? { "io.modelcontextprotocol/logLevel": this.pick(LEVELS) } : {}),
    };
    const withToken = (
      params: Msg,
    ) => (this.random() < 0.5
      ? { ...params, _meta: { ...params._meta, progressToken: id } }
      : params);
    let message: Msg;
    if (roll < 0.12) {
      message = {
        method: "initialize",
        params: {
          protocolVersion: this.pick(["2025-11-25", "2025-06-18", "2025-03-26"]),
          capabilities: this.pick([{}, { sampling: {}, roots: {} }, {
            elicitation: { form: {}, url: {} },
            tasks: {},
          }]),
          clientInfo: { name: `h${host.client}`, version: "1" },
        },
      };
    } else if (roll < 0.2) {
      message = { method: "server/discover", params: { _meta: envelope } };
    } else if (roll < 0.32) {
      message = { method: "tools/call", params: withToken({ name: "t", _meta: envelope }) };
    } else if (roll < 0.36) {
      message = {
        method: "subscriptions/listen",
        params: { notifications: { toolsListChanged: true }, _meta: envelope },
      };
    } else if (roll < 0.55) {
      message = {
        method: "tools/call",
        params: withToken(this.random() < 0.2 ? { name: "t", task: { ttl: 1000 } } : { name: "t" }),
      };
    } else if (roll < 0.65) {
      message = {
        method: this.pick(["resources/subscribe", "resources/unsubscribe"]),
        params: { uri: this.pick(URIS) },
      };
    } else if (roll < 0.7) {
      message = { method: "logging/setLevel", params: { level: this.pick(LEVELS) } };
    } else if (roll < 0.77) {
      message = {
        method: this.pick(["tasks/list", "tasks/get", "tasks/cancel"]),
        params: { taskId: `task-${Math.floor(this.random() * 4)}` },
      };
    } else if (roll < 0.85) {
      message = { method: "ping" };
    } else {
      message = {
        method: this.pick(["prompts/list", "resources/read", "completion/complete"]),
        params: {},
      };
    }
    // Listen ids never look like the numeric ids the router gives server requests:
    // a server's `notifications/cancelled` is then unambiguous for the checker.
    const requestId = message.method === "subscriptions/listen" ? `L${id}` : id;
    return this.track(host, { jsonrpc: "2.0", id: requestId, ...message });
  }

  garbage(host: Host): void {
    const id = `g${host.garbage++}`;
    const base: Msg = { jsonrpc: "2.0", id, method: "tools/call", params: { name: "x" } };
    const roll = this.random();
    let line: Uint8Array;
    if (roll < 0.2) {
      line = new Uint8Array(1 + Math.floor(this.random() * 40)).map(() =>
        Math.floor(this.random() * 256)
      );
      line = line.map((b) => (b === 10 ? 32 : b));
    } else if (roll < 0.35) {
      const text = JSON.stringify(base);
      line = encoder.encode(text.slice(0, Math.floor(this.random() * text.length)));
    } else if (roll < 0.75) {
      const mutated = { ...base };
      const mutation = this.pick([
        "jsonrpc",
        "nullId",
        "method",
        "params",
        "version",
        "array",
        "empty",
        "response",
        "utf8",
      ]);
      if (mutation === "jsonrpc") delete mutated.jsonrpc;
      if (mutation === "nullId") mutated.id = null;
      if (mutation === "method") mutated.method = 42;
      if (mutation === "params") mutated.params = "p";
      if (mutation === "version") mutated.jsonrpc = "1.0";
      if (mutation === "response") {
        delete mutated.method;
        mutated.result = {};
      }
      let text = JSON.stringify(
        mutation === "array" ? [mutated, 7] : mutation === "empty" ? [] : mutated,
      );
      if (mutation === "utf8") text = text.replace('"x"', '"\u0000x"');
      line = encoder.encode(text);
      if (mutation === "utf8") {
        line = Uint8Array.from([...line.subarray(0, 5), 0xc3, 0x28, ...line.subarray(5)]);
      }
    } else {
      // Oversized, SDK member order: the id sits at the end and must still be recovered.
      const message = this.track(host, {
        method: "tools/call",
        params: { blob: "z".repeat(MAX_BYTES + 100) },
        jsonrpc: "2.0",
        id: host.nextId(this.random),
      });
      line = encoder.encode(JSON.stringify(message));
    }
    this.queueBytes(host, line);
    this.queueBytes(host, encoder.encode("\n"));
  }

  hostStep(host: Host): void {
    const roll = this.random();
    if (roll < 0.45) {
      this.sendJson(host, this.randomRequest(host));
    } else if (roll < 0.55) {
      const batch = Array.from(
        { length: 1 + Math.floor(this.random() * 3) },
        () =>
          this.random() < 0.2
            ? { jsonrpc: "2.0", method: "notifications/roots/list_changed" }
            : this.randomRequest(host),
      );
      this.sendJson(host, batch);
    } else if (roll < 0.63) {
      const open = [...host.outstanding].filter(([, t]) => !t.cancelled && t.responses === 0);
      if (open.length > 0) {
        const [k, tracked] = this.pick(open);
        tracked.cancelled = true;
        const [type, value] = [k.slice(0, k.indexOf(":")), k.slice(k.indexOf(":") + 1)];
        const requestId = type === "number" ? Number(value) : value;
        this.sendJson(host, {
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId },
        });
      }
    } else if (roll < 0.75) {
      this.answerServerRequest(host);
    } else if (roll < 0.85) {
      this.garbage(host);
    } else {
      this.sendJson(host, {
        jsonrpc: "2.0",
        method: this.pick([
          "notifications/initialized",
          "notifications/roots/list_changed",
          "notifications/progress",
        ]),
        params: { progressToken: 1, progress: 1 },
      });
    }
  }

  answerServerRequest(host: Host): void {
    const asked = host.serverRequests.shift();
    if (asked === undefined) return;
    const result = asked.method === "sampling/createMessage" && this.random() < 0.3
      ? { task: { taskId: `ct-${asked.id}`, status: "working" } }
      : { ok: true };
    this.sendJson(
      host,
      this.random() < 0.8
        ? { jsonrpc: "2.0", id: asked.id, result }
        : { jsonrpc: "2.0", id: asked.id, error: { code: -1, message: "declined" } },
    );
  }

  /** Deliver a random-sized chunk of one host's pending bytes through its splitter. */
  deliver(host: Host, everything = false): void {
    if (host.pending.length === 0) return;
    const size = everything
      ? host.pending.length
      : 1 + Math.floor(this.random() * Math.min(host.pending.length, 600));
    const chunk = host.pending.subarray(0, size);
    host.pending = host.pending.slice(size);
    for (const line of host.splitter.push(chunk)) {
      if (!this.hosts.has(host.client)) return;
      this.apply(this.router.fromClient(host.client, line));
    }
  }

  // ---- server behaviour -----------------------------------------------------------

  serverSend(laneId: string, message: Msg): void {
    this.apply(
      this.router.fromUpstream(
        laneId,
        encoder.encode(typeof message === "string" ? message : JSON.stringify(message)),
      ),
    );
  }

  answer(laneId: string, message: Msg, closeListens: boolean): boolean {
    const params = message.params ?? {};
    let reply: Msg;
    switch (message.method) {
      case "initialize":
        reply = {
          protocolVersion: params.protocolVersion,
          capabilities: {
            tools: { listChanged: true },
            resources: { subscribe: true },
            logging: {},
          },
          serverInfo: { name: "fuzz", version: "1" },
        };
        break;
      case "server/discover":
        if (!this.modernServer) {
          this.serverSend(laneId, {
            jsonrpc: "2.0",
            id: message.id,
            error: { code: -32601, message: "Method not found" },
          });
          return true;
        }
        reply = { supportedVersions: ["2026-07-28"], capabilities: {} };
        break;
      case "subscriptions/listen":
        if (!closeListens) {
          this.serverSend(laneId, {
            jsonrpc: "2.0",
            method: "notifications/subscriptions/acknowledged",
            params: { notifications: {}, _meta: { [SUB]: message.id } },
          });
          return false;
        }
        reply = { resultType: "complete", _meta: { [SUB]: message.id } };
        break;
      case "tools/call":
        if (params._meta?.progressToken !== undefined) {
          this.serverSend(laneId, {
            jsonrpc: "2.0",
            method: "notifications/progress",
            params: { progressToken: params._meta.progressToken, progress: 1 },
          });
        }
        reply = params.task !== undefined
          ? { task: { taskId: `task-${message.id % 4}`, status: "working" } }
          : { content: [] };
        break;
      default:
        reply = { echo: message.method };
    }
    if (this.random() < 0.1 && message.method !== "initialize") {
      const error = this.random() < 0.5 ? { code: -32603, message: "boom" } : {
        code: -32042,
        message: "URL elicitation required",
        data: { elicitations: [{ elicitationId: `el-${message.id}` }] },
      };
      this.serverSend(laneId, { jsonrpc: "2.0", id: message.id, error });
    } else {
      this.serverSend(laneId, { jsonrpc: "2.0", id: message.id, result: reply });
    }
    return true;
  }

  serverStep(laneId: string, lane: LaneSim): void {
    const roll = this.random();
    if (roll < 0.55 && lane.queue.length > 0) {
      const index = Math.floor(this.random() * lane.queue.length);
      const [message] = lane.queue.splice(index, 1);
      if (!this.answer(laneId, message, false)) lane.queue.push(message);
    } else if (roll < 0.65) {
      const id = this.random() < 0.7 ? lane.nextServerId++ : `s${lane.nextServerId++}`;
      const method = this.pick([
        "sampling/createMessage",
        "roots/list",
        "elicitation/create",
        "ping",
        "tasks/get",
        "custom/thing",
      ]);
      const params = method === "elicitation/create"
        ? (this.random() < 0.5
          ? { mode: "url", elicitationId: `el-${id}`, url: "https://x", message: "m" }
          : { message: "m", requestedSchema: {} })
        : method === "tasks/get"
        ? { taskId: `ct-${this.random() < 0.5 ? 1 : 2}` }
        : { messages: [], maxTokens: 1 };
      lane.serverOutstanding.set(key(id), false);
      this.serverSend(laneId, { jsonrpc: "2.0", id, method, params });
    } else if (roll < 0.8) {
      const notifications: Msg[] = [
        { method: "notifications/tools/list_changed" },
        { method: "notifications/message", params: { level: this.pick(LEVELS), data: "x" } },
        { method: "notifications/resources/updated", params: { uri: this.pick(URIS) } },
        {
          method: "notifications/tasks/status",
          params: {
            taskId: `task-${Math.floor(this.random() * 4)}`,
            status: this.pick(["working", "completed"]),
          },
        },
        {
          method: "notifications/elicitation/complete",
          params: { elicitationId: `el-${Math.floor(this.random() * 50)}` },
        },
        {
          method: "notifications/progress",
          params: { progressToken: Math.floor(this.random() * 50), progress: 2 },
        },
        {
          method: "notifications/tools/list_changed",
          params: { _meta: { [SUB]: Math.floor(this.random() * 50) } },
        },
        {
          method: "notifications/cancelled",
          params: { requestId: Math.floor(this.random() * 50) },
        },
      ];
      const note = this.pick(notifications);
      if (note.method === "notifications/cancelled") {
        const k = key(note.params.requestId);
        if (lane.serverOutstanding.get(k) === false) lane.serverOutstanding.set(k, true);
      }
      this.serverSend(laneId, { jsonrpc: "2.0", ...note });
    } else if (roll < 0.83) {
      this.serverSend(
        laneId,
        this.pick(["Listening on stdio", "", "{oops", "[]", '{"jsonrpc":"2.0"}']),
      );
    } else if (roll < 0.835) {
      this.exit(laneId, lane);
    }
  }

  exit(laneId: string, lane: LaneSim): void {
    this.apply(this.router.laneExited(laneId, { code: 1, signal: null, lastStderr: "crash" }));
    lane.down = true;
    lane.queue = [];
    lane.serverOutstanding.clear();
    lane.generation++;
    lane.initialized = 0;
  }

  restart(laneId: string, lane: LaneSim): void {
    lane.down = false;
    this.apply(this.router.laneRestarted(laneId));
  }

  // ---- invariants -----------------------------------------------------------------

  checkRefcounts(): void {
    const snap = this.router.snapshot();
    const byClients = snap.clients.reduce((n, c) => n + c.subscriptions, 0);
    const byUris = snap.lanes.flatMap((l) => l.subscriptions).reduce(
      (n, s) => n + s.subscribers,
      0,
    );
    assert.equal(byClients, byUris, "subscription refcounts agree");
    const inFlight = snap.clients.reduce((n, c) => n + c.inFlight, 0);
    assert.ok(
      inFlight <= snap.lanes.reduce((n, l) => n + l.pending, 0),
      "in-flight requests are all pending upstream",
    );
  }

  /** Let servers and hosts finish everything outstanding. */
  drain(): void {
    for (const [laneId, lane] of this.lanes) if (lane.down) this.restart(laneId, lane);
    for (let round = 0; round < 200; round++) {
      let busy = false;
      for (const host of this.hosts.values()) {
        if (host.pending.length > 0) {
          this.deliver(host, true);
          busy = true;
        }
        while (host.serverRequests.length > 0 && this.hosts.has(host.client)) {
          this.answerServerRequest(host);
          this.deliver(host, true);
          busy = true;
        }
      }
      for (const [laneId, lane] of this.lanes) {
        while (lane.queue.length > 0) {
          this.answer(laneId, lane.queue.shift(), true);
          busy = true;
        }
      }
      if (!busy) return;
    }
    assert.fail("drain did not settle");
  }
}

function runSeed(seed: number): number {
  const world = new World(seed);
  for (let i = 0; i < 4; i++) world.addHost();
  for (let step = 0; step < STEPS; step++) {
    const roll = world.random();
    const hosts = [...world.hosts.values()];
    if (roll < 0.35 && hosts.length > 0) world.hostStep(world.pick(hosts));
    else if (roll < 0.6 && hosts.length > 0) world.deliver(world.pick(hosts));
    else if (roll < 0.9) {
      const lanes = [...world.lanes].filter(([, l]) => !l.down);
      if (lanes.length > 0) {
        const [laneId, lane] = world.pick(lanes);
        world.serverStep(laneId, lane);
      }
    } else if (roll < 0.93) {
      for (const [laneId, lane] of world.lanes) if (lane.down) world.restart(laneId, lane);
    } else if (roll < 0.95 && hosts.length > 0) {
      world.removeHost(world.pick(hosts));
      world.addHost();
    }
    if (step % 50 === 0) world.checkRefcounts();
  }
  world.drain();
  for (const host of world.hosts.values()) {
    for (const [k, tracked] of host.outstanding) {
      if (tracked.cancelled) assert.ok(tracked.responses <= 1);
      else {assert.equal(
          tracked.responses,
          1,
          `seed ${seed}: host ${host.client} request ${k} got ${tracked.responses} responses`,
        );}
    }
  }
  for (const [laneId, lane] of world.lanes) {
    for (const [k, answered] of lane.serverOutstanding) {
      assert.ok(answered, `seed ${seed}: server request ${k} on ${laneId} never answered`);
    }
  }
  world.checkRefcounts();
  for (const host of [...world.hosts.values()]) world.removeHost(host);
  world.drain();
  const snap = world.router.snapshot();
  assert.deepEqual(snap.clients, []);
  for (const lane of snap.lanes) {
    assert.deepEqual(
      [
        lane.pending,
        lane.progressTokens,
        lane.held,
        lane.subscriptions.length,
        lane.tasks,
        lane.serverRequests,
      ],
      [0, 0, 0, 0, 0, 0],
      `seed ${seed}: lane ${lane.lane} not empty when idle: ${JSON.stringify(lane)}`,
    );
  }
  return world.messages;
}

test("fuzz: random and mutated traffic from several hosts keeps every invariant", {
  timeout: 60000,
}, () => {
  let messages = 0;
  const started = performance.now();
  for (let seed = 1; seed <= SEEDS; seed++) messages += runSeed(seed);
  const elapsed = Math.round(performance.now() - started);
  console.log(
    `fuzz: ${SEEDS} seeds × ${STEPS} steps = ${
      SEEDS * STEPS
    } iterations, ${messages} routed messages, ${elapsed} ms`,
  );
});
