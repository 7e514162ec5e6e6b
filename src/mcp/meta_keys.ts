/**
 * `_meta` keys and protocol constants the router reads. Keys under
 * `io.modelcontextprotocol/` are reserved by MCP; the router reads them and rewrites
 * only the two that carry ids of the router's own choosing (`progressToken`,
 * `subscriptionId`). Everything else in `_meta` passes through untouched.
 */
import { isJsonObject, type JsonObject } from "../rpc/message.ts";

export const PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
export const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
export const LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel";
export const SUBSCRIPTION_ID_KEY = "io.modelcontextprotocol/subscriptionId";
export const RELATED_TASK_KEY = "io.modelcontextprotocol/related-task";

/** The first stateless revision: no `initialize`, an envelope in every request. */
export const MODERN_PROTOCOL_VERSION = "2026-07-28";

/** MCP error code for "URL elicitation required" (2025-11-25). */
export const URL_ELICITATION_REQUIRED = -32042;

/** `params._meta` when it is an object. */
export function metaOf(params: JsonObject | undefined): JsonObject | undefined {
  if (params === undefined) return undefined;
  const meta = params._meta;
  return isJsonObject(meta) ? meta : undefined;
}

/**
 * The protocol version a request claims in its 2026-07-28 envelope, if any. A claim
 * is what marks a request as modern-era (that is how the 2.x SDK server classifies
 * the opening message of a stdio connection too).
 */
export function modernClaim(params: JsonObject | undefined): string | undefined {
  const version = metaOf(params)?.[PROTOCOL_VERSION_KEY];
  return typeof version === "string" ? version : undefined;
}
