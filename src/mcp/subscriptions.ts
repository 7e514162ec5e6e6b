/**
 * Legacy resource subscriptions, shared: one upstream subscription per URI whatever
 * the number of hosts (refcounted by the set of subscribers). The first subscriber
 * triggers one upstream `resources/subscribe` (later ones wait for it: single
 * flight); the last one leaving — by `unsubscribe` or by disconnecting — triggers
 * `resources/unsubscribe`. `notifications/resources/updated` goes to subscribers only.
 */
import {
  isErrorResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  objectParams,
} from "../rpc/message.ts";
import { errorResponse, resultResponse } from "../rpc/responses.ts";
import { ErrorCode } from "../rpc/error_codes.ts";
import type { BatchCollector } from "./batch.ts";
import type { Emitter } from "./emitter.ts";
import { sendOwnRequest } from "./forward.ts";
import type { Lane, UriSubscription } from "./lane.ts";
import type { PendingRequest } from "./pending.ts";
import type { Session } from "./session.ts";

/**
 * A subscription request without a string `uri` is answered −32602 here: forwarded, a
 * lenient server could subscribe something nobody would ever unsubscribe.
 */
function invalidUri(
  session: Session,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): true {
  out.reply(session, batch, errorResponse(message.id, ErrorCode.InvalidParams, `Invalid params: ${message.method} needs a string uri`));
  return true;
}

/** A host's `resources/subscribe`, shared per URI. */
export function subscribe(
  session: Session,
  lane: Lane,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): boolean {
  const uri = objectParams(message)?.uri;
  if (typeof uri !== "string") return invalidUri(session, message, out, batch);
  if (session.subscriptions.has(uri)) {
    out.reply(session, batch, resultResponse(message.id, {}));
    return true;
  }
  let subscription = lane.subscriptions.get(uri);
  if (subscription === undefined) {
    subscription = { subscribers: new Set(), upstream: "none", waiters: [] };
    lane.subscriptions.set(uri, subscription);
  }
  if (subscription.upstream === "active") {
    join(session, uri, subscription);
    out.reply(session, batch, resultResponse(message.id, {}));
    return true;
  }
  subscription.waiters.push({ session, id: message.id, batch });
  if (subscription.upstream === "none") subscribeUpstream(lane, uri, subscription, out);
  return true;
}

/** A host's `resources/unsubscribe`: always answered locally. */
export function unsubscribe(
  session: Session,
  lane: Lane,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): boolean {
  const uri = objectParams(message)?.uri;
  if (typeof uri !== "string") return invalidUri(session, message, out, batch);
  const subscription = lane.subscriptions.get(uri);
  if (subscription !== undefined && subscription.waiters.some((w) => w.session === session)) {
    // Its subscribe is still waiting for the shared one: settle it first, in order.
    const mine = subscription.waiters.filter((w) => w.session === session);
    subscription.waiters = subscription.waiters.filter((w) => w.session !== session);
    for (const waiter of mine) out.reply(session, waiter.batch, resultResponse(waiter.id, {}));
  }
  out.reply(session, batch, resultResponse(message.id, {}));
  leave(session, lane, uri, out);
  return true;
}

/** The upstream answer to the shared subscribe. */
export function onSubscribeResponse(
  lane: Lane,
  pending: PendingRequest,
  response: JsonRpcResponse,
  out: Emitter,
): void {
  const uri = pending.uri as string;
  const subscription = lane.subscriptions.get(uri);
  if (subscription === undefined || subscription.upstream !== "pending") return;
  const waiters = subscription.waiters;
  subscription.waiters = [];
  if (isErrorResponse(response)) {
    subscription.upstream = "none";
    for (const waiter of waiters) {
      out.reply(waiter.session, waiter.batch, {
        jsonrpc: "2.0",
        id: waiter.id,
        error: response.error,
      });
    }
    if (subscription.subscribers.size === 0) lane.subscriptions.delete(uri);
    return;
  }
  subscription.upstream = "active";
  for (const waiter of waiters) {
    if (!waiter.session.closed) join(waiter.session, uri, subscription);
    out.reply(waiter.session, waiter.batch, resultResponse(waiter.id, response.result));
  }
  if (subscription.subscribers.size === 0) release(lane, uri, subscription, out);
}

/** Drop every subscription (and pending subscribe) of a departing host. */
export function releaseSession(session: Session, lane: Lane, out: Emitter): void {
  for (const uri of session.subscriptions) leave(session, lane, uri, out);
  for (const subscription of lane.subscriptions.values()) {
    if (subscription.waiters.length === 0) continue;
    subscription.waiters = subscription.waiters.filter((waiter) => waiter.session !== session);
  }
}

/** `notifications/resources/updated`: to the URI's subscribers only. */
export function deliverUpdated(lane: Lane, message: JsonRpcNotification, out: Emitter): number {
  const uri = objectParams(message)?.uri;
  const subscription = typeof uri === "string" ? lane.subscriptions.get(uri) : undefined;
  if (subscription === undefined) return 0;
  for (const subscriber of subscription.subscribers) out.client(subscriber, message);
  return subscription.subscribers.size;
}

/** After a server restart: subscribe again to every URI somebody still wants. */
export function resubscribeAll(lane: Lane, out: Emitter): void {
  for (const [uri, subscription] of lane.subscriptions) {
    if (subscription.subscribers.size > 0 && subscription.upstream === "none") {
      subscribeUpstream(lane, uri, subscription, out);
    }
  }
}

/** The server exited: its subscriptions died with it (subscribers are kept for replay). */
export function markAllLost(lane: Lane): void {
  for (const [uri, subscription] of lane.subscriptions) {
    subscription.upstream = "none";
    if (subscription.subscribers.size === 0) lane.subscriptions.delete(uri);
  }
}

function subscribeUpstream(
  lane: Lane,
  uri: string,
  subscription: UriSubscription,
  out: Emitter,
): void {
  subscription.upstream = "pending";
  sendOwnRequest(lane, "resources/subscribe", { uri }, "subscribe", out).uri = uri;
}

function join(session: Session, uri: string, subscription: UriSubscription): void {
  subscription.subscribers.add(session);
  session.subscriptions.add(uri);
}

function leave(session: Session, lane: Lane, uri: string, out: Emitter): void {
  session.subscriptions.delete(uri);
  const subscription = lane.subscriptions.get(uri);
  if (subscription === undefined) return;
  subscription.subscribers.delete(session);
  if (subscription.subscribers.size === 0 && subscription.waiters.length === 0) {
    release(lane, uri, subscription, out);
  }
}

function release(lane: Lane, uri: string, subscription: UriSubscription, out: Emitter): void {
  // A pending subscribe re-checks the subscriber count when its answer comes.
  if (subscription.upstream === "pending") return;
  lane.subscriptions.delete(uri);
  if (subscription.upstream === "active" && lane.phase !== "down") {
    sendOwnRequest(lane, "resources/unsubscribe", { uri }, "internal", out);
  }
}
