import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_CODES, ShoalError } from "../src/errors.ts";

test("every error code maps to one exit status and one distinct JSON-RPC code", { timeout: 5000 }, () => {
  const rpc = new Set<number>();
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.ok(/^ERR_[A-Z_]+$/.test(code), code);
    assert.ok(Number.isInteger(info.exit) && info.exit > 0 && info.exit < 126, `${code} exit`);
    assert.ok(!rpc.has(info.rpc), `${code} reuses JSON-RPC code ${info.rpc}`);
    rpc.add(info.rpc);
    const inOurRange = info.rpc <= -32000 && info.rpc >= -32019;
    const standard = [-32700, -32600, -32601, -32602, -32603].includes(info.rpc);
    assert.ok(inOurRange || standard, `${code} JSON-RPC code ${info.rpc} outside -32000..-32019`);
    const err = new ShoalError(code as keyof typeof ERROR_CODES, "x");
    assert.equal(err.exitCode, info.exit);
    assert.equal(err.rpcCode, info.rpc);
  }
});

test("usage errors exit 2 and 'nothing running' exits 3", { timeout: 5000 }, () => {
  assert.equal(new ShoalError("ERR_USAGE", "x").exitCode, 2);
  assert.equal(new ShoalError("ERR_NO_DAEMON", "x").exitCode, 3);
});
