/**
 * A listener whose accept backlog is full is busy, not gone. Deno reports EAGAIN for a
 * connect to one (node and Bun say ECONNREFUSED); the proxy used to take EAGAIN as
 * fatal and run the server directly at once. The listener here is a python3 process
 * that listens with a backlog of 1, fills it itself and never accepts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { availableAdapters, loadRuntime, selectRuntime } from "../src/runtime/select.ts";
import { RuntimeError } from "../src/runtime/types.ts";
import { keyPaths } from "../src/state/paths.ts";
import { attach } from "../src/wire/attach.ts";
import { tempDir } from "./fixtures/runtime_harness.ts";
import { testIf } from "./_test_if.ts";

const hasPython = spawnSync("python3", ["--version"], { stdio: "ignore" }).status === 0;

const FULL_LISTENER = `
import socket, sys, time
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(1)
queued = []
for _ in range(8):
    c = socket.socket(socket.AF_UNIX)
    c.setblocking(False)
    try:
        c.connect(path)
        queued.append(c)
    except OSError:
        break
print("full", flush=True)
time.sleep(60)
`;

async function fullListener(path: string): Promise<ChildProcess> {
  const child = spawn("python3", ["-c", FULL_LISTENER, path], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", () => resolve());
    child.once("exit", (code) => reject(new Error(`python3 listener exited with ${code}`)));
  });
  return child;
}

testIf(hasPython, "connect to a full backlog: EAGAIN or ECONNREFUSED on every adapter, never EOTHER", {
  timeout: 20_000,
}, async () => {
  const tmp = tempDir();
  const path = `${tmp.dir}/full.sock`;
  const listener = await fullListener(path);
  try {
    for (const runtime of await Promise.all(availableAdapters().map(loadRuntime))) {
      const err = await runtime.connectUnix(path).then((conn) => {
        conn.close();
        return null;
      }, (e) => e);
      assert.ok(err instanceof RuntimeError, `${runtime.name}: connect must fail`);
      assert.ok(["EAGAIN", "ECONNREFUSED"].includes(err.code), `${runtime.name}: ${err.code} (${err.message})`);
    }
  } finally {
    listener.kill("SIGKILL");
    tmp.remove();
  }
});

testIf(hasPython, "attach keeps trying a daemon whose backlog is full, up to its deadline", {
  timeout: 20_000,
}, async () => {
  const runtime = await selectRuntime();
  const tmp = tempDir();
  const paths = keyPaths(tmp.dir, "fullbacklog", { uid: runtime.uid() });
  const listener = await fullListener(paths.socket);
  let started = 0;
  try {
    const result = await attach(runtime, {
      paths,
      key: "fullbacklog",
      token: "0".repeat(64),
      build: "b",
      role: "proxy",
      helloTimeoutMs: 500,
      deadlineMs: 800,
      startDaemon: () => started++,
    });
    assert.ok(!("conn" in result));
    assert.match(result.reason, /no daemon answered within 800 ms/);
    assert.ok(started >= 1, "with no lock holder it tried to start a daemon meanwhile");
  } finally {
    listener.kill("SIGKILL");
    tmp.remove();
  }
});
