import assert from "node:assert/strict";
import { test } from "node:test";
import { recoverFields } from "../src/rpc/id_recovery.ts";

const big = "x".repeat(5000);

test("recovers a response id from the head", { timeout: 5000 }, () => {
  const text = `{"jsonrpc":"2.0","id":42,"result":{"data":"${big}"}}`;
  const fields = recoverFields(text.slice(0, 100), text.slice(-50));
  assert.equal(fields.id, 42);
  assert.equal(fields.isResponse, true);
  assert.equal(fields.method, undefined);
});

test("recovers an SDK-ordered request id from the tail", { timeout: 5000 }, () => {
  const text =
    `{"method":"tools/call","params":{"arguments":{"id":999,"blob":"${big}"}},"jsonrpc":"2.0","id":"req-7"}`;
  const fields = recoverFields(text.slice(0, 60), text.slice(-40));
  assert.equal(fields.method, "tools/call");
  assert.equal(fields.id, "req-7");
  assert.equal(fields.isResponse, false);
});

test("nested ids are never taken for the top-level id", { timeout: 5000 }, () => {
  const text = `{"method":"m","params":{"id":5,"more":"${big}"},"jsonrpc":"2.0"}`;
  const fields = recoverFields(text.slice(0, 80), text.slice(-200));
  assert.equal(fields.id, undefined);
  assert.equal(fields.method, "m");
  const tailOnly = `{"params":{"deep":{"id":3}},"id":8}`;
  assert.equal(recoverFields("", tailOnly).id, 8);
});

test("escaped quotes and spaces do not confuse the scanners", { timeout: 5000 }, () => {
  const text =
    `{ "method" : "a\\"b" , "params" : { "s" : "q\\\\\\"}" , "t": [1, {"id": 2}] } , "id" : -12 }`;
  const fields = recoverFields(text, text);
  assert.equal(fields.method, 'a"b');
  assert.equal(fields.id, -12);
});

test("stops quietly on truncation and non-objects", { timeout: 5000 }, () => {
  assert.deepEqual(recoverFields('{"id'), { id: undefined, method: undefined, isResponse: false });
  assert.deepEqual(recoverFields('[{"id":1}]', '[{"id":1}]'), {
    id: undefined,
    method: undefined,
    isResponse: false,
  });
  assert.equal(recoverFields("", 'xyz","id":3}').id, 3);
  assert.equal(recoverFields("", "3}").id, undefined);
  assert.equal(recoverFields("", '"id":null}').id, undefined);
  assert.equal(recoverFields('{"id":true,').id, undefined);
  assert.equal(recoverFields(new TextEncoder().encode('{"id":"é')).id, undefined);
});
