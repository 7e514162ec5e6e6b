/**
 * Builders for the responses shoal writes itself. Every error shoal produces goes
 * through {@link errorResponse}, so the shape (absent id when unknown, optional data)
 * is decided in one place.
 */
import type { JsonRpcError, JsonRpcResult, RequestId } from "./message.ts";

/** A result response echoing `id` exactly. */
export function resultResponse(id: RequestId, result: unknown): JsonRpcResult {
  return { jsonrpc: "2.0", id, result };
}

/**
 * An error response. `id` undefined omits the member (see {@link JsonRpcError});
 * `data` undefined omits it too, because the SDKs validate error objects strictly.
 */
export function errorResponse(
  id: RequestId | undefined,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcError {
  const error = data === undefined ? { code, message } : { code, message, data };
  return id === undefined ? { jsonrpc: "2.0", error } : { jsonrpc: "2.0", id, error };
}
