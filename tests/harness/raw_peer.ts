/**
 * A raw newline-JSON-RPC peer over a child's stdio, for what an SDK client will not
 * do: exact ids of any type, batches, malformed lines, a detached child (own process
 * group), non-JSON output on the child's stdout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import type { ExitStatus } from "./host.ts";
import { waitFor } from "./cleanup.ts";

export interface RawPeerOptions {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** Start from this process's environment (default) or from `env` alone. */
  inheritEnv?: boolean;
  cwd?: string;
  /** New session: the child leads its own process group (what shoal's daemon does). */
  detached?: boolean;
}

export interface RawPeer {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every JSON message received, in order (responses included). */
  readonly messages: Record<string, any>[];
  /** Lines on the child's stdout that were not JSON. */
  readonly nonJson: string[];
  readonly exited: Promise<ExitStatus>;
  stderr(): string;
  /** Write one line: an object is serialized, a string is written as is. */
  send(message: unknown): void;
  /** Send a request and wait for the response with the same id (type included). */
  request(
    method: string,
    params?: unknown,
    options?: { id?: string | number; timeoutMs?: number },
  ): Promise<Record<string, any>>;
  /** `initialize` + `notifications/initialized`; returns the initialize result. */
  initialize(protocolVersion?: string): Promise<Record<string, any>>;
  /** Close stdin, wait for exit (SIGKILL after `timeoutMs`). */
  close(timeoutMs?: number): Promise<ExitStatus>;
}

export function startRawPeer(options: RawPeerOptions): RawPeer {
  const child = spawn(options.command, options.args ?? [], {
    cwd: options.cwd,
    env: options.inheritEnv === false
      ? options.env ?? {}
      : options.env
      ? { ...process.env, ...options.env }
      : undefined,
    detached: options.detached ?? false,
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`Cannot start ${options.command}`);
  const messages: Record<string, any>[] = [];
  const nonJson: string[] = [];
  let stderrText = "";
  let pending = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        messages.push(JSON.parse(line));
      } catch {
        nonJson.push(line);
      }
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderrText += chunk));
  child.stdin!.on("error", () => {}); // EPIPE after the child died is expected in tests
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let nextId = 1_000_000;

  const peer: RawPeer = {
    pid: child.pid,
    child,
    messages,
    nonJson,
    exited,
    stderr: () => stderrText,
    send(message) {
      const line = typeof message === "string" ? message : JSON.stringify(message);
      child.stdin!.write(line + "\n");
    },
    async request(method, params, requestOptions = {}) {
      const id = requestOptions.id ?? nextId++;
      peer.send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
      return await waitFor(
        () => messages.find((m) => m.id === id && m.method === undefined),
        { timeoutMs: requestOptions.timeoutMs ?? 5_000, what: `response to ${method} id ${id}` },
      );
    },
    async initialize(protocolVersion = "2025-11-25") {
      const response = await peer.request("initialize", {
        protocolVersion,
        capabilities: {},
        clientInfo: { name: "raw-peer", version: "1.0.0" },
      });
      if (response.error) throw new Error(`Cannot initialize: ${JSON.stringify(response.error)}`);
      peer.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      return response.result;
    },
    async close(timeoutMs = 2_000) {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
  return peer;
}
