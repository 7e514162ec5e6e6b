/**
 * The session state a host set up once and expects to outlive a daemon: its
 * `initialize` (exact bytes), whether it sent `notifications/initialized`, its live
 * resource subscriptions and its last log level. A new daemon knows none of it, so
 * the proxy replays it under ids of its own.
 *
 * Only the legacy era (≤ 2025-11-25) has such state; a 2026-07-28 host sends
 * everything with each request, and nothing is recorded for it.
 */
import { isJsonObject, type RequestId } from "../rpc/message.ts";

/** The host's `initialize` request. */
export interface InitializeRecord {
  /** The line as the host wrote it (a copy). */
  readonly line: Uint8Array;
  /** Byte range of the id token inside `line`, to swap the id without re-encoding. */
  readonly idStart: number;
  readonly idEnd: number;
  readonly hostId: RequestId;
  /** The daemon answered it with a result (else it is still in flight). */
  answered: boolean;
}

const encoder = new TextEncoder();
const LIST_KINDS = ["tools", "prompts", "resources"] as const;

export class Handshake {
  init: InitializeRecord | undefined = undefined;
  initializedSent = false;
  /** `protocolVersion` of the answer the host got. */
  negotiatedVersion: string | undefined = undefined;
  /** The lists the server said may change (`capabilities.<kind>.listChanged`). */
  listChanged: string[] = [];
  /** URIs with a subscription the host believes is live, in subscription order. */
  readonly live = new Set<string>();
  /** JSON text of the last `logging/setLevel` params, and the host id that sent them. */
  level: { params: string; hostId: RequestId } | undefined = undefined;

  constructor(readonly maxUris: number) {}

  /**
   * A host `initialize`. Only the first counts (the daemon refuses a second one on
   * the same connection), unless the first was refused and the host tries again.
   */
  noteInitialize(line: Uint8Array, hostId: RequestId, idStart: number, idEnd: number): boolean {
    if (this.init !== undefined) return false;
    this.init = { line: line.slice(), idStart, idEnd, hostId, answered: false };
    return true;
  }

  /** The daemon's answer to the host's `initialize` (parsed). */
  onInitializeAnswer(response: unknown): void {
    const result = isJsonObject(response) ? response.result : undefined;
    if (this.init === undefined) return;
    if (!isJsonObject(result)) {
      this.forgetInitialize();
      return;
    }
    this.init.answered = true;
    this.negotiatedVersion = typeof result.protocolVersion === "string" ? result.protocolVersion : undefined;
    const capabilities = isJsonObject(result.capabilities) ? result.capabilities : {};
    this.listChanged = LIST_KINDS.filter((kind) => {
      const capability = capabilities[kind];
      return isJsonObject(capability) && capability.listChanged === true;
    });
  }

  /** The handshake never completed (refused, or failed at a disconnect): start over. */
  forgetInitialize(): void {
    this.init = undefined;
    this.initializedSent = false;
    this.negotiatedVersion = undefined;
    this.listChanged = [];
  }

  /** Returns false when the URI table is full (the subscription is then not replayed). */
  subscribe(uri: string): boolean {
    if (this.live.has(uri)) return true;
    if (this.live.size >= this.maxUris) return false;
    this.live.add(uri);
    return true;
  }

  unsubscribe(uri: string): void {
    this.live.delete(uri);
  }

  /** The host's `initialize` with `id` in place of the host's id, every other byte kept. */
  initializeWith(id: RequestId): Uint8Array {
    const init = this.init!;
    const token = encoder.encode(JSON.stringify(id));
    const out = new Uint8Array(init.line.length - (init.idEnd - init.idStart) + token.length);
    out.set(init.line.subarray(0, init.idStart), 0);
    out.set(token, init.idStart);
    out.set(init.line.subarray(init.idEnd), init.idStart + token.length);
    return out;
  }

  /**
   * Check the new daemon's answer to the replayed `initialize`. Returns a warning
   * when the host's session could not be restored as it was, else undefined.
   */
  checkReplayAnswer(response: unknown): string | undefined {
    if (!isJsonObject(response)) return "Replayed initialize got an unreadable answer from the new daemon";
    const error = response.error;
    if (isJsonObject(error)) {
      return `Replayed initialize refused by the new daemon: ${String(error.message)} (code ${String(error.code)})`;
    }
    const result = response.result;
    const version = isJsonObject(result) && typeof result.protocolVersion === "string"
      ? result.protocolVersion
      : undefined;
    if (version !== this.negotiatedVersion) {
      return `Replayed initialize negotiated protocol version ${JSON.stringify(version)}, ` +
        `the host still speaks ${JSON.stringify(this.negotiatedVersion)}`;
    }
    return undefined;
  }
}
