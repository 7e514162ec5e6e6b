/**
 * A real MCP host for system tests: an SDK `Client` over the SDK's own
 * `StdioClientTransport`, spawning whatever command it is given — a fixture server
 * directly, or `shoal proxy … -- <server>`. Everything the host sees is recorded
 * (notifications, server→client requests, client errors, stderr) so tests can assert
 * on what reached it and on what did not.
 *
 * Runs under Deno and Bun: both SDK transports spawn through `node:child_process`.
 */
import type { ChildProcess } from "node:child_process";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client";
// The SDK's "./*" export maps types to "<path>.js.d.ts", which does not exist; Deno
// needs the declaration file named explicitly (Bun ignores the directive).
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.d.ts"
import { StdioClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Client as V2Client } from "@modelcontextprotocol/client";
import { StdioClientTransport as V2Transport } from "@modelcontextprotocol/client/stdio";
import { type HostHandlers, impliedCapabilities, installHandlers } from "./host_handlers.ts";
import { waitFor } from "./cleanup.ts";
import { CALL_MARK, ProgressTap } from "./progress_tap.ts";

export type { HostHandlers } from "./host_handlers.ts";

/**
 * How a v2 host picks the protocol era. `legacy` is the SDK default (`initialize`);
 * `auto` probes with `server/discover` on a disposable sibling process (the command
 * is spawned twice) and falls back to `initialize`; `modern` pins 2026-07-28 (also
 * through the sibling probe, no fallback).
 */
export type HostEra = "legacy" | "auto" | "modern";

export interface HostOptions {
  command: string;
  args?: string[];
  /** Added to the SDK's default environment (HOME, LOGNAME, PATH, SHELL, TERM, USER). */
  env?: Record<string, string>;
  cwd?: string;
  sdk: "v1" | "v2";
  /** v2 only; v1 always speaks the legacy era. */
  era?: HostEra;
  /** clientInfo name (the default names the SDK). */
  name?: string;
  /** Raw client capabilities, merged over those implied by `handlers`. */
  capabilities?: Record<string, unknown>;
  /** Answers for server→client requests; each one declares its capability. */
  handlers?: HostHandlers;
  /** Bound for connect (spawn + handshake). */
  connectTimeoutMs?: number;
}

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

export interface ReceivedNotification {
  method: string;
  params: Record<string, any>;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Ask for progress (adds a progressToken); default true. */
  progress?: boolean;
  onProgress?: (update: ProgressUpdate) => void;
  /** Extra `params._meta` entries, sent as given (plus the harness's own call mark). */
  meta?: Record<string, unknown>;
}

