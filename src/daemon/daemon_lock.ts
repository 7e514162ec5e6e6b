/**
 * The daemon's hold on its key: the election lock plus the self-check that notices
 * split brain (lock taken over, socket replaced or removed, state dir gone).
 */
import type { Runtime } from "../runtime/types.ts";
import { acquireLock, type HeldLock } from "../state/lock.ts";
import type { KeyPaths } from "../state/paths.ts";
import { PROTOCOL, VERSION } from "../version.ts";

export interface SelfCheckProblem {
  reason: string;
  /** True when the key is no longer ours: leave the socket path alone. */
  lockLost: boolean;
}

export interface DaemonLock {
  readonly nonce: string;
  release(): Promise<boolean>;
  verify(paths: KeyPaths): Promise<SelfCheckProblem | null>;
}

/** Win the election for `paths.lock`, or null when a live daemon holds it. */
export async function acquireDaemonLock(
  runtime: Runtime,
  paths: KeyPaths,
  build: string,
): Promise<DaemonLock | null> {
  const verdict = await acquireLock(runtime, paths.lock, {
    protocol: PROTOCOL,
    version: VERSION,
    build,
    socket: paths.socket,
  });
  if (!verdict.won) return null;
  return wrap(runtime, verdict.lock);
}

function wrap(runtime: Runtime, lock: HeldLock): DaemonLock {
  return {
    nonce: lock.record.nonce,
    release: () => lock.release(),
    async verify(paths) {
      if (!(await lock.isHeld())) {
        return { reason: "the lock no longer holds our nonce", lockLost: true };
      }
      const socket = await runtime.fs.lstat(paths.socket).catch(() => null);
      if (socket === null || !socket.isSocket) {
        return { reason: `the socket "${paths.socket}" was removed`, lockLost: false };
      }
      return null;
    },
  };
}
