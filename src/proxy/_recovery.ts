/**
 * The two halves of surviving a daemon: what the host is told when the daemon goes
 * away ({@link failInflight}), and what the new daemon is sent before anything else
 * ({@link replayLines}, whose private requests are answered into
 * {@link replayAnswered}).
 */
import { ERROR_CODES } from "../errors.ts";
import { isJsonObject, type JsonRpcError, type RequestId } from "../rpc/message.ts";
import { errorResponse } from "../rpc/responses.ts";
import type { Handshake } from "./_handshake.ts";
import type { BatchMark, InflightTable } from "./_inflight.ts";

/**
 * Requests resent to the new daemon instead of failed: the handshake, reads and
 * idempotent state changes. A host that gets an error for `tools/list` shows no tools;
 * one whose `ping` fails may drop the server. `tools/call` and everything else with
 * effects fail: the proxy cannot know whether the old daemon ran them.
 */
export const RESENT_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "server/discover",
  "tools/list",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "completion/complete",
  "resources/subscribe",
  "resources/unsubscribe",
  "logging/setLevel",
]);

/** A proxy-private replay request, by what its answer means. */
export type Swallowed = { kind: "initialize" } | { kind: "subscribe"; uri: string } | { kind: "setLevel" };

const encoder = new TextEncoder();
const INITIALIZED = encoder.encode(`{"jsonrpc":"2.0","method":"notifications/initialized"}`);

/**
 * Split the requests in flight: those still holding their line and under
 * `maxResends` stay in the table and are returned in `resend`; the rest leave it and
 * get an error line (requests of one batch share one array line, placed where the
 * batch's first request was).
 */
export function failInflight(
  inflight: InflightTable,
  handshake: Handshake,
  reason: string,
  maxResends: number,
): { failed: Uint8Array[]; resend: RequestId[] } {
  const message = `Request interrupted: the shared shoal daemon went away (${reason}); it may not have completed`;
  const code = ERROR_CODES.ERR_DAEMON_LOST.rpc;
  const failed: Array<JsonRpcError | JsonRpcError[]> = [];
  const batches = new Map<BatchMark, JsonRpcError[]>();
  const resend: RequestId[] = [];
  for (const [id, entry] of [...inflight.entries()]) {
    if (entry.line !== undefined && entry.resends < maxResends) {
      entry.resends++;
      resend.push(id);
      continue;
    }
    inflight.take(id);
    if (entry.kind === "initialize") handshake.forgetInitialize();
    if (entry.kind === "subscribe") handshake.unsubscribe(entry.uri!); // the host is told it failed
    const error = errorResponse(id, code, message);
    if (entry.batch === undefined) {
      failed.push(error);
      continue;
    }
    let members = batches.get(entry.batch);
    if (members === undefined) {
      members = [];
      batches.set(entry.batch, members);
      failed.push(members);
    }
    members.push(error);
  }
  return { failed: failed.map((message) => encoder.encode(JSON.stringify(message))), resend };
}

/**
 * Lines for a new daemon: the handshake under a private id (or the host's own
 * `initialize` when it was still in flight, as one of the resent requests),
 * `notifications/initialized`, re-subscriptions, the resent requests in the host's
 * order, and last the log level, so it wins over any resent older `setLevel`.
 * A subscription or level whose own request is being resent is not sent twice.
 */
export function replayLines(
  handshake: Handshake,
  inflight: InflightTable,
  resend: RequestId[],
  privateId: (swallowed: Swallowed) => string,
): Uint8Array[] {
  const lines: Uint8Array[] = [];
  const ready = handshake.init?.answered === true;
  if (ready) {
    lines.push(handshake.initializeWith(privateId({ kind: "initialize" })));
    if (handshake.initializedSent) lines.push(INITIALIZED);
    const covered = new Set<string>();
    for (const id of resend) {
      const uri = inflight.get(id)!.uri;
      if (uri !== undefined) covered.add(uri);
    }
    for (const uri of handshake.live) {
      if (covered.has(uri)) continue;
      const id = privateId({ kind: "subscribe", uri });
      lines.push(encoder.encode(JSON.stringify({ jsonrpc: "2.0", id, method: "resources/subscribe", params: { uri } })));
    }
  }
  for (const id of resend) {
    const entry = inflight.get(id)!;
    lines.push(entry.line!);
    if (entry.kind === "initialize" && handshake.initializedSent) lines.push(INITIALIZED);
  }
  const level = handshake.level;
  if (ready && level !== undefined && !resend.includes(level.hostId)) {
    const id = JSON.stringify(privateId({ kind: "setLevel" }));
    lines.push(encoder.encode(`{"jsonrpc":"2.0","id":${id},"method":"logging/setLevel","params":${level.params}}`));
  }
  return lines;
}

/**
 * Whether an error answer says the daemon's server exited while the request was in
 * flight (the router's crash errors carry the exit status in `data`), as opposed to
 * a refusal that asking again would only repeat.
 */
export function isServerExit(response: unknown): boolean {
  if (!isJsonObject(response) || !isJsonObject(response.error)) return false;
  const data = response.error.data;
  return isJsonObject(data) && ("exitCode" in data || "signal" in data);
}

/**
 * The host's request inside a stopping daemon's hand-back (−32012, `data.request`), as
 * a line to resend; undefined for any other answer, or one whose id is not `id`.
 */
export function handedBackRequest(response: unknown, id: RequestId): Uint8Array | undefined {
  if (!isJsonObject(response) || !isJsonObject(response.error)) return undefined;
  if (response.error.code !== ERROR_CODES.ERR_NOT_SENT.rpc) return undefined;
  const data = response.error.data;
  const request = isJsonObject(data) ? data.request : undefined;
  if (!isJsonObject(request) || request.id !== id || typeof request.method !== "string") return undefined;
  return encoder.encode(JSON.stringify(request));
}

/**
 * The new daemon answered a private replay request. Returns lines owed to the host
 * (`list_changed` after a good handshake: a new daemon may run a new server process
 * with other tools) and a warning when the host's session could not be restored.
 */
export function replayAnswered(
  handshake: Handshake,
  swallowed: Swallowed,
  isError: boolean,
  response: () => unknown,
): { hostLines: Uint8Array[]; warning: string | undefined } {
  if (swallowed.kind === "initialize") {
    const warning = handshake.checkReplayAnswer(response());
    const hostLines = warning === undefined && handshake.initializedSent
      ? handshake.listChanged.map((kind) => encoder.encode(`{"jsonrpc":"2.0","method":"notifications/${kind}/list_changed"}`))
      : [];
    return { hostLines, warning };
  }
  if (!isError) return { hostLines: [], warning: undefined };
  const what = swallowed.kind === "subscribe" ? `subscription to ${JSON.stringify(swallowed.uri)}` : "log level";
  return { hostLines: [], warning: `Could not renew the host's ${what} at the new daemon: it refused` };
}
