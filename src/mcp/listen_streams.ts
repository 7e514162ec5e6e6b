/**
 * Modern-era (2026-07-28) `subscriptions/listen` streams. On stdio every notification
 * of a stream carries `_meta["io.modelcontextprotocol/subscriptionId"]`, equal to the
 * JSON-RPC id of the listen request — upstream, the router's id. Clients correlate by
 * it, so it is mapped back to the host's own listen id, on each notification and on
 * the final result that closes the stream.
 */
import { isJsonObject, type JsonObject, type JsonRpcNotification } from "../rpc/message.ts";
import type { Emitter } from "./emitter.ts";
import { settle } from "./forward.ts";
import type { Lane } from "./lane.ts";
import { SUBSCRIPTION_ID_KEY } from "./meta_keys.ts";
import type { PendingRequest } from "./pending.ts";

/**
 * A server cancelling a host's request: only 2026-07-28 servers do, and only to tear
 * down `subscriptions/listen`. Anything else is the server cancelling one of its own
 * requests the router already answered (a `ping`), and must not hit a host request
 * that happens to have that upstream id.
 */
export function cancelHostRequest(
  lane: Lane,
  message: JsonRpcNotification,
  params: JsonObject | undefined,
  out: Emitter,
): boolean {
  if (lane.era !== "modern") return false;
  const pending = lane.ids.get(params?.requestId);
  if (pending === undefined || params === undefined || pending.method !== "subscriptions/listen") {
    return false;
  }
  lane.ids.delete(pending.upstreamId);
  settle(pending);
  if (pending.batch !== undefined) {
    const complete = pending.batch.forget();
    if (complete !== undefined) out.client(pending.session!, complete);
  }
  params.requestId = pending.id;
  out.client(pending.session!, message);
  return true;
}

/** A notification on a modern `subscriptions/listen` stream: to its listener, id mapped back. */
export function deliverToListener(
  lane: Lane,
  message: JsonRpcNotification,
  meta: JsonObject,
  out: Emitter,
): void {
  const pending = lane.ids.get(meta[SUBSCRIPTION_ID_KEY]);
  if (
    pending === undefined || pending.method !== "subscriptions/listen" ||
    pending.session === undefined
  ) {
    out.log("debug", "subscription_notification_unowned", {
      lane: lane.id,
      method: message.method,
    });
    return;
  }
  meta[SUBSCRIPTION_ID_KEY] = pending.id;
  out.client(pending.session, message);
}

/** The listen result (graceful close) names the subscription too. */
export function restoreSubscriptionId(pending: PendingRequest, result: unknown): void {
  const meta = isJsonObject(result) && isJsonObject(result._meta) ? result._meta : undefined;
  if (meta !== undefined && meta[SUBSCRIPTION_ID_KEY] === pending.upstreamId) {
    meta[SUBSCRIPTION_ID_KEY] = pending.id;
  }
}
