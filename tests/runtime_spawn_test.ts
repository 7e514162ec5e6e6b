/**
 * Runtime adapter conformance, processes: spawn with pipes, log files, env, cwd,
 * sessions and process groups, against every adapter available on the running engine.
 */
import assert from "node:assert/strict";
import { realpathSync, statSync } from "node:fs";
import { test } from "node:test";
import { availableAdapters, loadRuntime } from "../src/runtime/select.ts";
import { RuntimeError } from "../src/runtime/types.ts";
import {
  fixtureCommand,
  fixtureEnv,
  isDead,
  PATTERN_MOD,
  patternWindow,
  procStat,
  readAll,
  rejectsWith,
  tempDir,
  TextCollector,
  waitFor,
} from "./fixtures/runtime_harness.ts";

const MiB = 1024 * 1024;
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const runtimes = await Promise.all(availableAdapters().map(loadRuntime));

for (const runtime of runtimes) {
  const name = runtime.name;

  test(`${name}: spawn round-trips 4 MiB through cat and reports exit status`, {
    timeout: 30_000,
  }, async () => {
    const cat = runtime.spawn("cat", [], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const reading = readAll(cat.stdout!);
    const window = patternWindow(64 * 1024);
    for (let offset = 0; offset < 4 * MiB; offset += 64 * 1024) {
      await cat.stdin!.write(window.subarray(offset % PATTERN_MOD, offset % PATTERN_MOD + 65536));
    }
    await cat.stdin!.closeWrite();
    const echoed = await reading;
    assert.equal(echoed.byteLength, 4 * MiB);
    for (let i = 0; i < echoed.byteLength; i++) {
      if (echoed[i] !== i % PATTERN_MOD) assert.fail(`byte ${i} is wrong`);
    }
    assert.deepEqual(await cat.exited, { code: 0, signal: null });
    const seven = runtime.spawn("sh", ["-c", "exit 7"], { stdin: "null" });
    assert.deepEqual(await seven.exited, { code: 7, signal: null });
    const killed = runtime.spawn("sleep", ["30"], { stdin: "null" });
    killed.kill("SIGKILL");
    assert.deepEqual(await killed.exited, { code: null, signal: "SIGKILL" });
    killed.kill(); // already dead: must not throw
    assert.throws(
      () => runtime.spawn("/nonexistent/shoal-cmd", []),
      (e: unknown) => e instanceof RuntimeError && e.code === "ENOENT",
    );
  });

  test(`${name}: writing to a dead child's stdin rejects with EPIPE`, {
    timeout: 15_000,
  }, async () => {
    const child = runtime.spawn("true", [], { stdin: "pipe", stdout: "null" });
    await child.exited;
    await rejectsWith(child.stdin!.write(encode("nobody reads this")), ["EPIPE"]);
    await rejectsWith(child.stdin!.write(encode("still nobody")), ["EPIPE"]);
    await child.stdin!.closeWrite();
  });

  test(`${name}: child stdout is not drained while nobody reads`, { timeout: 15_000 }, async () => {
    // `head` writes 16 MiB and exits; a reader buffering without bound lets it finish.
    const child = runtime.spawn("head", ["-c", String(16 * MiB), "/dev/zero"], {
      stdin: "null",
      stdout: "pipe",
    });
    const first = await child.stdout!.read();
    assert.ok(first && first.byteLength > 0);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // proving it did NOT finish
    assert.ok(!isDead(child.pid), "child finished writing 16 MiB although nobody read");
    const rest = await readAll(child.stdout!);
    assert.equal(first.byteLength + rest.byteLength, 16 * MiB);
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });

  test(`${name}: appendTo, env replacement and cwd`, { timeout: 15_000 }, async () => {
    const tmp = tempDir();
    try {
      const log = `${tmp.dir}/child.log`;
      for (const round of [1, 2]) {
        const child = runtime.spawn("sh", ["-c", `echo out${round}; echo err${round} >&2`], {
          stdin: "null",
          stdout: { appendTo: log },
          stderr: { appendTo: log },
          detached: round === 2, // the daemon's case: its own session, logging to a file
        });
        assert.deepEqual(await child.exited, { code: 0, signal: null });
      }
      assert.deepEqual(decode(await runtime.fs.readFile(log)).split("\n").sort(), [
        "",
        "err1",
        "err2",
        "out1",
        "out2",
      ]);
      assert.equal(statSync(log).mode & 0o777, 0o600);
      const env = { SHOAL_PROBE: "yes", PATH: runtime.getEnv("PATH") ?? "/usr/bin:/bin" };
      const printEnv = runtime.spawn("env", [], { env, stdin: "null", stdout: "pipe" });
      const vars = decode(await readAll(printEnv.stdout!)).trim().split("\n").sort();
      assert.deepEqual(vars, [`PATH=${env.PATH}`, "SHOAL_PROBE=yes"]);
      const pwd = runtime.spawn("pwd", [], { cwd: tmp.dir, stdin: "null", stdout: "pipe" });
      assert.equal(decode(await readAll(pwd.stdout!)).trim(), realpathSync(tmp.dir));
      await pwd.exited;
    } finally {
      tmp.remove();
    }
  });

  test(`${name}: detached child leads its own session; killGroup reaches a grandchild`, {
    timeout: 15_000,
  }, async () => {
    const child = runtime.spawn("sh", ["-c", "sleep 60 & echo $!; wait"], {
      detached: true,
      stdin: "null",
      stdout: "pipe",
    });
    const out = new TextCollector(child.stdout!);
    try {
      const grandchild = Number(await out.line(""));
      const stat = procStat(child.pid)!;
      assert.equal(stat.session, child.pid, "child must lead a new session");
      assert.equal(stat.pgrp, child.pid, "child must lead its process group");
      assert.notEqual(stat.session, procStat("self")!.session);
      assert.equal(procStat(grandchild)!.pgrp, child.pid);
      child.killGroup("SIGKILL");
      assert.deepEqual(await child.exited, { code: null, signal: "SIGKILL" });
      await waitFor("the grandchild to die", () => isDead(grandchild));
    } finally {
      child.killGroup("SIGKILL");
    }
  });

  test(`${name}: an unref'd detached child outlives us without holding us up`, {
    timeout: 15_000,
  }, async () => {
    const [command, ...args] = fixtureCommand(runtime, "runtime_unref.ts");
    const parent = runtime.spawn(command, args, {
      env: fixtureEnv(runtime),
      stdin: "null",
      stdout: "pipe",
    });
    const sleeper = Number(decode(await readAll(parent.stdout!)).trim());
    try {
      assert.ok(sleeper > 0);
      assert.deepEqual(await parent.exited, { code: 0, signal: null });
      assert.ok(!isDead(sleeper), "the detached child must survive its parent");
      assert.equal(procStat(sleeper)!.session, sleeper);
    } finally {
      runtime.kill(sleeper, "SIGKILL");
    }
  });
}
