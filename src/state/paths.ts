/**
 * Names of the per-key files inside the state directory. The key hash (computed by the
 * server-identity module) names the socket, lock and log of one shared server.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { MAX_SOCKET_PATH } from "../runtime/types.ts";

/** The files of one shared server. */
export interface KeyPaths {
  /** Unix socket the daemon listens on. */
  socket: string;
  /**
   * Directory holding the socket: the state dir, or the short socket directory when the
   * normal path would be too long. The caller must `ensureStateDir()` it when it differs
   * from the state dir — it gets exactly the same safety checks.
   */
  socketDir: string;
  /** Election lock (see `acquireLock`). */
  lock: string;
  /** Daemon log. */
  log: string;
}

const KEY_HASH = /^[A-Za-z0-9_-]{1,64}$/;
const encoder = new TextEncoder();

/**
 * Paths for `keyHash` under `stateDir`. The socket is `<stateDir>/<keyHash>.sock` unless
 * that exceeds {@link MAX_SOCKET_PATH} bytes (sockaddr_un); then it is
 * `/tmp/shoal-<uid>-s/<hash>.sock`, where the hash covers state dir and key, so two
 * state directories never share a short socket. `/tmp` is used literally (not TMPDIR):
 * a long TMPDIR is exactly what makes the normal path too long.
 *
 * @example
 * ```ts
 * const paths = keyPaths(dir, keyHash, { uid: rt.uid() });
 * if (paths.socketDir !== dir) await ensureStateDir(rt, paths.socketDir);
 * ```
 */
export function keyPaths(stateDir: string, keyHash: string, options: { uid: number }): KeyPaths {
  if (!KEY_HASH.test(keyHash)) throw new TypeError(`Invalid key hash: "${keyHash}"`);
  const normal = join(stateDir, `${keyHash}.sock`);
  let socket = normal;
  let socketDir = stateDir;
  if (encoder.encode(normal).length > MAX_SOCKET_PATH) {
    socketDir = shortSocketDir(options.uid);
    const short = createHash("sha256").update(`${stateDir}\0${keyHash}`).digest("hex");
    socket = join(socketDir, `${short.slice(0, 32)}.sock`);
  }
  return {
    socket,
    socketDir,
    lock: join(stateDir, `${keyHash}.lock`),
    log: join(stateDir, `${keyHash}.log`),
  };
}

/** The directory for sockets whose normal path is too long. */
export function shortSocketDir(uid: number): string {
  return `/tmp/shoal-${uid}-s`;
}

/** The shared secret every hello must echo (see `ensureToken`). */
export function tokenPath(stateDir: string): string {
  return join(stateDir, "token");
}
