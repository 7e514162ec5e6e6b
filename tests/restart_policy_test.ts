import { test } from "node:test";
import assert from "node:assert/strict";
import { RestartPolicy } from "../src/daemon/restart_policy.ts";

test("backoff doubles from 0.5 s to 30 s", { timeout: 5000 }, () => {
  const p = new RestartPolicy({ loopExits: 100 });
  const delays = Array.from({ length: 9 }, (_, i) => p.onExit(i * 100_000, 10).delayMs);
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test("N exits within the window is a crash loop; a stable run resets the backoff", { timeout: 5000 }, () => {
  const p = new RestartPolicy({ loopExits: 3, loopWindowMs: 10_000, stableMs: 5000 });
  assert.equal(p.onExit(0, 10).crashLoop, false);
  assert.equal(p.onExit(1000, 10).crashLoop, false);
  assert.equal(p.onExit(2000, 10).crashLoop, true);
  assert.equal(p.onExit(60_000, 50_000).delayMs, 500);
  assert.equal(p.onExit(60_000 + 50_000, 10).crashLoop, false);
});
