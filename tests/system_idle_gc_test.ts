/**
 * Hot spot 7 (BENCHMARKS.md): once the last host has been gone a second, the daemon
 * collects its heap and logs the RSS before and after — on Bun, where a collection can
 * always be asked for; never while a host is attached. On Deno (run without
 * --expose-gc) there is nothing to ask, and nothing is logged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FIXTURES } from "./harness/fixtures.ts";
import { provesAbsence, waitFor } from "./harness/cleanup.ts";
import { makeWorld } from "./harness/shoal_env.ts";

const PID_SERVER = ["node", FIXTURES.pidServer];
const IDLE_GC = /\bidle_gc .*\brss_before_mib=(\d+(?:\.\d+)?) rss_after_mib=(\d+(?:\.\d+)?)/;

test("the daemon collects its heap a second after the last host leaves, never while one is attached", {
  timeout: 30_000,
}, async () => {
  const world = makeWorld();
  try {
    const host = await world.host(PID_SERVER);
    for (let i = 0; i < 50; i++) await host.callTool("echo", { text: "x".repeat(10_000) });
    const { json } = await world.status();
    const { log, adapter } = json.daemons[0];
    await provesAbsence(1_500);
    assert.doesNotMatch(readFileSync(log, "utf8"), IDLE_GC, "no collection while a host is attached");
    await host.close();
    if (adapter === "bun") {
      const line = await waitFor(() => IDLE_GC.exec(readFileSync(log, "utf8")), {
        timeoutMs: 10_000,
        what: "the idle_gc log line",
      });
      assert.ok(Number(line[1]) > 0 && Number(line[2]) > 0, line[0]);
    } else {
      await provesAbsence(2_000);
      assert.doesNotMatch(readFileSync(log, "utf8"), IDLE_GC, `the ${adapter} adapter has no collection to ask for`);
    }
  } finally {
    await world.close();
  }
});
