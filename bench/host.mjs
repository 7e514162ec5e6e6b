// A minimal MCP host for benchmarks: raw newline-delimited JSON-RPC over a child's
// stdio, no SDK (its per-call overhead would swamp what we measure). The same class
// drives a server started directly and a `shoal proxy`, so both pay the same client
// cost and the difference is what shoal adds.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export const PROTOCOL_VERSION = "2025-06-18";

/** Children still running, so an interrupted run can kill exactly what it started. */
const live = new Set();

/** SIGKILL every host child this process started that is still running. */
export function killLiveHosts() {
  for (const child of live) child.kill("SIGKILL");
}

export class Host {
  /** @param {{ command: string, args: string[], env?: Record<string,string>, cwd?: string }} spec */
  constructor(spec) {
    this.spawnedAt = performance.now();
    this.child = spawn(spec.command, spec.args, {
      env: spec.env ?? process.env,
      cwd: spec.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.pid = this.child.pid;
    live.add(this.child);
    this.nextId = 1;
    /** @type {Map<number, (message: any) => void>} */
    this.pending = new Map();
    this.stderr = "";
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal }))
    );
    this.#frame();
    this.child.stderr.on("data", (chunk) => {
      if (this.stderr.length < 8192) this.stderr += chunk;
    });
    this.child.stdin.on("error", () => {}); // a dead child shows up as a failed request
    this.exited.then((status) => {
      live.delete(this.child);
      this.#failAll(
        `host child ${this.pid} exited (${JSON.stringify(status)}): ${this.stderr.trim()}`,
      );
    });
  }

  /** Settle every pending call with a JSON-RPC-shaped error (the child is of no more use). */
  #failAll(message) {
    for (const settle of this.pending.values()) settle({ error: { code: -32000, message } });
    this.pending.clear();
  }

  #frame() {
    let rest = "";
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk) => {
      const text = rest + chunk;
      let start = 0;
      let nl;
      while ((nl = text.indexOf("\n", start)) >= 0) {
        const line = text.slice(start, nl);
        start = nl + 1;
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          // stdout must carry protocol bytes only: a stray line is a failure of the child.
          this.#failAll(`host child ${this.pid} wrote a non-JSON line: ${line.slice(0, 200)}`);
          continue;
        }
        const settle = this.pending.get(message.id);
        if (settle === undefined) continue; // a notification, or not ours
        this.pending.delete(message.id);
        settle(message);
      }
      rest = text.slice(start);
      this.onChunkEnd?.();
    });
  }

  /** A request line (not yet written) whose response goes to `settle`. */
  line(method, paramsJson, settle) {
    const id = this.nextId++;
    this.pending.set(id, settle);
    return `{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${paramsJson}}\n`;
  }

  /** Write one request; `settle` gets the response message. */
  send(method, params, settle) {
    this.write(this.line(method, JSON.stringify(params), settle));
  }

  write(text) {
    this.child.stdin.write(text);
  }

  request(method, params) {
    return new Promise((resolve, reject) => {
      this.send(method, params, (message) => {
        if (message.error) reject(new Error(`${method} failed: ${JSON.stringify(message.error)}`));
        else resolve(message.result);
      });
    });
  }

  /** `initialize` + `notifications/initialized`; resolves with ms since spawn. */
  async initialize(name = "bench-host") {
    await this.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name, version: "1.0.0" },
    });
    const ms = performance.now() - this.spawnedAt;
    this.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    return ms;
  }

  /** Close stdin and wait for the child to go (SIGKILL after `graceMs`). */
  async close(graceMs = 5000) {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
