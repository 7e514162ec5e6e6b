/**
 * Structural validation of one parsed JSON value as a JSON-RPC 2.0 message.
 *
 * Called once per message on the hot path: it answers with a kind string and
 * allocates only for the (rare) invalid case.
 */
import { isJsonObject, isRequestId, type RequestId } from "./message.ts";

/** What a valid message is. */
export type MessageKind = "request" | "notification" | "response";

/** Why a value is not a valid message, plus what is needed to answer it. */
export class InvalidMessage {
  constructor(
    /** Lower-case fragment for "Invalid request: <reason>"; safe to log (no values). */
    readonly reason: string,
    /** The id, when one of a valid type was present. */
    readonly id: RequestId | undefined,
    /**
     * True when the value looks like a response (no `method`, but `result` or
     * `error`): JSON-RPC never answers a response, so the caller only logs it.
     */
    readonly looksLikeResponse: boolean,
  ) {}
}

/** Classify `value`; anything that is not a valid JSON-RPC 2.0 message is an {@link InvalidMessage}. */
export function classifyMessage(value: unknown): MessageKind | InvalidMessage {
  if (!isJsonObject(value)) {
    return new InvalidMessage("message is not a JSON object", undefined, false);
  }
  const id = value.id;
  const hasId = id !== undefined;
  const validId = hasId && isRequestId(id) ? id : undefined;
  const method = value.method;
  if (method === undefined) {
    const isResponseShaped = value.result !== undefined || value.error !== undefined;
    if (value.jsonrpc !== "2.0") {
      return invalid(`message has no "jsonrpc": "2.0" member`, validId, isResponseShaped);
    }
    if (!isResponseShaped) {
      return invalid(`message has neither "method" nor "result" or "error"`, validId, false);
    }
    return validateResponse(value, validId);
  }
  if (value.jsonrpc !== "2.0") {
    return invalid(`message has no "jsonrpc": "2.0" member`, validId, false);
  }
  if (typeof method !== "string") return invalid(`member "method" is not a string`, validId, false);
  if (hasId && validId === undefined) {
    return invalid(`member "id" is not a string or number`, undefined, false);
  }
  const params = value.params;
  if (params !== undefined && (typeof params !== "object" || params === null)) {
    return invalid(`member "params" is not an object or array`, validId, false);
  }
  return hasId ? "request" : "notification";
}

function validateResponse(
  value: Record<string, unknown>,
  id: RequestId | undefined,
): MessageKind | InvalidMessage {
  if (id === undefined) return invalid(`response has no valid "id"`, undefined, true);
  const hasResult = value.result !== undefined;
  const error = value.error;
  if (hasResult && error !== undefined) {
    return invalid(`response has both "result" and "error"`, id, true);
  }
  if (error !== undefined) {
    if (
      !isJsonObject(error) || !Number.isInteger(error.code) || typeof error.message !== "string"
    ) {
      return invalid(`member "error" needs an integer "code" and a string "message"`, id, true);
    }
  }
  return "response";
}

function invalid(
  reason: string,
  id: RequestId | undefined,
  looksLikeResponse: boolean,
): InvalidMessage {
  return new InvalidMessage(reason, id, looksLikeResponse);
}
