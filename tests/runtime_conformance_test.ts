/**
 * Runtime adapter conformance, sockets: the same tests against every adapter that works
 * on the running engine (Deno: deno + node; Bun: bun + node), over real sockets in short
 * temp dirs. Spawn conformance is in `runtime_spawn_test.ts`, "this process" (stdio,
 * ppid, signals, selection) in `runtime_process_test.ts`.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { availableAdapters, loadRuntime } from "../src/runtime/select.ts";
import { type Conn, MAX_SOCKET_PATH, type Runtime } from "../src/runtime/types.ts";
import {
  fixtureCommand,
  fixtureEnv,
  PATTERN_MOD,
  readAll,
  rejectsWith,
  tempDir,
  TextCollector,
} from "./fixtures/runtime_harness.ts";

const MiB = 1024 * 1024;
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A connected pair over a fresh listener; `cleanup()` closes everything. */
async function pair(runtime: Runtime) {
  const tmp = tempDir();
  const listener = await runtime.listenUnix(`${tmp.dir}/s.sock`);
  const [client, server] = await Promise.all([
    runtime.connectUnix(listener.path),
    listener.accept(),
  ]);
  assert.ok(server);
  return {
    client,
    server: server as Conn,
    cleanup() {
      client.close();
      server.close();
      listener.close();
      tmp.remove();
    },
  };
}

const runtimes = await Promise.all(availableAdapters().map(loadRuntime));

