/**
 * Publishing the socket: listen on a private temporary name (created under umask 0177,
 * then chmod 0600), and only then rename it onto the well-known path. A proxy can never
 * connect to a socket that is not yet listening, and rename replaces a stale file
 * atomically.
 */
import type { Listener, Runtime } from "../runtime/types.ts";
import type { KeyPaths } from "../state/paths.ts";

export async function publishSocket(runtime: Runtime, paths: KeyPaths, nonce: string): Promise<Listener> {
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
