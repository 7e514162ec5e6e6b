/**
 * Runtime adapter conformance for "this process": our stdout on a closed pipe, ppid
 * after reparenting, signal handlers, re-running ourselves, and adapter selection.
 * Each runs a fixture as a real child on the engine under test, once per adapter.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { availableAdapters, loadRuntime, selectRuntime } from "../src/runtime/select.ts";
import { hostEngine } from "../src/runtime/_engine.ts";
import { fixtureCommand, fixtureEnv, readAll, TextCollector } from "./fixtures/runtime_harness.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const runtimes = await Promise.all(availableAdapters().map(loadRuntime));

test(
  "availableAdapters lists the engine's own adapter first, then node",
  { timeout: 5_000 },
  () => {
    const engine = hostEngine();
    assert.deepEqual(availableAdapters(), engine === "node" ? ["node"] : [engine, "node"]);
    for (const runtime of runtimes) assert.equal(runtime.engine, engine);
  },
);

test("selectRuntime follows SHOAL_ADAPTER, else the engine", { timeout: 15_000 }, async () => {
  const runtime = await selectRuntime();
  const env = runtime.env();
  delete env.SHOAL_ADAPTER;
  for (const wanted of [...availableAdapters(), ""]) {
    const [command, ...args] = fixtureCommand(runtime, "runtime_self.ts", []);
    const child = runtime.spawn(command, args, {
      env: wanted ? { ...env, SHOAL_ADAPTER: wanted } : env,
      stdin: "null",
      stdout: "pipe",
    });
    const out = decode(await readAll(child.stdout!));
    assert.match(out, new RegExp(`^again adapter=${wanted || hostEngine()} `, "m"));
    await child.exited;
  }
  const [command, ...args] = fixtureCommand(runtime, "runtime_self.ts", []);
  const bad = runtime.spawn(command, args, {
    env: { ...env, SHOAL_ADAPTER: "java" },
    stdin: "null",
    stdout: "null",
    stderr: "pipe",
  });
  assert.match(decode(await readAll(bad.stderr!)), /SHOAL_ADAPTER must be deno, bun or node/);
  assert.notEqual((await bad.exited).code, 0);
});

for (const runtime of runtimes) {
  const name = runtime.name;

  test(`${name}: a closed stdout surfaces as RuntimeError EPIPE, never a crash`, {
    timeout: 15_000,
  }, async () => {
    const [command, ...args] = fixtureCommand(runtime, "runtime_stdout_epipe.ts");
    const child = runtime.spawn(
      "sh",
      ["-c", '"$@" | head -c 1 >/dev/null', "sh", command, ...args],
      {
        env: fixtureEnv(runtime),
        stdin: "null",
        stdout: "null",
        stderr: "pipe",
      },
    );
    const report = decode(await readAll(child.stderr!));
    assert.equal(report, "caught EPIPE\nagain EPIPE\nalive\n");
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });

  test(`${name}: ppid() follows reparenting`, { timeout: 30_000 }, async () => {
    const [command, ...args] = fixtureCommand(runtime, "runtime_reparent.ts");
    // sh starts the fixture in the background, then waits for our EOF on its stdin.
    const shell = runtime.spawn("sh", ["-c", '"$@" & read _; exit 0', "sh", command, ...args], {
      env: fixtureEnv(runtime),
      stdin: "pipe",
      stdout: "pipe",
    });
    const out = new TextCollector(shell.stdout!);
    assert.equal(await out.line("ppid"), `ppid ${shell.pid}`);
    await shell.stdin!.closeWrite();
    assert.deepEqual(await shell.exited, { code: 0, signal: null });
    await out.done;
    const [, second] = out.lines;
    assert.match(second, /^ppid \d+$/);
    assert.notEqual(second, `ppid ${shell.pid}`);
  });

  test(`${name}: onSignal runs the handler; removing one handler keeps the other`, {
    timeout: 15_000,
  }, async () => {
    const [command, ...args] = fixtureCommand(runtime, "runtime_signal.ts");
    const child = runtime.spawn(command, args, {
      env: fixtureEnv(runtime),
      stdin: "null",
      stdout: "pipe",
    });
    const out = new TextCollector(child.stdout!);
    await out.line("ready");
    assert.equal(runtime.kill(child.pid, 0), true);
    child.kill("SIGTERM");
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    await out.done;
    assert.deepEqual(out.lines, ["ready", "got SIGTERM"]);
    assert.equal(runtime.kill(child.pid, 0), false);
  });

  test(`${name}: execPath() + selfArgs() re-run us from another cwd`, {
    timeout: 15_000,
  }, async () => {
    const [command, ...args] = fixtureCommand(runtime, "runtime_self.ts");
    const child = runtime.spawn(command, args, {
      env: fixtureEnv(runtime),
      stdin: "null",
      stdout: "pipe",
    });
    const out = decode(await readAll(child.stdout!));
    assert.equal(out, `again adapter=${name} args=["x y","-z"]\nself 0\n`);
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });
}
