/** Black-box CLI tests: exact stdout, stderr and exit status (deployctl style). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ROOT, runShoal } from "./harness/shoal.ts";
import { VERSION } from "../src/version.ts";

const GOLDEN_HELP = readFileSync(`${ROOT}/tests/golden/help.txt`, "utf8");

test("--help is pinned by the golden file and lists only working commands", { timeout: 30_000 }, async () => {
  const r = await runShoal(["--help"]);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, GOLDEN_HELP);
});

test("--version prints the version", { timeout: 30_000 }, async () => {
  const r = await runShoal(["--version"]);
  assert.deepEqual(r, { status: 0, stdout: `shoal ${VERSION}\n`, stderr: "" });
});

test("help <command> and <command> --help print the command's help", { timeout: 30_000 }, async () => {
  for (const name of ["proxy", "status", "stop", "restart", "logs", "daemon"]) {
    const a = await runShoal(["help", name]);
    const b = await runShoal([name, "--help"]);
    assert.equal(a.status, 0, name);
    assert.match(a.stdout, new RegExp(`^Usage: shoal ${name}`), name);
    assert.equal(b.stdout, a.stdout, name);
  }
});

test("unknown command or option: error plus usage hint on stderr, exit 2", { timeout: 30_000 }, async () => {
  assert.deepEqual(await runShoal(["frobnicate"]), {
    status: 2,
    stdout: "",
    stderr: 'error: unknown command "frobnicate"\nhint: run "shoal --help" for usage\n',
  });
  assert.deepEqual(await runShoal(["--frob"]), {
    status: 2,
    stdout: "",
    stderr: 'error: unknown option "--frob"\nhint: run "shoal --help" for usage\n',
  });
  assert.deepEqual(await runShoal(["status", "--frob"]), {
    status: 2,
    stdout: "",
    stderr: 'error: status: unknown option "--frob"\nhint: run "shoal help status" for usage\n',
  });
  assert.deepEqual(await runShoal(["help", "nope"]), {
    status: 2,
    stdout: "",
    stderr: 'error: unknown command "nope"\nhint: run "shoal --help" for usage\n',
  });
});

test("proxy without a server command explains where it goes", { timeout: 30_000 }, async () => {
  const r = await runShoal(["proxy"]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^error: proxy: missing server command after "--"\nhint: run "shoal help proxy" for usage\n$/);
});

test("no arguments prints the help on stderr and exits 2", { timeout: 30_000 }, async () => {
  const r = await runShoal([]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, GOLDEN_HELP);
});