for (const runtime of runtimes) {
  const name = runtime.name;

  test(`${name}: 64 MiB through a reader paused 2 s arrives intact, writer memory bounded`, {
    timeout: 90_000,
  }, async () => {
    const total = 64 * MiB;
    const tmp = tempDir();
    const listener = await runtime.listenUnix(`${tmp.dir}/big.sock`);
    const [command, ...args] = fixtureCommand(runtime, "runtime_writer.ts", [
      listener.path,
      String(total),
    ]);
    const writer = runtime.spawn(command, args, {
      env: fixtureEnv(runtime),
      stdin: "null",
      stdout: "pipe",
      stderr: "inherit",
    });
    const report = new TextCollector(writer.stdout!);
    try {
      const conn = (await listener.accept())!;
      const baselineKiB = Number((await report.line("ready ")).split(" ")[1]);
      // The pause: nothing reads. A bounded reader side leaves the writer blocked.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.ok(!report.text.includes("done"), "writer finished although nobody read");
      const started = performance.now();
      let received = 0;
      let expected = 0; // the k-mod-251 pattern, carried across chunk boundaries
      for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
        for (let i = 0; i < chunk.byteLength; i++) {
          if (chunk[i] !== expected) assert.fail(`byte ${received + i} is wrong`);
          if (++expected === PATTERN_MOD) expected = 0;
        }
        received += chunk.byteLength;
      }
      const readMs = performance.now() - started;
      assert.equal(received, total);
      await conn.write(encode("ok"));
      await conn.closeWrite();
      const [, writeMs, peakKiB] = (await report.line("done ")).split(" ").map(Number);
      assert.equal(await report.line("reply "), "reply ok");
      assert.deepEqual(await writer.exited, { code: 0, signal: null });
      conn.close();
      const growthMiB = (peakKiB - baselineKiB) / 1024;
      console.log(
        `[64MiB] engine=${runtime.engine} adapter=${name} writer_ms=${writeMs} ` +
          `read_after_pause_ms=${Math.round(readMs)} writer_baseline_rss=${
            (baselineKiB / 1024).toFixed(1)
          }MiB writer_peak_rss=${(peakKiB / 1024).toFixed(1)}MiB growth=${growthMiB.toFixed(1)}MiB`,
      );
      assert.ok(growthMiB < 48, `writer peak RSS grew ${growthMiB.toFixed(1)} MiB`);
    } finally {
      writer.kill("SIGKILL");
      await writer.exited;
      listener.close();
      tmp.remove();
    }
  });

  test(`${name}: concurrent writes keep their order`, { timeout: 15_000 }, async () => {
    const { client, server, cleanup } = await pair(runtime);
    try {
      const parts = Array.from({ length: 200 }, (_, i) => encode(`${i},`.padEnd(4096, " ")));
      const reading = readAll(server);
      await Promise.all(parts.map((part) => client.write(part)));
      await client.closeWrite();
      const text = decode(await reading);
      const order = text.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
      assert.deepEqual(order, parts.map((_, i) => i));
    } finally {
      cleanup();
    }
  });

  test(
    `${name}: half-close client to server, server still replies`,
    { timeout: 15_000 },
    async () => {
      const { client, server, cleanup } = await pair(runtime);
      try {
        await client.write(encode("question"));
        await client.closeWrite();
        assert.equal(decode(await readAll(server)), "question");
        await server.write(encode("answer"));
        await server.closeWrite();
        assert.equal(decode(await readAll(client)), "answer");
        assert.equal(await client.read(), null, "EOF is sticky");
        await rejectsWith(client.write(encode("late")), ["ECLOSED"]);
      } finally {
        cleanup();
      }
    },
  );

  test(
    `${name}: half-close server to client, client still replies`,
    { timeout: 15_000 },
    async () => {
      const { client, server, cleanup } = await pair(runtime);
      try {
        await server.write(encode("greeting"));
        await server.closeWrite();
        assert.equal(decode(await readAll(client)), "greeting");
        await client.write(encode("thanks"));
        await client.closeWrite();
        assert.equal(decode(await readAll(server)), "thanks");
      } finally {
        cleanup();
      }
    },
  );

  test(
    `${name}: peer closing mid-write rejects the write cleanly`,
    { timeout: 15_000 },
    async () => {
      const { client, server, cleanup } = await pair(runtime);
      try {
        // 8 MiB cannot fit the socket buffers: the write is pending when the peer goes.
        const writing = client.write(new Uint8Array(8 * MiB));
        await server.read();
        server.close();
        await rejectsWith(writing, ["EPIPE", "ECONNRESET"]);
        await rejectsWith(client.write(encode("more")), ["EPIPE", "ECONNRESET"]);
      } finally {
        cleanup();
      }
    },
  );

  test(`${name}: close() ends pending reads with null and rejects later writes`, {
    timeout: 15_000,
  }, async () => {
    const { client, cleanup } = await pair(runtime);
    try {
      const pending = client.read();
      client.close();
      assert.equal(await pending, null);
      assert.equal(await client.read(), null);
      await rejectsWith(client.write(encode("x")), ["ECLOSED"]);
      await client.closeWrite();
      client.close();
    } finally {
      cleanup();
    }
  });

  test(`${name}: connect and listen errors carry the same codes on every adapter`, {
    timeout: 15_000,
  }, async () => {
    const tmp = tempDir();
    try {
      await rejectsWith(runtime.connectUnix(`${tmp.dir}/missing.sock`), ["ENOENT"]);
      // A stale socket file: its listener is gone, the file stays.
      const stale = `${tmp.dir}/stale.sock`;
      const first = await runtime.listenUnix(stale);
      first.close();
      assert.ok(lstatSync(stale).isSocket(), "listener close must leave the path alone");
      await rejectsWith(runtime.connectUnix(stale), ["ECONNREFUSED"]);
      const onStale = await rejectsWith(runtime.listenUnix(stale), ["EADDRINUSE"]);
      assert.match(onStale.message, /^Cannot listen on ".*stale\.sock": address already in use/);
      const live = await runtime.listenUnix(`${tmp.dir}/live.sock`);
      try {
        const inUse = await rejectsWith(runtime.listenUnix(live.path), ["EADDRINUSE"]);
        assert.match(inUse.message, /^Cannot listen on ".*live\.sock": address already in use/);
        const conn = await runtime.connectUnix(live.path); // the live one still works
        conn.close();
      } finally {
        live.close();
      }
      assert.ok(existsSync(live.path), "listener close must leave the path alone");
      assert.equal(await live.accept(), null);
    } finally {
      tmp.remove();
    }
  });

  test(`${name}: socket paths over ${MAX_SOCKET_PATH} bytes are refused before the OS`, {
    timeout: 15_000,
  }, async () => {
    const tmp = tempDir();
    try {
      const fill = (bytes: number) => `${tmp.dir}/${"s".repeat(bytes - tmp.dir.length - 1)}`;
      const tooLong = fill(MAX_SOCKET_PATH + 1);
      // Node would truncate and bind or reach a different file: make one exist there.
      writeFileSync(tooLong.slice(0, MAX_SOCKET_PATH), "");
      await rejectsWith(runtime.connectUnix(tooLong), ["ENAMETOOLONG"]);
      await rejectsWith(runtime.listenUnix(tooLong), ["ENAMETOOLONG"]);
      // Bytes count, not characters: 103 characters, 119 bytes.
      const wide = `${tmp.dir}/${"é".repeat(16)}${
        "s".repeat(MAX_SOCKET_PATH - tmp.dir.length - 17)
      }`;
      await rejectsWith(runtime.listenUnix(wide), ["ENAMETOOLONG"]);
      assert.ok(!existsSync(tooLong));
      const longest = `${fill(MAX_SOCKET_PATH - 1)}t`; // exactly the limit: accepted
      const listener = await runtime.listenUnix(longest);
      const conn = await runtime.connectUnix(longest);
      conn.close();
      listener.close();
    } finally {
      tmp.remove();
    }
  });
}
