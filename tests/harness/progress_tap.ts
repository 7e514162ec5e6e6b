/**
 * Progress as it reached the host, read at the transport, before the SDK dispatches it.
 *
 * Why not the SDK's `onprogress`: both SDKs (1.32.2 and 2.4.0) dispatch notifications
 * a microtask later but responses at once, so when the last progress notification and
 * the response arrive in one read chunk, the response removes the progress handler
 * first and that notification is dropped (reported through `onerror` as "unknown
 * token"). Measured directly against the fixtures, no shoal involved: 1 to 23 of 40
 * calls lost their final notification. Counting here is exact.
 */
import type { ProgressUpdate, ReceivedNotification } from "./host.ts";

/** `_meta` key the harness adds to each tools/call to find its progress token. */
export const CALL_MARK = "shoal.test/call";

type Token = string | number;
type Message = { method?: string; id?: unknown; params?: Record<string, any> };
type Transport = {
  send(message: any, options?: any): Promise<void>;
  onmessage?: (message: any, extra?: any) => void;
};

export class ProgressTap {
  /** Every progress token this host sent, with its exact type. */
  readonly sentTokens = new Set<Token>();
  /** Progress whose token this host never sent: leaked from someone else. */
  readonly foreign: ReceivedNotification[] = [];
  readonly #byToken = new Map<Token, ProgressUpdate[]>();
  readonly #tokenOfCall = new Map<number, Token>();

  /** Watch outgoing requests; install before connect. */
  watchSend(transport: Transport): void {
    const send = transport.send.bind(transport);
    transport.send = (message: Message, options?: unknown) => {
      const meta = message.params?._meta;
      if (
        message.method !== undefined && message.id !== undefined &&
        meta?.progressToken !== undefined
      ) {
        this.sentTokens.add(meta.progressToken);
        if (typeof meta[CALL_MARK] === "number") {
          this.#tokenOfCall.set(meta[CALL_MARK], meta.progressToken);
        }
      }
      return send(message, options);
    };
  }

  /** Watch incoming messages; install after connect (connect sets `onmessage`). */
  watchReceive(transport: Transport): void {
    const dispatch = transport.onmessage;
    transport.onmessage = (message: Message, extra?: unknown) => {
      if (message.method === "notifications/progress" && message.params) {
        this.#record(message.params);
      }
      dispatch?.call(transport, message, extra);
    };
  }

  /** Progress delivered for the call marked `mark`, in arrival order. */
  progressOf(mark: number): ProgressUpdate[] {
    const token = this.#tokenOfCall.get(mark);
    return token === undefined ? [] : this.#byToken.get(token) ?? [];
  }

  #record(params: Record<string, any>): void {
    const { progressToken, progress, total, message } = params;
    if (!this.sentTokens.has(progressToken)) {
      this.foreign.push({ method: "notifications/progress", params });
      return;
    }
    const list = this.#byToken.get(progressToken) ?? [];
    list.push({ progress, total, message });
    this.#byToken.set(progressToken, list);
  }
}
