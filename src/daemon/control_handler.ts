/**
 * Control connections (`shoal status|stop|restart`): after the hello, one JSON request
 * line, one JSON reply line, then the daemon closes. Control connections never count as
 * clients and never keep a daemon alive.
 */
import type { Conn } from "../runtime/types.ts";
import { readFirstLine } from "../wire/first_line.ts";
import type { Daemon } from "./daemon.ts";
import { daemonStatus } from "./status.ts";

const encoder = new TextEncoder();
const MAX_REQUEST_BYTES = 64 * 1024;

export async function handleControl(daemon: Daemon, conn: Conn, initial: Uint8Array): Promise<void> {
  try {
    const line = initial.includes(10)
      ? new TextDecoder().decode(initial.subarray(0, initial.indexOf(10)))
      : (await readFirstLine(prepend(initial, conn), MAX_REQUEST_BYTES))?.line;
    if (line === undefined) return;
    let op: unknown;
    try {
      op = (JSON.parse(line) as { op?: unknown }).op;
    } catch {
      op = undefined;
    }
    const reply = await answer(daemon, op);
    await conn.write(encoder.encode(`${JSON.stringify(reply)}\n`));
    if (op === "stop") {
      conn.close();
      await daemon.shutdown("stop requested");
    }
  } catch (err) {
    daemon.logger.warn("control_failed", { error: String(err) });
  } finally {
    conn.close();
  }
}

async function answer(daemon: Daemon, op: unknown): Promise<Record<string, unknown>> {
  switch (op) {
    case "status":
      return { ok: true, status: await daemonStatus(daemon) };
    case "stop":
      return { ok: true, pid: daemon.runtime.pid };
    case "restart":
      daemon.logger.info("restart_requested");
      await Promise.all([...daemon.lanes.values()].map((lane) => lane.restart()));
      return { ok: true, pid: daemon.runtime.pid };
    default:
      return { ok: false, error: `unknown control request ${JSON.stringify(op)}` };
  }
}

/** A reader that yields `head` before the connection's own bytes. */
function prepend(head: Uint8Array, conn: Conn) {
  let pending: Uint8Array | null = head.length > 0 ? head : null;
  return {
    read(): Promise<Uint8Array | null> {
      if (pending === null) return conn.read();
      const chunk = pending;
      pending = null;
      return Promise.resolve(chunk);
    },
  };
}
