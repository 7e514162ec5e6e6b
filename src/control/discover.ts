/**
 * Finding every daemon of one state directory without starting any: the election
 * locks name the sockets of ready daemons; draining daemons keep a private
 * `<socket>.<pid>.drain` socket beside theirs. Each is asked over a control
 * connection; one that stays silent past {@link CONTROL_TIMEOUT_MS} is watched like a
 * proxy watches a silent daemon (`patience.ts`): waited for while its process works, up
 * to {@link CONTROL_DEADLINE_MS}, and reported unresponsive when it is stopped, makes
 * no progress, or is still silent then.
 */
import type { Conn, Runtime } from "../runtime/types.ts";
import { attach } from "../wire/attach.ts";
import { parseLockRecord } from "../state/lock_record.ts";
import { judgeLiveness } from "../state/lock_liveness.ts";
import { readToken } from "../state/token.ts";
import { keyPaths } from "../state/paths.ts";
import { readFirstLine } from "../wire/first_line.ts";
import { type DaemonProcess, patiently, SILENT } from "../wire/patience.ts";
import type { DaemonStatus } from "../daemon/status.ts";

export const CONTROL_TIMEOUT_MS = 1500;
/** How long a silent daemon that keeps working is waited for. */
export const CONTROL_DEADLINE_MS = 10_000;

export type Found =
  | { kind: "running"; socket: string; status: DaemonStatus }
  | { kind: "unresponsive"; socket: string; key: string; pid: number; reason: string };

interface Candidate {
  socket: string;
  key: string;
  pid: number;
  /** From the election lock; a draining daemon's socket names only its pid. */
  startTime: string | null;
}

const encoder = new TextEncoder();

/** Every daemon of `stateDir`, answering or hung. Dead leftovers are skipped. */
export async function discoverDaemons(runtime: Runtime, stateDir: string, build: string): Promise<Found[]> {
  const token = await readToken(runtime, stateDir);
  if (token === null) return [];
  const found = await Promise.all(
    (await candidates(runtime, stateDir)).map(async (c): Promise<Found | null> => {
      const owner = { pid: c.pid, startTime: c.startTime };
      const reply = await controlRequest(runtime, c.socket, token, build, "status", { owner });
      if (reply.ok) return { kind: "running", socket: c.socket, status: reply.value.status as DaemonStatus };
      if (reply.unresponsive) {
        return { kind: "unresponsive", socket: c.socket, key: c.key, pid: c.pid, reason: reply.error };
      }
      return null;
    }),
  );
  return found.filter((f): f is Found => f !== null);
}

async function candidates(runtime: Runtime, stateDir: string): Promise<Candidate[]> {
  const names = await runtime.fs.readDir(stateDir).catch(() => [] as string[]);
  const out: Candidate[] = [];
  const dirs = new Set<string>();
  for (const name of names) {
    if (!name.endsWith(".lock")) continue;
    const key = name.slice(0, -".lock".length);
    const text = await runtime.fs.readTextFile(`${stateDir}/${name}`).catch(() => "");
    const record = parseLockRecord(text);
    if (record === null || (await judgeLiveness(runtime, record)) !== "alive") continue;
    out.push({ socket: record.socket, key, pid: record.pid, startTime: record.startTime });
    dirs.add(keyPaths(stateDir, key, { uid: runtime.uid() }).socketDir);
  }
  dirs.add(stateDir);
  for (const dir of dirs) {
    const entries = dir === stateDir ? names : await runtime.fs.readDir(dir).catch(() => []);
    for (const name of entries) {
      const drain = /^(.+)\.(\d+)\.drain$/.exec(name);
      if (drain) out.push({ socket: `${dir}/${name}`, key: drain[1], pid: Number(drain[2]), startTime: null });
    }
  }
  return out;
}

export type ControlReply =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; unresponsive: boolean; error: string };

export interface ControlOptions {
  /** The daemon's process, watched when it is slow to answer; without it, the timeout stands. */
  owner?: DaemonProcess;
}

/** One control request over a fresh connection. Never starts a daemon. */
export async function controlRequest(
  runtime: Runtime,
  socket: string,
  token: string,
  build: string,
  op: string,
  options: ControlOptions = {},
): Promise<ControlReply> {
  const timeoutMs = CONTROL_TIMEOUT_MS;
  const until = Date.now() + CONTROL_DEADLINE_MS;
  const attached = await attach(runtime, {
    paths: { socket, socketDir: "", lock: "", log: "" },
    key: "",
    token,
    build,
    role: "control",
    helloTimeoutMs: timeoutMs,
    deadlineMs: CONTROL_DEADLINE_MS,
    owner: options.owner,
  });
  if (!("conn" in attached)) return { ok: false, unresponsive: attached.unresponsive, error: attached.reason };
  const owner = () => Promise.resolve(options.owner ?? null);
  return await ask(attached.conn, op, (reply) => patiently(runtime, owner, reply, timeoutMs, until));
}

type Wait = <T>(reply: Promise<T>) => Promise<T | typeof SILENT | "gone">;

async function ask(conn: Conn, op: string, wait: Wait): Promise<ControlReply> {
  const sentAt = Date.now();
  try {
    await conn.write(encoder.encode(`${JSON.stringify({ op })}\n`));
    // Status of a daemon with many clients can be large; `restart` waits for the server.
    const reading = readFirstLine(conn, 64 * 1024 * 1024);
    const line = op === "restart" ? await reading : await wait(reading);
    if (line === SILENT) {
      return { ok: false, unresponsive: true, error: `no answer to "${op}" within ${Date.now() - sentAt} ms` };
    }
    if (line === null || line === "gone") return { ok: false, unresponsive: false, error: "daemon closed the connection" };
    const value = JSON.parse(line.line) as Record<string, unknown>;
    if (value.ok !== true) return { ok: false, unresponsive: false, error: String(value.error) };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, unresponsive: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    conn.close();
  }
}
