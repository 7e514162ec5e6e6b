/**
 * The daemon's front door: accept connections, read each hello (bounded in time and
 * size), and carry out the admission verdict — refuse, serve a control client, send a
 * proxy elsewhere, step aside for a newer build, or attach a host. What happens after
 * the door is the daemon's business; it hands that in as callbacks.
 */
import type { Conn, Listener } from "../runtime/types.ts";
import { PROTOCOL, VERSION } from "../version.ts";
import { type ClientHello, type DaemonHello, encodeHello, MAX_HELLO_BYTES, parseClientHello } from "../wire/hello.ts";
import { readFirstLine } from "../wire/first_line.ts";
import { admit } from "./admission.ts";
import type { DaemonPhase } from "./daemon.ts";
import { HELLO_TIMEOUT_MS } from "./daemon_options.ts";
import type { Logger } from "./log.ts";

const encoder = new TextEncoder();
/** Pause after a failed accept (EMFILE and the like) before trying again. */
const ACCEPT_RETRY_MS = 100;

/** Who we are, as every hello says it. */
export interface Identity {
  build: string;
  key: string;
  pid: number;
  token: string;
}

/** What the door needs from the house behind it. */
export interface House {
  readonly logger: Logger;
  phase(): DaemonPhase;
  clientCount(): number;
  /** Serve a control connection (status, stop, restart) to its end. */
  control(conn: Conn, rest: Uint8Array): Promise<void>;
  /** Take a host in; `rest` is what it sent after its hello. */
  attach(conn: Conn, pid: number, rest: Uint8Array): void;
  drain(reason: string): Promise<void>;
  shutdown(reason: string): Promise<void>;
}

export class FrontDoor {
  readonly #me: Identity;
  readonly #house: House;

  constructor(me: Identity, house: House) {
    this.#me = me;
    this.#house = house;
  }

  /** Accept until the listener closes; a failed accept never stops serving. */
  async serve(listener: Listener): Promise<void> {
    const log = this.#house.logger;
    for (let failures = 0;;) {
      let conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        // Out of fds, or a peer gone before we took it: log the first of a streak.
        if (failures++ === 0) log.warn("accept_failed", { error: String(err) });
        await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
        continue;
      }
      if (conn === null) return;
      if (failures > 0) log.info("accept_recovered", { failures });
      failures = 0;
      this.#greet(conn).catch((err) => {
        log.warn("connection_failed", { error: String(err) });
        conn.close();
      });
    }
  }

  async #greet(conn: Conn): Promise<void> {
    const house = this.#house;
    const log = house.logger;
    const timer = setTimeout(() => {
      log.warn("hello_timeout");
      conn.close();
    }, HELLO_TIMEOUT_MS);
    let first;
    try {
      first = await readFirstLine(conn, MAX_HELLO_BYTES);
    } catch (err) {
      const reason = err instanceof RangeError ? "hello is longer than 64 KiB" : `hello unreadable: ${err}`;
      log.warn("hello_refused", { reason });
      return this.#refuse(conn, reason);
    } finally {
      clearTimeout(timer);
    }
    if (first === null) return conn.close();
    const hello = parseClientHello(first.line);
    const verdict = typeof hello === "string" ? { kind: "refuse" as const, reason: hello } : admit(hello, {
      token: this.#me.token,
      build: this.#me.build,
      phase: house.phase(),
      clients: house.clientCount(),
    });
    const peer = typeof hello === "string" ? undefined : hello.pid;
    switch (verdict.kind) {
      case "refuse":
        log.warn("hello_refused", { reason: verdict.reason, peer_pid: peer });
        return this.#refuse(conn, verdict.reason);
      case "control":
        await this.#send(conn, house.phase() === "ready" ? "ready" : "draining");
        return house.control(conn, first.rest);
      case "away":
        await this.#send(conn, verdict.state);
        return conn.close();
      case "replace":
      case "drain": {
        const build = (hello as ClientHello).build;
        log.info("newer_build", { their_build: build, clients: house.clientCount(), action: verdict.kind });
        if (verdict.kind === "drain") await house.drain(`build ${build} wants this key`);
        await this.#send(conn, verdict.kind === "drain" ? "draining" : "replaced");
        conn.close();
        if (verdict.kind === "replace") await house.shutdown(`replaced by build ${build}`);
        return;
      }
      case "attach":
        await this.#send(conn, "ready");
        house.attach(conn, peer!, first.rest);
    }
  }

  async #refuse(conn: Conn, error: string): Promise<void> {
    await this.#send(conn, "ready", error).catch(() => {});
    conn.close();
  }

  #send(conn: Conn, state: DaemonHello["state"], error?: string): Promise<void> {
    const hello: DaemonHello = {
      protocol: PROTOCOL,
      version: VERSION,
      build: this.#me.build,
      role: "daemon",
      state,
      pid: this.#me.pid,
      key: this.#me.key,
      ...(error ? { error } : {}),
    };
    return conn.write(encoder.encode(encodeHello(hello)));
  }
}
