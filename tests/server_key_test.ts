import { test } from "node:test";
import assert from "node:assert/strict";
import { isKeyEnv, serverKey } from "../src/daemon/server_key.ts";

const base = { command: "/usr/bin/node", args: ["server.js"], root: "/work/a", env: {}, keyEnv: [] };

test("the same command, args, root and config env give the same key", { timeout: 5000 }, () => {
  const a = serverKey({ ...base, env: { API_KEY: "x", TERM_SESSION_ID: "1", SHLVL: "2" } });
  const b = serverKey({ ...base, env: { API_KEY: "x", TERM_SESSION_ID: "2", SHLVL: "5", SSH_AUTH_SOCK: "/s" } });
  assert.equal(a.key, b.key);
  assert.match(a.key, /^[0-9a-f]{16}$/);
  assert.deepEqual(a.envNames, ["API_KEY"]);
});

test("command, args, root and configuration env each split instances", { timeout: 5000 }, () => {
  const k = serverKey(base).key;
  assert.notEqual(serverKey({ ...base, command: "/usr/bin/bun" }).key, k);
  assert.notEqual(serverKey({ ...base, args: ["other.js"] }).key, k);
  assert.notEqual(serverKey({ ...base, root: "/work/b" }).key, k);
  assert.notEqual(serverKey({ ...base, env: { GITHUB_TOKEN: "t" } }).key, k);
  assert.notEqual(serverKey({ ...base, env: { MCP_MODE: "x" } }).key, k);
  assert.equal(serverKey({ ...base, env: { RANDOM_THING: "x" } }).key, k);
  assert.notEqual(serverKey({ ...base, env: { RANDOM_THING: "x" }, keyEnv: ["RANDOM_THING"] }).key, k);
});

test("--name keys by the name alone", { timeout: 5000 }, () => {
  const a = serverKey({ ...base, name: "db" });
  const b = serverKey({ ...base, args: ["x"], root: "/elsewhere", name: "db" });
  assert.equal(a.key, b.key);
  assert.equal(a.name, "db");
});

test("names: launchers show their subject, others their base name", { timeout: 5000 }, () => {
  assert.equal(serverKey({ ...base, command: "/usr/bin/npx", args: ["-y", "@x/server"] }).name, "@x/server");
  assert.equal(serverKey({ ...base, command: "/opt/bin/my-server", args: [] }).name, "my-server");
});

test("session noise never splits instances", { timeout: 5000 }, () => {
  for (const name of ["SSH_AUTH_SOCK", "TERM_PROGRAM", "WINDOWID", "SHLVL", "TMUX_PANE", "VSCODE_GIT_IPC_HANDLE", "KITTY_PID", "SHOAL_STATE_DIR"]) {
    assert.equal(isKeyEnv(name), false, name);
  }
  for (const name of ["OPENAI_API_KEY", "DATABASE_URL", "GITHUB_TOKEN", "AWS_PROFILE", "MCP_CONFIG"]) {
    assert.equal(isKeyEnv(name), true, name);
  }
});

test("names of path subjects: the package, not dist/index.js", { timeout: 5000 }, () => {
  const name = (arg: string) => serverKey({ ...base, args: [arg] }).name;
  assert.equal(name("/x/node_modules/@modelcontextprotocol/server-everything/dist/index.js"), "server-everything");
  assert.equal(name("tests/fixtures/pid_server.mjs"), "pid_server");
  assert.equal(name("server.py"), "server");
});
