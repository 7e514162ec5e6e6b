/**
 * State directory rules (DESIGN.md "Lifecycle rules") against the real file system:
 * resolution order, XDG verification, creation with 0700, refusal of unsafe
 * directories with the fix named, short socket paths, and the token file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { ShoalError } from "../src/errors.ts";
import { MAX_SOCKET_PATH } from "../src/runtime/types.ts";
import { keyPaths, shortSocketDir, tokenPath } from "../src/state/paths.ts";
import { ensureStateDir, resolveStateDir, verifyStateDir } from "../src/state/state_dir.ts";
import { ensureToken, readToken } from "../src/state/token.ts";
import { testIf } from "./_test_if.ts";
import { testDeps } from "./fixtures/lock_deps.ts";

const uid = testDeps.uid();
const NOBODY = 65534;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync("/tmp/sh-");
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refusal(path: string, problem: string, fix: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ShoalError);
    assert.equal(err.code, "ERR_UNSAFE_STATE_DIR");
    assert.equal(err.message, `Cannot use state directory "${path}": ${problem}; ${fix}`);
    return true;
  };
}

const modeOf = (path: string) => lstatSync(path).mode & 0o777;

test("resolveStateDir: --state-dir, then SHOAL_STATE_DIR, then XDG, then TMPDIR", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    const xdg = join(dir, "xdg");
    mkdirSync(xdg, { mode: 0o700 });
    const env = { SHOAL_STATE_DIR: "/srv/env", XDG_RUNTIME_DIR: xdg, TMPDIR: "/var/tmp" };
    const resolve = (options: { override?: string; env: Record<string, string>; cwd?: string }) =>
      resolveStateDir(testDeps, { uid, ...options });
    assert.equal(await resolve({ override: "/srv/flag", env }), "/srv/flag");
    assert.equal(await resolve({ override: "rel/x", env, cwd: "/home/u" }), "/home/u/rel/x");
    assert.equal(await resolve({ env }), "/srv/env");
    assert.equal(await resolve({ env: { ...env, SHOAL_STATE_DIR: "" } }), join(xdg, "shoal"));
    assert.equal(await resolve({ env: { TMPDIR: "/var/tmp/" } }), `/var/tmp/shoal-${uid}`);
    assert.equal(await resolve({ env: { TMPDIR: "relative" } }), `/tmp/shoal-${uid}`);
    assert.equal(await resolve({ env: {} }), `/tmp/shoal-${uid}`);
    await assert.rejects(resolve({ override: "rel", env }), TypeError);
  });
});

test("resolveStateDir: an unverified XDG_RUNTIME_DIR falls back to the TMPDIR path", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    const good = join(dir, "good");
    mkdirSync(good, { mode: 0o700 });
    const loose = join(dir, "loose");
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    const link = join(dir, "link");
    symlinkSync(good, link);
    const file = join(dir, "file");
    writeFileSync(file, "");
    const fallback = join(dir, `shoal-${uid}`);
    const check = async (xdg: string, expected: string) => {
      const env = { XDG_RUNTIME_DIR: xdg, TMPDIR: dir };
      assert.equal(await resolveStateDir(testDeps, { env, uid }), expected, xdg);
    };
    await check(good, join(good, "shoal"));
    await check(loose, fallback); // group/other bits
    await check(link, fallback); // symlink (lstat, not stat)
    await check(file, fallback);
    await check(join(dir, "missing"), fallback);
    await check("relative/xdg", fallback);
    // Not ours: a directory that is private but belongs to another uid.
    assert.equal(
      await resolveStateDir(testDeps, {
        env: { XDG_RUNTIME_DIR: good, TMPDIR: dir },
        uid: uid + 1,
      }),
      join(dir, `shoal-${uid + 1}`),
    );
  });
});

test("ensureStateDir: creates missing levels with mode 0700 even under a hostile umask", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    const state = join(dir, "a", "b", "state");
    const previous = process.umask(0o277); // would strip our own write bit
    try {
      await ensureStateDir(testDeps, state);
    } finally {
      process.umask(previous);
    }
    assert.equal(modeOf(state), 0o700);
    assert.ok(lstatSync(state).isDirectory());
    assert.equal(lstatSync(state).uid, uid);
    await ensureStateDir(testDeps, state); // existing and safe: fine, still 0700
    assert.equal(modeOf(state), 0o700);
    const open = join(dir, "open");
    const wide = process.umask(0);
    try {
      await ensureStateDir(testDeps, open); // mode 0700 never lets group/other bits in
    } finally {
      process.umask(wide);
    }
    assert.equal(modeOf(open), 0o700);
  });
});

test("ensureStateDir: a symlinked directory is refused", { timeout: 10_000 }, async () => {
  await withDir(async (dir) => {
    const real = join(dir, "real");
    mkdirSync(real, { mode: 0o700 });
    const link = join(dir, "state");
    symlinkSync(real, link);
    await assert.rejects(
      ensureStateDir(testDeps, link),
      refusal(link, "it is a symbolic link", "remove it or pass --state-dir"),
    );
  });
});

test("ensureStateDir: a 0777 directory is refused and left as it is", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    const state = join(dir, "state");
    mkdirSync(state);
    chmodSync(state, 0o777);
    await assert.rejects(
      ensureStateDir(testDeps, state),
      refusal(
        state,
        "it is writable by other users (mode 0777)",
        `run "chmod 700 ${state}" or pass --state-dir`,
      ),
    );
    assert.equal(modeOf(state), 0o777); // never chmod an existing directory behind the user
    chmodSync(state, 0o750);
    await assert.rejects(
      verifyStateDir(testDeps, state),
      refusal(
        state,
        "it is readable by other users (mode 0750)",
        `run "chmod 700 ${state}" or pass --state-dir`,
      ),
    );
  });
});

testIf(uid === 0, "ensureStateDir: a directory owned by another uid (nobody) is refused", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    const state = join(dir, "state");
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY, NOBODY);
    await assert.rejects(
      ensureStateDir(testDeps, state),
      refusal(
        state,
        `it is owned by uid ${NOBODY}, not by uid ${uid}`,
        "remove it or pass --state-dir",
      ),
    );
    assert.equal(modeOf(state), 0o700);
    assert.equal(lstatSync(state).uid, NOBODY); // untouched
  });
});

test("ensureStateDir: a file in the way and an uncreatable path are refused", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    const file = join(dir, "file");
    writeFileSync(file, "");
    await assert.rejects(
      ensureStateDir(testDeps, file),
      refusal(file, "it is not a directory", "remove it or pass --state-dir"),
    );
    await assert.rejects(ensureStateDir(testDeps, join(file, "below")), (err) => {
      assert.ok(err instanceof ShoalError && err.code === "ERR_UNSAFE_STATE_DIR");
      assert.match(
        err.message,
        /^Cannot create state directory ".*\/file\/below": .*; pass --state-dir$/,
      );
      return true;
    });
  });
});

test("keyPaths: files in the state dir; a too-long socket path moves to the short dir", {
  timeout: 10_000,
}, () => {
  const paths = keyPaths("/run/user/1000/shoal", "k1", { uid: 1000 });
  assert.deepEqual(paths, {
    socket: "/run/user/1000/shoal/k1.sock",
    socketDir: "/run/user/1000/shoal",
    lock: "/run/user/1000/shoal/k1.lock",
    log: "/run/user/1000/shoal/k1.log",
  });
  assert.equal(tokenPath("/run/user/1000/shoal"), "/run/user/1000/shoal/token");
  const deep = `/tmp/${"d".repeat(100)}`;
  const long = keyPaths(deep, "k1", { uid: 1000 });
  assert.equal(long.socketDir, shortSocketDir(1000));
  assert.equal(long.socketDir, "/tmp/shoal-1000-s");
  assert.match(long.socket, /^\/tmp\/shoal-1000-s\/[0-9a-f]{32}\.sock$/);
  assert.ok(new TextEncoder().encode(long.socket).length <= MAX_SOCKET_PATH);
  assert.equal(long.lock, `${deep}/k1.lock`);
  // Distinct state dirs or keys never share a short socket.
  assert.notEqual(keyPaths(`${deep}x`, "k1", { uid: 1000 }).socket, long.socket);
  assert.notEqual(keyPaths(deep, "k2", { uid: 1000 }).socket, long.socket);
  assert.equal(keyPaths(deep, "k1", { uid: 1000 }).socket, long.socket);
  // Exactly at the limit stays; one byte over moves.
  const at = "/" + "a".repeat(MAX_SOCKET_PATH - "/k.sock".length - 1);
  assert.equal(keyPaths(at, "k", { uid: 1 }).socket, `${at}/k.sock`);
  assert.equal(keyPaths(`${at}a`, "k", { uid: 1 }).socketDir, "/tmp/shoal-1-s");
  assert.throws(() => keyPaths("/s", "../escape", { uid: 1 }), TypeError);
});

test("ensureToken: one private random token, created once even when raced", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    assert.equal(await readToken(testDeps, dir), null);
    const tokens = await Promise.all(Array.from({ length: 16 }, () => ensureToken(testDeps, dir)));
    assert.equal(new Set(tokens).size, 1);
    assert.match(tokens[0], /^[0-9a-f]{64}$/);
    assert.equal(readFileSync(tokenPath(dir), "utf8"), `${tokens[0]}\n`);
    assert.equal(modeOf(tokenPath(dir)), 0o600);
    assert.equal(await readToken(testDeps, dir), tokens[0]);
    assert.equal(await ensureToken(testDeps, dir), tokens[0]);
    assert.deepEqual((await testDeps.fs.readDir(dir)).sort(), ["token"]); // temp files gone
  });
});

test("readToken: a token file that is not ours and private, or not a token, is refused", {
  timeout: 10_000,
}, async () => {
  await withDir(async (dir) => {
    const path = tokenPath(dir);
    const refused = (what: RegExp) => (err: unknown) => {
      assert.ok(err instanceof ShoalError && err.code === "ERR_UNSAFE_STATE_DIR");
      assert.match(err.message, what);
      return true;
    };
    writeFileSync(path, "a".repeat(64), { mode: 0o644 });
    chmodSync(path, 0o644);
    await assert.rejects(readToken(testDeps, dir), refused(/not a private regular file/));
    chmodSync(path, 0o600);
    assert.equal(await readToken(testDeps, dir), "a".repeat(64));
    writeFileSync(path, "short");
    await assert.rejects(ensureToken(testDeps, dir), refused(/does not hold a shoal token/));
  });
});