export interface ToolOutcome {
  result: Record<string, any>;
  /** All text content blocks joined with "\n". */
  text: string;
  structured: any;
  isError: boolean;
  /** Progress notifications that reached the host for this call, in wire order. */
  progress: ProgressUpdate[];
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface Host {
  readonly sdk: "v1" | "v2";
  /** The SDK client, for anything the wrapper does not cover. */
  readonly client: V1Client | V2Client;
  /** Pid of the process the transport spawned (the server, or the proxy). */
  readonly pid: number;
  readonly era: "legacy" | "modern";
  readonly protocolVersion: string | undefined;
  /** Every notification except progress (which is collected per call). */
  readonly notifications: ReceivedNotification[];
  /** Server→client requests answered by `handlers`, in arrival order. */
  readonly serverRequests: ReceivedNotification[];
  /**
   * Errors the client reported out of band. May hold the SDK's own "progress
   * notification for an unknown token" for a call's last notification (see
   * progress_tap.ts); use `foreignProgress` to detect leaks.
   */
  readonly errors: Error[];
  /** Progress notifications whose token this host never sent (leaked to it). */
  readonly foreignProgress: ReceivedNotification[];
  /** Settles when the spawned process exits. */
  readonly exited: Promise<ExitStatus>;
  /** Everything the spawned process wrote to stderr so far. */
  stderr(): string;
  /** Milliseconds from spawning the process to its first stderr byte; null while silent. */
  stderrAfterMs(): number | null;
  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<ToolOutcome>;
  listTools(): Promise<string[]>;
  waitForNotification(
    method: string,
    options?: { where?: (n: ReceivedNotification) => boolean; timeoutMs?: number },
  ): Promise<ReceivedNotification>;
  close(): Promise<void>;
}

/** Spawn `command` through the chosen SDK's stdio transport and complete the handshake. */
export async function startHost(options: HostOptions): Promise<Host> {
  const params = {
    command: options.command,
    args: options.args ?? [],
    env: options.env,
    cwd: options.cwd,
    stderr: "pipe" as const,
  };
  const info = { name: options.name ?? `harness-${options.sdk}`, version: "1.0.0" };
  const capabilities = { ...impliedCapabilities(options.handlers), ...options.capabilities };
  const era = options.era ?? "legacy";
  if (options.sdk === "v1" && era !== "legacy") {
    throw new TypeError(`Cannot use era "${era}" with sdk v1: v1 only speaks the legacy era`);
  }
  const versionNegotiation = era === "auto"
    ? { mode: "auto" as const }
    : era === "modern"
    ? { mode: { pin: "2026-07-28" } }
    : undefined;
  const client = options.sdk === "v1"
    ? new V1Client(info, { capabilities })
    : new V2Client(info, { capabilities, versionNegotiation });
  const transport = options.sdk === "v1" ? new V1Transport(params) : new V2Transport(params);

  let stderrText = "";
  let spawnedAt = 0;
  let stderrAt: number | null = null;
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderrAt ??= Date.now();
    stderrText += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  });
  const notifications: ReceivedNotification[] = [];
  const serverRequests: ReceivedNotification[] = [];
  const errors: Error[] = [];
  client.onerror = (error: Error) => errors.push(error);
  client.fallbackNotificationHandler = (n: { method: string; params?: Record<string, any> }) => {
    notifications.push({ method: n.method, params: n.params ?? {} });
    return Promise.resolve();
  };
  installHandlers(client, options.sdk, options.handlers, serverRequests);
  const progressTap = new ProgressTap();
  progressTap.watchSend(transport);
  // The v1 client keeps no negotiated version, but hands it to a transport that asks.
  let v1Version: string | undefined;
  if (options.sdk === "v1") {
    (transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion = (v) => {
      v1Version = v;
    };
  }

  try {
    spawnedAt = Date.now();
    await client.connect(transport as any, { timeout: options.connectTimeoutMs ?? 15_000 });
  } catch (error) {
    await transport.close().catch(() => {});
    const detail = stderrText.trim() ? `; stderr: ${stderrText.trim()}` : "";
    throw new Error(`Cannot connect host to ${options.command}: ${error}${detail}`, {
      cause: error,
    });
  }
  const pid = transport.pid;
  if (pid === null) {
    throw new Error(`Cannot read the pid of ${options.command}: transport has no process`);
  }
  const exited = watchExit(transport);
  progressTap.watchReceive(transport);

  const protocolVersion = client instanceof V2Client
    ? client.getNegotiatedProtocolVersion()
    : v1Version;
  return {
    sdk: options.sdk,
    client,
    pid,
    era: protocolVersion !== undefined && protocolVersion >= "2026-07-28" ? "modern" : "legacy",
    protocolVersion,
    notifications,
    serverRequests,
    errors,
    foreignProgress: progressTap.foreign,
    exited,
    stderr: () => stderrText,
    stderrAfterMs: () => (stderrAt === null ? null : stderrAt - spawnedAt),
    callTool: (name, args, callOptions) =>
      callTool(client, progressTap, name, args ?? {}, callOptions ?? {}),
    async listTools() {
      const { tools } = await client.listTools();
      return tools.map((tool: { name: string }) => tool.name);
    },
    async waitForNotification(method, waitOptions) {
      const match = (n: ReceivedNotification) =>
        n.method === method && (waitOptions?.where?.(n) ?? true);
      await waitFor(() => notifications.some(match), {
        timeoutMs: waitOptions?.timeoutMs ?? 5_000,
        what: `notification ${method}`,
      });
      return notifications.find(match)!;
    },
    async close() {
      await client.close();
      await exited;
    },
  };
}

let lastCallMark = 0;

async function callTool(
  client: V1Client | V2Client,
  progressTap: ProgressTap,
  name: string,
  args: Record<string, unknown>,
  options: CallOptions,
): Promise<ToolOutcome> {
  // Asking for progress (any onprogress) is what makes the SDK add a progressToken.
  const onprogress = options.progress === false
    ? undefined
    : (update: ProgressUpdate) => options.onProgress?.(update);
  const mark = ++lastCallMark;
  const request = { name, arguments: args, _meta: { ...options.meta, [CALL_MARK]: mark } };
  const requestOptions = {
    timeout: options.timeoutMs ?? 10_000,
    signal: options.signal,
    onprogress,
  };
  // The two SDKs differ only here: v1 takes an optional result schema second.
  const result = client instanceof V1Client
    ? await client.callTool(request, undefined, requestOptions)
    : await client.callTool(request, requestOptions);
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return {
    result,
    text: content.filter((c) => c.type === "text").map((c) => c.text).join("\n"),
    structured: result.structuredContent,
    isError: result.isError === true,
    // Complete here: every progress notification precedes its response on the wire.
    progress: progressTap.progressOf(mark),
  };
}

/**
 * Neither SDK exposes the spawned ChildProcess, only its pid; the exit status comes
 * from the transport's retained `_process` (present in both SDKs after start()).
 */
function watchExit(transport: V1Transport | V2Transport): Promise<ExitStatus> {
  const child = (transport as unknown as { _process?: ChildProcess })._process;
  if (child === undefined) {
    throw new Error("Cannot watch the host's child: SDK transport has no _process");
  }
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}
