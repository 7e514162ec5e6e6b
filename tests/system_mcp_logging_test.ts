/**
 * Issue 4 system tests, logging: each host's `logging/setLevel` is its own filter, the
 * server gets the most verbose level any host wants, and no host silences another.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { provesAbsence, waitFor } from "./harness/cleanup.ts";
import { FIXTURES } from "./harness/fixtures.ts";
import type { Host } from "./harness/host.ts";
import { makeWorld } from "./harness/shoal_env.ts";

const PID_SERVER = ["node", FIXTURES.pidServer];

const logLines = (host: Host) =>
  host.notifications.filter((n) => n.method === "notifications/message").map((n) => n.params.data);

test(
  "per-host log levels: the verbose host gets everything, the quiet one only what passes its level",
  { timeout: 30_000 },
  async () => {
    const world = makeWorld();
    try {
      const quiet = await world.host(PID_SERVER, { sdk: "v1", name: "quiet" });
      const verbose = await world.host(PID_SERVER, { sdk: "v2", name: "verbose" });
      await quiet.client.setLoggingLevel("error");
      await verbose.client.setLoggingLevel("debug");
      await quiet.callTool("log", { level: "info", text: "info 1" });
      await verbose.callTool("log", { level: "error", text: "error 1" });
      await quiet.callTool("log", { level: "debug", text: "debug 1" });
      await waitFor(() => logLines(verbose).length === 3, {
        what: "the verbose host's three lines",
      });
      await provesAbsence(200);
      assert.deepEqual(logLines(verbose), ["info 1", "error 1", "debug 1"]);
      assert.deepEqual(
        logLines(quiet),
        ["error 1"],
        "the quiet host did not silence the verbose one",
      );
      // A host that never set a level gets everything (SDK servers send all while no level
      // is set), so from the first setLevel the most verbose level wanted is debug.
      const seen = (await quiet.callTool("received", {})).structured;
      assert.deepEqual(seen.logLevels, ["debug"], "upstream: the most verbose level wanted");

      await verbose.close();
      await waitFor(
        async () => (await quiet.callTool("received", {})).structured.logLevels.length === 2,
        {
          what: "the upstream level to follow the remaining host",
        },
      );
      assert.deepEqual((await quiet.callTool("received", {})).structured.logLevels, [
        "debug",
        "error",
      ]);
      await quiet.callTool("log", { level: "warning", text: "warning 1" });
      await quiet.callTool("log", { level: "critical", text: "critical 1" });
      await waitFor(() => logLines(quiet).length === 2, { what: "the quiet host's critical line" });
      assert.deepEqual(logLines(quiet), ["error 1", "critical 1"]);
    } finally {
      await world.close();
    }
  },
);
