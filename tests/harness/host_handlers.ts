/**
 * Answers a harness host gives to server→client requests (sampling, elicitation,
 * roots). Declaring a handler declares the matching client capability, the way a
 * real host only advertises what it can answer.
 */
import type { Client as V1Client } from "@modelcontextprotocol/sdk/client";
import type { Client as V2Client } from "@modelcontextprotocol/client";
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

type Answer = (params: Record<string, any>) => unknown;

export interface HostHandlers {
  /** `sampling/createMessage` → a CreateMessageResult. */
  sampling?: Answer;
  /** `elicitation/create` → an ElicitResult (`{ action, content? }`). */
  elicitation?: Answer;
  /** `roots/list` → `{ roots: [{ uri, name? }] }`. */
  roots?: Answer;
}

const METHODS = {
  sampling: "sampling/createMessage",
  elicitation: "elicitation/create",
  roots: "roots/list",
} as const;

const V1_SCHEMAS = {
  sampling: CreateMessageRequestSchema,
  elicitation: ElicitRequestSchema,
  roots: ListRootsRequestSchema,
} as const;

/** Client capabilities implied by the handlers given. */
export function impliedCapabilities(handlers: HostHandlers | undefined): Record<string, unknown> {
  const capabilities: Record<string, unknown> = {};
  if (handlers?.sampling) capabilities.sampling = {};
  if (handlers?.elicitation) capabilities.elicitation = { form: {} };
  if (handlers?.roots) capabilities.roots = { listChanged: true };
  return capabilities;
}

/** Register each handler on the client; every request answered is appended to `log`. */
export function installHandlers(
  client: V1Client | V2Client,
  sdk: "v1" | "v2",
  handlers: HostHandlers | undefined,
  log: { method: string; params: Record<string, any> }[],
): void {
  for (const kind of ["sampling", "elicitation", "roots"] as const) {
    const answer = handlers?.[kind];
    if (!answer) continue;
    const method = METHODS[kind];
    const handle = async (request: { params?: Record<string, any> }) => {
      const params = request.params ?? {};
      log.push({ method, params });
      return await answer(params) as any;
    };
    if (sdk === "v1") (client as V1Client).setRequestHandler(V1_SCHEMAS[kind], handle);
    else (client as V2Client).setRequestHandler(method, handle as any);
  }
}
