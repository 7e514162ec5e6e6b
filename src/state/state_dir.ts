/**
 * Where shoal keeps its sockets, locks, logs and token, and the checks that make that
 * place safe: no peer credentials exist on any runtime, so the 0700 directory (plus the
 * token) is the whole access control. Rules: DESIGN.md "Lifecycle rules".
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { type Fs, RuntimeError } from "../runtime/types.ts";
import { ShoalError } from "../errors.ts";

/** What resolving needs: the environment and uid are passed in so tests can vary them. */
export interface ResolveStateDirOptions {
  /** `--state-dir`; wins over everything. */
  override?: string;
  /** The process environment (`SHOAL_STATE_DIR`, `XDG_RUNTIME_DIR`, `TMPDIR`). */
  env: Record<string, string | undefined>;
  /** Our effective uid: the owner every directory must have. */
  uid: number;
  /** Base for a relative override; a relative override without it is a programmer error. */
  cwd?: string;
}

/**
 * Pick the state directory: `--state-dir`, else `SHOAL_STATE_DIR`, else
 * `$XDG_RUNTIME_DIR/shoal` when XDG_RUNTIME_DIR is absolute, a real directory (not a
 * symlink), ours and closed to others, else `${TMPDIR:-/tmp}/shoal-<uid>`. Does not
 * create anything: call {@link ensureStateDir} on the result.
 *
 * @example
 * ```ts
 * const dir = await resolveStateDir(rt, { env: rt.env(), uid: rt.uid(), cwd: rt.cwd() });
 * await ensureStateDir(rt, dir);
 * ```
 */
export async function resolveStateDir(
  deps: { fs: Fs },
  options: ResolveStateDirOptions,
): Promise<string> {
  const chosen = options.override || options.env.SHOAL_STATE_DIR;
  if (chosen) {
    if (isAbsolute(chosen)) return resolve(chosen);
    if (options.cwd === undefined) {
      throw new TypeError(`Cannot resolve relative state directory "${chosen}" without cwd`);
    }
    return resolve(options.cwd, chosen);
  }
  const xdg = options.env.XDG_RUNTIME_DIR;
  if (xdg && isAbsolute(xdg) && await isPrivateDir(deps.fs, xdg, options.uid)) {
    return join(resolve(xdg), "shoal");
  }
  const tmp = options.env.TMPDIR;
  const base = tmp && isAbsolute(tmp) ? resolve(tmp) : "/tmp";
  return join(base, `shoal-${options.uid}`);
}

async function isPrivateDir(fs: Fs, path: string, uid: number): Promise<boolean> {
  try {
    return describeUnsafe(await fs.lstat(path), uid) === null;
  } catch {
    return false;
  }
}

/**
 * Why a directory with this lstat result is unsafe for uid `uid`, or null when it is
 * safe. Pure, so the daemon can re-verify cheaply on every start and connect.
 */
export function describeUnsafe(
  info: { isSymlink: boolean; isDirectory: boolean; uid: number; mode: number },
  uid: number,
): string | null {
  if (info.isSymlink) return "it is a symbolic link";
  if (!info.isDirectory) return "it is not a directory";
  if (info.uid !== uid) return `it is owned by uid ${info.uid}, not by uid ${uid}`;
  const open = info.mode & 0o077;
  if (open === 0) return null;
  const mode = (info.mode & 0o7777).toString(8).padStart(4, "0");
  const how = open & 0o022 ? "writable" : "readable";
  return `it is ${how} by other users (mode ${mode})`;
}

/** The fix we name for each problem: only the owner may chmod, so never suggest it to others. */
function fixFor(path: string, problem: string): string {
  if (problem.startsWith("it is writable") || problem.startsWith("it is readable")) {
    return `run "chmod 700 ${path}" or pass --state-dir`;
  }
  return "remove it or pass --state-dir";
}

/**
 * Check an existing state directory (lstat only, never creates or chmods). Throws
 * {@link ShoalError} `ERR_UNSAFE_STATE_DIR` naming the fix (also when it cannot be
 * examined: either way the caller must not use it).
 */
export async function verifyStateDir(deps: { fs: Fs; uid(): number }, path: string): Promise<void> {
  let info;
  try {
    info = await deps.fs.lstat(path);
  } catch (err) {
    throw unavailable(path, err);
  }
  const problem = describeUnsafe(info, deps.uid());
  if (problem !== null) {
    throw new ShoalError(
      "ERR_UNSAFE_STATE_DIR",
      `Cannot use state directory "${path}": ${problem}; ${fixFor(path, problem)}`,
    );
  }
}

/**
 * Create the state directory (and missing parents) with mode 0700, then verify it with
 * lstat: a real directory, owned by us, no group/other bits. A directory that already
 * exists is never chmodded: a loose mode is the user's to fix, and one we do not own
 * is not ours to touch.
 */
export async function ensureStateDir(deps: { fs: Fs; uid(): number }, path: string): Promise<void> {
  if (!isAbsolute(path)) throw new TypeError(`State directory must be absolute: "${path}"`);
  await createDir(deps, path);
  await verifyStateDir(deps, path);
}

/** mkdir -p with 0700 for every level we create (each made usable by its owner). */
async function createDir(deps: { fs: Fs; uid(): number }, path: string): Promise<void> {
  try {
    await deps.fs.mkdir(path, 0o700);
  } catch (err) {
    if (err instanceof RuntimeError && err.code === "EEXIST") return;
    const parent = dirname(path);
    if (!(err instanceof RuntimeError && err.code === "ENOENT" && parent !== path)) {
      throw unavailable(path, err);
    }
    await createDir(deps, parent);
    return createDir(deps, path);
  }
  await fixOwnerBits(deps, path);
}

/**
 * mkdir's mode is filtered by the umask: group/other bits can only be removed (good),
 * but a strict umask can also strip our own rwx. Restore those on a directory we just
 * made — after lstat confirms it is still our real directory, so chmod (which follows
 * symlinks) cannot be pointed at somebody else's file.
 */
async function fixOwnerBits(deps: { fs: Fs; uid(): number }, path: string): Promise<void> {
  try {
    const info = await deps.fs.lstat(path);
    if (describeUnsafe(info, deps.uid()) !== null) return; // verify reports it
    if ((info.mode & 0o700) !== 0o700) await deps.fs.chmod(path, 0o700);
  } catch (err) {
    throw unavailable(path, err);
  }
}

function unavailable(path: string, err: unknown): ShoalError {
  const reason = err instanceof RuntimeError && err.code === "EACCES"
    ? "permission denied"
    : err instanceof Error
    ? err.message
    : String(err);
  return new ShoalError(
    "ERR_UNSAFE_STATE_DIR",
    `Cannot create state directory "${path}": ${reason}; pass --state-dir`,
    { cause: err },
  );
}
