/**
 * Publishing the socket: listen on a private temporary name (created under umask 0177,
 * then chmod 0600), and only then rename it onto the well-known path. A proxy can never
 * connect to a socket that is not yet listening, and rename replaces a stale file
 * atomically.
 */
import { type Listener, MAX_SOCKET_PATH, type Runtime } from "../runtime/types.ts";
import type { KeyPaths } from "../state/paths.ts";
import { ShoalError } from "../errors.ts";

/** Listen on `paths.socket`; a failure is a ShoalError naming the path (the daemon log shows it). */
export async function publishSocket(runtime: Runtime, paths: KeyPaths, nonce: string): Promise<Listener> {
  try {
    return await listenThenRename(runtime, paths, nonce);
  } catch (err) {
    if (err instanceof ShoalError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ShoalError("ERR_SOCKET_PATH", `Cannot listen on "${paths.socket}": ${reason}`, { cause: err });
  }
}

async function listenThenRename(runtime: Runtime, paths: KeyPaths, nonce: string): Promise<Listener> {
  const dir = paths.socket.slice(0, paths.socket.lastIndexOf("/"));
  const temp = `${dir}/.${nonce.slice(0, 12)}.tmp`;
  await runtime.fs.unlink(temp).catch(() => {});
  const previous = runtime.fs.umask(0o177);
  let listener: Listener;
  try {
    listener = await runtime.listenUnix(temp);
  } finally {
    runtime.fs.umask(previous);
  }
  try {
    await runtime.fs.chmod(temp, 0o600);
    await runtime.fs.rename(temp, paths.socket);
  } catch (err) {
    listener.close();
    await runtime.fs.unlink(temp).catch(() => {});
    throw err;
  }
  return listener;
}

/**
 * A draining daemon gives up the well-known path but keeps listening under
 * `<key>.<pid>.drain` beside it, so `status` and `stop` still find it. Returns that
 * path, or null when it would be too long (then the socket is simply unlinked).
 */
export async function moveSocketAside(runtime: Runtime, paths: KeyPaths): Promise<string | null> {
  const aside = `${paths.socket.replace(/\.sock$/, "")}.${runtime.pid}.drain`;
  const fits = new TextEncoder().encode(aside).length <= MAX_SOCKET_PATH;
  if (fits && await runtime.fs.rename(paths.socket, aside).then(() => true, () => false)) return aside;
  await runtime.fs.unlink(paths.socket).catch(() => {});
  return null;
}
