/**
 * The random token in a 0600 file that every hello must echo. Runtimes expose no peer
 * credentials, so this (with the 0700 directory) is how a daemon knows a client may
 * talk to it.
 */
import { randomBytes } from "node:crypto";
import { type Fs, RuntimeError } from "../runtime/types.ts";
import { tokenPath } from "./paths.ts";
import { ShoalError } from "../errors.ts";

const TOKEN = /^([0-9a-f]{64})\n?$/;

/**
 * Read the token, or null when there is none yet. A token file that is not a regular
 * file of ours, closed to others, holding 64 hex digits, is refused.
 */
export async function readToken(
  deps: { fs: Fs; uid(): number },
  stateDir: string,
): Promise<string | null> {
  const path = tokenPath(stateDir);
  let info;
  try {
    info = await deps.fs.lstat(path);
  } catch (err) {
    if (err instanceof RuntimeError && err.code === "ENOENT") return null;
    throw err;
  }
  const fix = `remove "${path}" (running daemons must be stopped) or pass --state-dir`;
  if (!info.isFile || info.uid !== deps.uid() || (info.mode & 0o077) !== 0) {
    throw new ShoalError(
      "ERR_UNSAFE_STATE_DIR",
      `Cannot use token file "${path}": it is not a private regular file of ours; ${fix}`,
    );
  }
  const match = TOKEN.exec(await deps.fs.readTextFile(path));
  if (match === null) {
    throw new ShoalError(
      "ERR_UNSAFE_STATE_DIR",
      `Cannot use token file "${path}": it does not hold a shoal token; ${fix}`,
    );
  }
  return match[1];
}

/**
 * Return the token, creating it once. Creation writes a private temp file and links it
 * into place, so a reader never sees a partial token and concurrent creators agree on
 * the first one linked (EEXIST = somebody else's token won; read theirs).
 */
export async function ensureToken(
  deps: { fs: Fs; uid(): number },
  stateDir: string,
): Promise<string> {
  const existing = await readToken(deps, stateDir);
  if (existing !== null) return existing;
  const token = randomBytes(32).toString("hex");
  const temp = `${tokenPath(stateDir)}.${randomBytes(8).toString("hex")}.tmp`;
  await deps.fs.writeFileExclusive(temp, `${token}\n`, 0o600);
  try {
    await deps.fs.link(temp, tokenPath(stateDir));
    return token;
  } catch (err) {
    if (!(err instanceof RuntimeError && err.code === "EEXIST")) throw err;
  } finally {
    await deps.fs.unlink(temp).catch(() => {});
  }
  const winner = await readToken(deps, stateDir);
  if (winner === null) throw new Error(`Token file "${tokenPath(stateDir)}" vanished after link`);
  return winner;
}
