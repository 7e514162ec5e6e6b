/**
 * Issue 6, security: the socket is 0600 inside a verified 0700 directory, another uid
 * cannot connect (tried as `nobody` when the tests run as root), and neither
 * `status --json` nor the daemon log ever prints an environment value or the token.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import process from "node:process";
import { testIf } from "./_test_if.ts";
import { makeStateDir, removeStateDir, waitFor } from "./harness/cleanup.ts";
import { RawSocket } from "./harness/raw_socket.ts";
import { HOSTILE_SERVER, startSocketDaemon } from "./harness/socket_daemon.ts";
import { makeWorld } from "./harness/shoal_env.ts";
import { runShoal } from "./harness/shoal.ts";

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0;

/** Try to connect to `path` as uid/gid 65534; returns what node reported. */
function connectAsNobody(path: string): string {
  const script = `require("node:net").createConnection({ path: ${JSON.stringify(path)} })
    .on("connect", () => { console.log("connected"); process.exit(0); })
    .on("error", (e) => { console.log(e.code); process.exit(0); });`;
  const r = spawnSync("setpriv", [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "node",
    "-e",
    script,
  ], {
    encoding: "utf8",
    timeout: 10_000,
  });
  return `${r.stdout}${r.stderr}`.trim();
}

test("the socket is 0600 in a 0700 directory of ours; the daemon refuses an open directory", {
  timeout: 60_000,
}, async () => {
  const daemon = await startSocketDaemon();
  try {
    const socket = lstatSync(daemon.socket);
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o777, 0o600, `socket mode ${(socket.mode & 0o777).toString(8)}`);
    assert.equal(socket.uid, process.getuid!());
    const dir = lstatSync(daemon.world.stateDir);
    assert.ok(dir.isDirectory() && !dir.isSymbolicLink());
    assert.equal(dir.mode & 0o777, 0o700);
    const token = lstatSync(`${daemon.world.stateDir}/token`);
    assert.equal(token.mode & 0o777, 0o600);
  } finally {
    await daemon.close();
  }
  const open = makeStateDir();
  try {
    chmodSync(open, 0o755);
    const r = await runShoal([
      "daemon",
      "--foreground",
      "--state-dir",
      open,
      "--idle",
      "0",
      "--",
      "node",
      HOSTILE_SERVER,
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /error: Cannot use state directory .*chmod 700/);
    assert.equal(existsSync(`${open}/token`), false, "nothing written into an open directory");
  } finally {
    removeStateDir(open);
  }
});

testIf(
  isRoot && hasSetpriv,
  "another uid (nobody) can neither reach the socket nor connect to it",
  { timeout: 60_000 },
  async () => {
    const daemon = await startSocketDaemon();
    // A world-searchable directory with a hard link to the very same socket: proves the
    // socket's own 0600 mode stops a stranger even where the directory would not.
    const exposed = mkdtempSync("/tmp/sh-x");
    try {
      assert.equal(connectAsNobody(daemon.socket), "EACCES", "0700 directory blocks the path");
      chmodSync(exposed, 0o755);
      linkSync(daemon.socket, `${exposed}/s.sock`);
      assert.equal(
        connectAsNobody(`${exposed}/s.sock`),
        "EACCES",
        "0600 socket blocks the connect",
      );
      // The same link works for us: the refusal was about the uid, not the link.
      const raw = await daemon.attach();
      raw.destroy();
      const viaLink = await RawSocket.attach(`${exposed}/s.sock`, daemon.token);
      await viaLink.initialize("via-link");
      viaLink.destroy();
    } finally {
      rmSync(exposed, { recursive: true, force: true });
      await daemon.close();
    }
  },
);

test("status --json, status and the daemon log never print environment values or the token", {
  timeout: 60_000,
}, async () => {
  const secrets = {
    MY_API_TOKEN: `tok-${crypto.randomUUID()}`,
    DATABASE_URL: `postgres://user:${crypto.randomUUID()}@db.internal:5432/app`,
    PLAIN_SETTING: `plain-${crypto.randomUUID()}`,
  };
  // The real launch path: a host's proxy starts the daemon, which logs to the state dir.
  const world = makeWorld();
  try {
    const host = await world.host(["node", HOSTILE_SERVER], {
      env: secrets,
      extra: ["--log-level", "trace"],
    });
    assert.equal((await host.callTool("echo", { text: "hello" })).text, "hello");
    const { json } = await world.status();
    const [d] = json.daemons;
    assert.ok(
      d.envNames.includes("MY_API_TOKEN") && d.envNames.includes("DATABASE_URL"),
      "names are shown",
    );
    const token = readFileSync(`${world.stateDir}/token`, "utf8").trim();
    // A stranger offering the real token's neighbour, and a host offering the real one.
    const wrong = await RawSocket.connect(d.socket);
    await wrong.hello({ token: token.replace(/.$/, (c) => (c === "0" ? "1" : "0")) });
    const right = await RawSocket.attach(d.socket, token);
    await right.initialize("raw");
    right.destroy();
    await waitFor(() => /hello_refused .*wrong token/.test(readFileSync(d.log, "utf8")), {
      what: "the refusal in the daemon log",
    });
    const human = await runShoal(["status", "--state-dir", world.stateDir]);
    const logs = await runShoal(["logs", d.key, "-n", "0", "--state-dir", world.stateDir]);
    const outputs = {
      "status --json": JSON.stringify(json),
      status: human.stdout + human.stderr,
      logs: logs.stdout + logs.stderr,
      "daemon log": readFileSync(d.log, "utf8"),
    };
    assert.equal(logs.status, 0, logs.stderr);
    assert.match(outputs.logs, / debug client_added /, "the most verbose level is on");
    // Trace shows the traffic both ways, and still no secret (they live in the env).
    assert.match(outputs.logs, / trace from_client .*client=\d+ bytes=\d+ \{.*"method":"tools\/call"/);
    assert.match(outputs.logs, / trace to_server .*lane=main bytes=\d+ \{.*"method":"tools\/call"/);
    assert.match(outputs.logs, / trace from_server .*lane=main bytes=\d+ \{.*"text":"hello"/);
    assert.match(outputs.logs, / trace to_client .*client=\d+ bytes=\d+ \{.*"text":"hello"/);
    assert.match(outputs.logs, /hello_refused .*wrong token/);
    assert.match(outputs.status, /hostile_server/);
    for (const [where, text] of Object.entries(outputs)) {
      for (const [name, value] of Object.entries(secrets)) {
        assert.ok(!text.includes(value), `${where} prints the value of ${name}`);
      }
      assert.ok(!text.includes(token), `${where} prints the token`);
    }
  } finally {
    await world.close();
  }
});
