/**
 * JSON-RPC 2.0 message shapes as they travel on an MCP stdio stream.
 *
 * Messages handed around by the router are the objects `JSON.parse` produced for one
 * line. The router owns them and rewrites ids in place instead of copying, so an object
 * passed to an output must be treated as read-only from then on (one object may be
 * shared by several outputs, e.g. a broadcast notification).
 */

/** A request id: a string or a number, never null (MCP forbids null ids). */
export type RequestId = string | number;

/** A JSON object with unknown members. */
export type JsonObject = Record<string, unknown>;

/** `params` may be an object (always, in MCP) or an array (JSON-RPC allows it). */
export type JsonRpcParams = JsonObject | unknown[];

export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: RequestId;
  method: string;
  params?: JsonRpcParams;
}

export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: JsonRpcParams;
}

export interface JsonRpcResult {
  jsonrpc: "2.0";
  id: RequestId;
  result: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * An error response. `id` is absent when the request's id could not be recovered:
 * JSON-RPC says `null` there, but both MCP TypeScript SDKs reject a `null` id and
 * accept an absent one, so absent is what keeps hosts working.
 */
export interface JsonRpcError {
  jsonrpc: "2.0";
  id?: RequestId;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcResult | JsonRpcError;

export type JsonRpcMessage =
  | JsonRpcRequest
  | JsonRpcNotification
  | JsonRpcResponse;

/** True for a valid request id: a string or a finite number. */
export function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" ||
    (typeof value === "number" && Number.isFinite(value));
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `params` of a message when they are an object (MCP never uses array params). */
export function objectParams(
  message: { params?: JsonRpcParams },
): JsonObject | undefined {
  const params = message.params;
  return isJsonObject(params) ? params : undefined;
}

/** True when the response carries an error. */
export function isErrorResponse(message: JsonRpcResponse): message is JsonRpcError {
  return (message as JsonRpcError).error !== undefined;
}
