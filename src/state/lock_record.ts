/**
 * The bytes inside a lock file (and a breaker claim). Pure: parse and serialize only.
 * One JSON object on one line; unknown fields are ignored and missing descriptive fields
 * get neutral defaults, so a newer shoal's record is still judged by pid and start time
 * instead of being mistaken for garbage.
 */

/** Who holds a lock or a breaker claim. */
export interface LockOwner {
  pid: number;
  /** Process start time (see `probeProcess`); null when it could not be read. */
  startTime: string | null;
  /** Random per acquisition: the only thing compare-and-delete trusts. */
  nonce: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A daemon's election record. */
export interface LockRecord extends LockOwner {
  /** Wire protocol version of the daemon's socket (0 = unknown). */
  protocol: number;
  version: string;
  build: string;
  /** Where the winner will listen. */
  socket: string;
}

/** One line of JSON, newline-terminated. */
export function serializeLockRecord(record: LockRecord): string {
  const { pid, startTime, nonce, protocol, version, build, socket, createdAt } = record;
  return JSON.stringify({ pid, startTime, nonce, protocol, version, build, socket, createdAt }) +
    "\n";
}

/** Serialize just the owner fields (breaker claims carry nothing else). */
export function serializeLockOwner(owner: LockOwner): string {
  const { pid, startTime, nonce, createdAt } = owner;
  return JSON.stringify({ pid, startTime, nonce, createdAt }) + "\n";
}

/** The owner fields, or null when `text` is not a record (corrupt, empty, truncated). */
export function parseLockOwner(text: string): LockOwner | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  // pid 0 or negative would make kill(pid, 0) probe a whole process group.
  if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return null;
  if (typeof v.nonce !== "string" || v.nonce === "") return null;
  return {
    pid: v.pid as number,
    startTime: typeof v.startTime === "string" ? v.startTime : null,
    nonce: v.nonce,
    createdAt: typeof v.createdAt === "number" ? v.createdAt : 0,
  };
}

/** A full lock record, or null when `text` is not one. */
export function parseLockRecord(text: string): LockRecord | null {
  const owner = parseLockOwner(text);
  if (owner === null) return null;
  const v = JSON.parse(text) as Record<string, unknown>;
  return {
    ...owner,
    protocol: typeof v.protocol === "number" ? v.protocol : 0,
    version: typeof v.version === "string" ? v.version : "",
    build: typeof v.build === "string" ? v.build : "",
    socket: typeof v.socket === "string" ? v.socket : "",
  };
}
