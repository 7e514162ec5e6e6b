/**
 * Finding every daemon of one state directory without starting any: the election
 * locks name the sockets of ready daemons; draining daemons keep a private
 * `<socket>.<pid>.drain` socket beside theirs. Each is asked over a control
 * connection; one that accepts but stays silent is reported unresponsive.
 */
import type { Conn, Runtime } from "../runtime/types.ts";
import { attach } from "../wire/attach.ts";
import { parseLockRecord } from "../state/lock_record.ts";
import { judgeLiveness } from "../state/lock_liveness.ts";
import { readToken } from "../state/token.ts";
import { keyPaths } from "../state/paths.ts";
import { readFirstLine } from "../wire/first_line.ts";
import type { DaemonStatus } from "../daemon/status.ts";

export const CONTROL_TIMEOUT_MS = 1500;

export type Found =
  | { kind: "running"; socket: string; status: DaemonStatus }
  | { kind: "unresponsive"; socket: string; key: string; pid: number; reason: string };

interface Candidate {
  socket: string;
  key: string;
  pid: number;
}

const encoder = new TextEncoder();

/** Every daemon of `stateDir`, answering or hung. Dead leftovers are skipped. */
export async function discoverDaemons(runtime: Runtime, stateDir: string, build: string): Promise<Found[]> {
  const token = await readToken(runtime, stateDir);
  if (token === null) return [];
  const found = await Promise.all(
    (await candidates(runtime, stateDir)).map(async (c): Promise<Found | null> => {
      const reply = await controlRequest(runtime, c.socket, token, build, "status");
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
    out.push({ socket: record.socket, key, pid: record.pid });
    dirs.add(keyPaths(stateDir, key, { uid: runtime.uid() }).socketDir);
  }
  dirs.add(stateDir);
  for (const dir of dirs) {
    const entries = dir === stateDir ? names : await runtime.fs.readDir(dir).catch(() => []);
    for (const name of entries) {
      const drain = /^(.+)\.(\d+)\.drain$/.exec(name);
      if (drain) out.push({ socket: `${dir}/${name}`, key: drain[1], pid: Number(drain[2]) });
    }
  }
  return out;
}

export type ControlReply =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; unresponsive: boolean; error: string };

/** One control request over a fresh connection. Never starts a daemon. */
export async function controlRequest(
  runtime: Runtime,
  socket: string,
  token: string,
  build: string,
  op: string,
  timeoutMs = CONTROL_TIMEOUT_MS,
): Promise<ControlReply> {
  const attached = await attach(runtime, {
    paths: { socket, socketDir: "", lock: "", log: "" },
    key: "",
    token,
    build,
    role: "control",
    helloTimeoutMs: timeoutMs,
    deadlineMs: 0,
  });
  if (!("conn" in attached)) return { ok: false, unresponsive: attached.unresponsive, error: attached.reason };
  return await ask(attached.conn, op, timeoutMs);
}

async function ask(conn: Conn, op: string, timeoutMs: number): Promise<ControlReply> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await conn.write(encoder.encode(`${JSON.stringify({ op })}\n`));
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    // Status of a daemon with many clients can be large; `restart` waits for the server.
    const line = await Promise.race([readFirstLine(conn, 64 * 1024 * 1024), op === "restart" ? never() : timeout]);
    if (line === "timeout") return { ok: false, unresponsive: true, error: `no answer to "${op}" within ${timeoutMs} ms` };
    if (line === null) return { ok: false, unresponsive: false, error: "daemon closed the connection" };
    const value = JSON.parse(line.line) as Record<string, unknown>;
    if (value.ok !== true) return { ok: false, unresponsive: false, error: String(value.error) };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, unresponsive: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

function never(): Promise<never> {
  return new Promise(() => {});
}
