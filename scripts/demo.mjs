#!/usr/bin/env node
// The main job, end to end: two MCP clients (the official SDK, as a host would use it)
// start `shoal proxy -- <server-everything>` one after the other, share ONE server
// process, both call tools, and `shoal status` shows one daemon with two clients.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const shoal = resolve(root, "dist/shoal");
const stateDir = mkdtempSync("/tmp/shoal-demo-");
const server = ["node", resolve(root, "node_modules/@modelcontextprotocol/server-everything/dist/index.js"), "stdio"];

async function host(name) {
  const client = new Client({ name, version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: shoal,
    args: ["proxy", "--state-dir", stateDir, "--idle", "2", "--", ...server],
    stderr: "inherit",
  });
  const started = Date.now();
  await client.connect(transport);
  console.log(`${name}: initialized in ${Date.now() - started} ms via proxy pid ${transport.pid}`);
  return client;
}

const shoalCli = (...args) => execFileSync(shoal, [...args, "--state-dir", stateDir], { encoding: "utf8" });

try {
  const a = await host("host-A");
  const b = await host("host-B");
  const [ra, rb] = await Promise.all([
    a.callTool({ name: "echo", arguments: { message: "hello from A" } }),
    b.callTool({ name: "echo", arguments: { message: "hello from B" } }),
  ]);
  console.log(`host-A got: ${ra.content[0].text}`);
  console.log(`host-B got: ${rb.content[0].text}`);
  console.log(`tools seen by A: ${(await a.listTools()).tools.length}, by B: ${(await b.listTools()).tools.length}`);
  console.log("\n$ shoal status");
  console.log(shoalCli("status"));
  const status = JSON.parse(shoalCli("status", "--json"));
  const [daemon] = status.daemons;
  console.log(
    `=> ${status.daemons.length} daemon, ${daemon.upstreams.length} server process (pid ${daemon.upstreams[0].pid}), ` +
      `${daemon.clients.length} clients: ${daemon.clients.map((c) => c.host).join(", ")}`,
  );
  await a.close();
  await b.close();
  console.log("\n$ shoal stop --all");
  console.log(shoalCli("stop", "--all"));
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}
