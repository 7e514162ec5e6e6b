/**
 * Test driver for the pure MCP router: sends JSON values as framed bytes, collects
 * outputs, and plays a scripted server where a test needs one.
 */
import assert from "node:assert/strict";
import { Router } from "../src/mcp/router.ts";
import { DEFAULT_LANE, type RouterOptions, type RouterOutput } from "../src/mcp/types.ts";

// deno-lint-ignore no-explicit-any
export type Msg = any;

const encoder = new TextEncoder();

export const SERVER_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
};

/** How {@link Harness.initialize} shakes hands for one host. */
export interface InitOptions {
  id?: number | string;
  version?: string;
  negotiated?: string;
  capabilities?: Msg;
  name?: string;
  serverCapabilities?: Msg;
}

/** A harness with `clients` attached, each initialized with `options`. */
export function readyHarness(clients: number[], options: InitOptions = {}): Harness {
  const h = new Harness();
  h.add(...clients);
  for (const client of clients) h.initialize(client, options);
  return h;
}

export class Harness {
  readonly router: Router;
  /** Every output, in order. */
  readonly all: RouterOutput[] = [];

  constructor(options?: RouterOptions) {
    this.router = new Router(options);
  }

  add(...clients: number[]): void {
    for (const client of clients) this.#record(this.router.addClient(client));
  }

  remove(client: number): RouterOutput[] {
    return this.#record(this.router.removeClient(client));
  }

  /** A message from a host, as one framed line of UTF-8 bytes. */
  send(client: number, message: Msg): RouterOutput[] {
    const line = typeof message === "string" ? message : JSON.stringify(message);
    return this.#record(this.router.fromClient(client, encoder.encode(line)));
  }

  /** A message from a lane's server. */
  server(message: Msg, lane = DEFAULT_LANE): RouterOutput[] {
    const line = typeof message === "string" ? message : JSON.stringify(message);
    return this.#record(this.router.fromUpstream(lane, encoder.encode(line)));
  }

  exited(lane = DEFAULT_LANE, code: number | null = 1, lastStderr?: string): RouterOutput[] {
    return this.#record(this.router.laneExited(lane, { code, signal: null, lastStderr }));
  }

  restarted(lane = DEFAULT_LANE): RouterOutput[] {
    return this.#record(this.router.laneRestarted(lane));
  }

  /**
   * Legacy handshake for `client`. When the router forwards `initialize` upstream the
   * scripted server answers it (negotiating `negotiated` or the requested version).
   */
  initialize(
    client: number,
    options: InitOptions = {},
  ): { outputs: RouterOutput[]; lane: string | undefined; response: Msg } {
    const id = options.id ?? 0;
    const version = options.version ?? "2025-11-25";
    const outputs = [...this.send(client, {
      jsonrpc: "2.0",
      id,
      method: "initialize",
      params: {
        protocolVersion: version,
        capabilities: options.capabilities ?? {},
        clientInfo: { name: options.name ?? `host-${client}`, version: "1.0.0" },
      },
    })];
    const upstream = outputs.find((o) =>
      o.kind === "upstream" && (o.message as Msg).method === "initialize"
    );
    let lane: string | undefined;
    if (upstream !== undefined && upstream.kind === "upstream") {
      lane = upstream.lane;
      outputs.push(...this.server({
        jsonrpc: "2.0",
        id: (upstream.message as Msg).id,
        result: {
          protocolVersion: options.negotiated ?? version,
          capabilities: options.serverCapabilities ?? SERVER_CAPABILITIES,
          serverInfo: { name: "test-server", version: "1.0.0" },
        },
      }, lane));
    }
    const response = toClient(outputs, client).find((m) => m.id === id);
    return { outputs, lane, response };
  }

  #record(outputs: RouterOutput[]): RouterOutput[] {
    this.all.push(...outputs);
    const failure = outputs.find((o) => o.kind === "log" && o.event === "router_failure");
    assert.equal(failure, undefined, `router failed: ${JSON.stringify(failure)}`);
    return outputs;
  }
}

/** Messages written to a lane (all lanes when `lane` is undefined). */
export function toUpstream(outputs: RouterOutput[], lane?: string): Msg[] {
  const messages: Msg[] = [];
  for (const o of outputs) {
    if (o.kind === "upstream" && (lane === undefined || o.lane === lane)) messages.push(o.message);
  }
  return messages;
}

/** Messages written to one host (batches stay arrays). */
export function toClient(outputs: RouterOutput[], client: number): Msg[] {
  const messages: Msg[] = [];
  for (const o of outputs) if (o.kind === "client" && o.client === client) messages.push(o.message);
  return messages;
}

/** Hosts that received anything. */
export function recipients(outputs: RouterOutput[]): number[] {
  return [...new Set(outputs.flatMap((o) => (o.kind === "client" ? [o.client] : [])))].sort();
}

/** Log events, by name. */
export function logEvents(outputs: RouterOutput[]): string[] {
  return outputs.flatMap((o) => (o.kind === "log" ? [o.event] : []));
}

/** A plain JSON-RPC request. */
export function request(id: number | string, method: string, params?: Msg): Msg {
  return params === undefined
    ? { jsonrpc: "2.0", id, method }
    : { jsonrpc: "2.0", id, method, params };
}

export function notification(method: string, params?: Msg): Msg {
  return params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params };
}

export function result(id: number | string, value: Msg = {}): Msg {
  return { jsonrpc: "2.0", id, result: value };
}

/** Forward a host request and return the message the server received. */
export function forwarded(h: Harness, client: number, message: Msg, lane?: string): Msg {
  const sent = toUpstream(h.send(client, message), lane);
  assert.equal(sent.length, 1, `expected one upstream message, got ${JSON.stringify(sent)}`);
  return sent[0];
}
