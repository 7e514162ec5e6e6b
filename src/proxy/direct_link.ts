/**
 * Direct mode after the daemon is lost. When a daemon goes away and no other can be had
 * (the binary was removed by an upgrade, the state directory became unsafe, a new daemon
 * cannot start), the proxy runs the server as its own child and relays to it exactly as
 * it relays to a daemon: the host session replays the handshake, and the host carries
 * on. A host always gets a working server, before the first attach and after it.
 *
 * The child leads its own process group, so stopping it stops whatever it spawned.
 * If it exits, the relay looks for a daemon again first, then starts the server again
 * after the same backoff the daemon uses (0.5 s doubling to 30 s).
 */
import { RestartPolicy } from "../daemon/restart_policy.ts";
import type { ChildProcess, Conn, Runtime } from "../runtime/types.ts";
import { SILENT, within } from "../wire/patience.ts";

/** What the relay talks to: a daemon connection, or a direct server's pipes. */
export interface Link {
  conn: Conn;
  /** Bytes already read past the hello (none for a direct server). */
  rest: Uint8Array;
}

export interface DirectServerSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** SIGTERM, then SIGKILL for what is left of the group after this long. */
export const STOP_GRACE_MS = 2000;

export class DirectServers {
  readonly #runtime: Runtime;
  readonly #spec: DirectServerSpec;
  readonly #policy = new RestartPolicy();
  #child: ChildProcess | null = null;
  #startedAt = 0;
  #notBefore = 0;
  #stopped: Promise<void> = Promise.resolve();

  constructor(runtime: Runtime, spec: DirectServerSpec) {
    this.#runtime = runtime;
    this.#spec = spec;
  }

  /** Start the server (after the backoff its last exit earned) and link to its stdio. */
  async start(): Promise<Link> {
    const wait = this.#notBefore - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const child = this.#runtime.spawn(this.#spec.command, this.#spec.args, {
      cwd: this.#spec.cwd,
      env: this.#spec.env,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
      detached: true,
    });
    this.#child = child;
    this.#startedAt = Date.now();
    child.exited.then(() => {
      const now = Date.now();
      this.#notBefore = now + this.#policy.onExit(now, now - this.#startedAt).delayMs;
      if (this.#child === child) this.#child = null;
    });
    return { conn: childConn(child, () => void this.stop()), rest: new Uint8Array(0) };
  }

  /** Stop the running server and its group; resolves when it is gone (also when called again). */
  stop(): Promise<void> {
    const child = this.#child;
    if (child !== null) {
      this.#child = null;
      this.#stopped = stopGroup(child);
    }
    return this.#stopped;
  }
}

/** SIGTERM to the group, SIGKILL after {@link STOP_GRACE_MS}; resolves once the leader exited. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  child.killGroup("SIGTERM");
  if ((await within(child.exited, STOP_GRACE_MS)) !== SILENT) return;
  child.killGroup("SIGKILL");
  await child.exited;
}

function childConn(child: ChildProcess, stop: () => void): Conn {
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  return {
    read: () => stdout.read(),
    write: (data) => stdin.write(data),
    closeWrite: () => stdin.closeWrite(),
    close: stop,
  };
}
