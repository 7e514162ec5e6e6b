/**
 * The status record of one daemon: the stable `shoal status --json` schema (version
 * `schema: 1`, documented in docs/status.md). Names of environment variables appear;
 * their values and the token never do.
 */
import { VERSION } from "../version.ts";
import type { Daemon } from "./daemon.ts";
import { rssBytes } from "./proc_rss.ts";

export interface ClientStatus {
  id: number;
  pid: number;
  host: string | null;
  hostVersion: string | null;
  protocolVersion: string | null;
  inFlight: number;
  attachedAt: string;
}

export interface UpstreamStatus {
  lane: string;
  pid: number;
  state: string;
  restarts: number;
  lastExit: { code: number | null; signal: string | null } | null;
  stderrTail: string[];
  rssBytes: number | null;
}

/** The router's tables for one lane: all zero/empty when nobody uses it. */
export interface LaneTables {
  lane: string;
  era: string;
  protocolVersion: string | null;
  clients: number;
  pending: number;
  progressTokens: number;
  held: number;
  subscriptions: number;
  tasks: number;
  serverRequests: number;
}

export interface DaemonStatus {
  schema: 1;
  key: string;
  name: string;
  command: string;
  args: string[];
  cwd: string;
  scope: string;
  envNames: string[];
  pid: number;
  version: string;
  build: string;
  adapter: string;
  state: string;
  startedAt: string;
  uptimeMs: number;
  clients: ClientStatus[];
  upstreams: UpstreamStatus[];
  lanes: LaneTables[];
  requestsServed: number;
  idle: { timeoutMs: number; expiresInMs: number | null };
  socket: string;
  log: string;
  rssBytes: number | null;
}

export async function daemonStatus(daemon: Daemon): Promise<DaemonStatus> {
  const o = daemon.options;
  const fs = daemon.runtime.fs;
  const snapshot = daemon.router.snapshot();
  const now = Date.now();
  const clients: ClientStatus[] = [...daemon.sessions.values()].map((s) => {
    const c = snapshot.clients.find((x) => x.client === s.id);
    return {
      id: s.id,
      pid: s.pid,
      host: c?.name ?? null,
      hostVersion: c?.version ?? null,
      protocolVersion: c?.protocolVersion ?? null,
      inFlight: c?.inFlight ?? 0,
      attachedAt: new Date(s.attachedAt).toISOString(),
    };
  });
  const upstreams = await Promise.all([...daemon.lanes.values()].map(async (u) => ({
    lane: u.lane,
    pid: u.pid,
    state: u.state,
    restarts: u.restarts,
    lastExit: u.lastExit,
    stderrTail: [...u.stderrTail],
    rssBytes: u.running ? await rssBytes(fs, u.pid) : null,
  })));
  return {
    schema: 1,
    key: o.key.key,
    name: o.key.name,
    command: o.command,
    args: o.args,
    cwd: o.cwd,
    scope: o.scope,
    envNames: o.key.envNames,
    pid: daemon.runtime.pid,
    version: VERSION,
    build: o.build,
    adapter: daemon.runtime.name,
    state: daemon.phase,
    startedAt: new Date(daemon.startedAt).toISOString(),
    uptimeMs: now - daemon.startedAt,
    clients,
    upstreams,
    lanes: snapshot.lanes.map((l) => ({
      lane: l.lane,
      era: l.era,
      protocolVersion: l.protocolVersion ?? null,
      clients: l.clients,
      pending: l.pending,
      progressTokens: l.progressTokens,
      held: l.held,
      subscriptions: l.subscriptions.length,
      tasks: l.tasks,
      serverRequests: l.serverRequests,
    })),
    requestsServed: snapshot.totals.requestsServed,
    idle: {
      timeoutMs: o.idleMs,
      expiresInMs: daemon.idle.deadline === null ? null : Math.max(0, daemon.idle.deadline - now),
    },
    socket: daemon.paths.socket,
    log: daemon.paths.log,
    rssBytes: await rssBytes(fs, daemon.runtime.pid),
  };
}
