import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../src/rpc/error_codes.ts";
import { ParseFailure, parseLine } from "../src/rpc/parse_line.ts";
import { errorResponse, resultResponse } from "../src/rpc/responses.ts";
import { classifyMessage, InvalidMessage } from "../src/rpc/validate.ts";

test("valid messages are classified by shape", { timeout: 5000 }, () => {
  assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, method: "m" }), "request");
  assert.equal(classifyMessage({ jsonrpc: "2.0", id: "a", method: "m", params: {} }), "request");
  assert.equal(classifyMessage({ jsonrpc: "2.0", id: 0, method: "m", params: [1] }), "request");
  assert.equal(classifyMessage({ jsonrpc: "2.0", method: "m" }), "notification");
  assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, result: {} }), "response");
  assert.equal(
    classifyMessage({ jsonrpc: "2.0", id: "x", error: { code: -1, message: "no" } }),
    "response",
  );
  assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, result: null }), "response");
});

const invalid = (value: unknown) => {
  const kind = classifyMessage(value);
  assert.ok(kind instanceof InvalidMessage, `expected invalid: ${JSON.stringify(value)}`);
  return kind;
};

test("non-objects and missing jsonrpc are invalid, answerable", { timeout: 5000 }, () => {
  for (
    const value of [null, 1, "s", true, [], { id: 1, method: "m" }, {
      jsonrpc: "1.0",
      id: 1,
      method: "m",
    }]
  ) {
    const kind = invalid(value);
    assert.equal(kind.looksLikeResponse, false);
  }
  assert.equal(invalid({ id: 4, method: "m" }).id, 4);
});

test("null id, non-string method and bad params are invalid requests", { timeout: 5000 }, () => {
  const nullId = invalid({ jsonrpc: "2.0", id: null, method: "m" });
  assert.equal(nullId.id, undefined);
  assert.match(nullId.reason, /"id"/);
  assert.equal(invalid({ jsonrpc: "2.0", id: {}, method: "m" }).id, undefined);
  assert.equal(invalid({ jsonrpc: "2.0", id: 3, method: 7 }).id, 3);
  assert.equal(invalid({ jsonrpc: "2.0", method: 7 }).looksLikeResponse, false);
  assert.match(invalid({ jsonrpc: "2.0", id: 3, method: "m", params: "x" }).reason, /params/);
  assert.match(invalid({ jsonrpc: "2.0", id: 3, method: "m", params: null }).reason, /params/);
  assert.equal(invalid({ jsonrpc: "2.0", id: Number.NaN, method: "m" }).id, undefined);
});

test("malformed responses are invalid and never answered", { timeout: 5000 }, () => {
  assert.equal(invalid({ jsonrpc: "2.0", result: {} }).looksLikeResponse, true);
  assert.equal(
    invalid({ jsonrpc: "2.0", id: null, error: { code: 1, message: "x" } }).looksLikeResponse,
    true,
  );
  assert.equal(
    invalid({ jsonrpc: "2.0", id: 1, result: {}, error: { code: 1, message: "x" } })
      .looksLikeResponse,
    true,
  );
  assert.equal(
    invalid({ jsonrpc: "2.0", id: 1, error: { code: 1.5, message: "x" } }).looksLikeResponse,
    true,
  );
  assert.equal(invalid({ jsonrpc: "2.0", id: 1, error: "boom" }).looksLikeResponse, true);
  assert.equal(invalid({ id: 1, result: {} }).looksLikeResponse, true);
  assert.equal(invalid({ jsonrpc: "2.0", id: 1 }).looksLikeResponse, false);
});

test("parseLine: bytes, text, invalid UTF-8, invalid JSON, BOM", { timeout: 5000 }, () => {
  assert.deepEqual(parseLine(new TextEncoder().encode('{"a":"é"}')), { a: "é" });
  assert.deepEqual(parseLine('{"a":1}'), { a: 1 });
  const badUtf8 = parseLine(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
  assert.ok(badUtf8 instanceof ParseFailure);
  assert.match(badUtf8.reason, /UTF-8/);
  const truncated = parseLine(new Uint8Array([0x22, 0xe2, 0x9c, 0x22])); // cut multi-byte char
  assert.ok(truncated instanceof ParseFailure);
  const badJson = parseLine('{"a":');
  assert.ok(badJson instanceof ParseFailure);
  assert.match(badJson.reason, /JSON/);
  assert.deepEqual(parseLine(new Uint8Array([0xef, 0xbb, 0xbf, 0x31])), 1);
});

test("response builders: exact id, omitted id and data when unknown", { timeout: 5000 }, () => {
  assert.deepEqual(resultResponse("7", { x: 1 }), { jsonrpc: "2.0", id: "7", result: { x: 1 } });
  assert.deepEqual(errorResponse(undefined, ErrorCode.ParseError, "Parse error"), {
    jsonrpc: "2.0",
    error: { code: -32700, message: "Parse error" },
  });
  assert.deepEqual(errorResponse(0, -32000, "gone", { code: 1 }), {
    jsonrpc: "2.0",
    id: 0,
    error: { code: -32000, message: "gone", data: { code: 1 } },
  });
  assert.equal("id" in errorResponse(undefined, -1, "x"), false);
});

test("error codes stay in the ranges the spec leaves to implementations", { timeout: 5000 }, () => {
  const standard = new Set([-32700, -32600, -32601, -32602, -32603]);
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length, "codes are distinct");
  for (const code of codes) {
    assert.ok(
      standard.has(code) || (code <= -32000 && code >= -32019),
      `code ${code} out of range`,
    );
  }
});
