import { test } from "node:test";
import assert from "node:assert/strict";
import * as shoal from "../mod.ts";

test("mod.ts exports exactly the documented library surface", { timeout: 5000 }, () => {
  assert.deepEqual(Object.keys(shoal).sort(), [
    "BUILD",
    "Daemon",
    "Router",
    "ShoalError",
    "VERSION",
    "daemonOptions",
    "discoverDaemons",
    "runProxy",
    "selectRuntime",
    "serverSpecFor",
  ]);
});
