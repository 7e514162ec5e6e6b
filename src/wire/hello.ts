/**
 * The hello: one JSON line each way before any payload on a daemon socket. It proves
 * identity (the token from the 0600 file in the 0700 state dir; no runtime exposes
 * peer credentials) and carries versions so mismatched builds never share sessions.
 * Unknown fields are ignored, so later protocol revisions can add fields.
 */
export type Role = "proxy" | "control";
export type DaemonState = "ready" | "draining" | "replaced";

/** What a client (proxy or control) sends first. */
export interface ClientHello {
  protocol: number;
  version: string;
  build: string;
  token: string;
  role: Role;
  pid: number;
  key: string;
}

/** What the daemon answers. `state` other than "ready" means: go elsewhere. */
export interface DaemonHello {
  protocol: number;
  version: string;
  build: string;
  role: "daemon";
  state: DaemonState;
  pid: number;
  key: string;
  /** Present when the hello was refused; the connection closes after it. */
  error?: string;
}

/** A hello line longer than this is refused unread. */
export const MAX_HELLO_BYTES = 64 * 1024;

export function encodeHello(hello: ClientHello | DaemonHello): string {
  return `${JSON.stringify(hello)}\n`;
}

/** Parse a client hello; returns an error string instead of throwing. */
export function parseClientHello(line: string): ClientHello | string {
  const value = parseObject(line);
  if (typeof value === "string") return value;
  const { protocol, version, build, token, role, pid, key } = value;
  if (typeof protocol !== "number") return "hello has no protocol number";
  if (typeof token !== "string") return "hello has no token";
  if (role !== "proxy" && role !== "control") return `hello has unknown role ${JSON.stringify(role)}`;
  return {
    protocol,
    version: String(version ?? ""),
    build: String(build ?? ""),
    token,
    role,
    pid: typeof pid === "number" ? pid : 0,
    key: String(key ?? ""),
  };
}

/** Parse the daemon's hello; returns an error string instead of throwing. */
export function parseDaemonHello(line: string): DaemonHello | string {
  const value = parseObject(line);
  if (typeof value === "string") return value;
  const { protocol, version, build, state, pid, key, error } = value;
  if (typeof protocol !== "number") return "daemon hello has no protocol number";
  if (state !== "ready" && state !== "draining" && state !== "replaced") {
    return `daemon hello has unknown state ${JSON.stringify(state)}`;
  }
  return {
    protocol,
    version: String(version ?? ""),
    build: String(build ?? ""),
    role: "daemon",
    state,
    pid: typeof pid === "number" ? pid : 0,
    key: String(key ?? ""),
    ...(typeof error === "string" ? { error } : {}),
  };
}

function parseObject(line: string): Record<string, unknown> | string {
  if (line.length > MAX_HELLO_BYTES) return "hello is longer than 64 KiB";
  try {
    const value = JSON.parse(line);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return "hello is not a JSON object";
    }
    return value as Record<string, unknown>;
  } catch {
    return "hello is not valid JSON";
  }
}
