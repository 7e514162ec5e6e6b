import assert from "node:assert/strict";
import { test } from "node:test";
import { IdTable } from "../src/rpc/id_table.ts";

test("ids are monotonic and never reused", { timeout: 5000 }, () => {
  const table = new IdTable<string>();
  const a = table.allocate("a");
  const b = table.allocate("b");
  assert.ok(b > a);
  assert.equal(table.take(a), "a");
  const c = table.allocate("c");
  assert.ok(c > b, "a freed id is not handed out again");
  assert.equal(table.size, 2);
});

test("take removes once; unknown, late and foreign ids find nothing", { timeout: 5000 }, () => {
  const table = new IdTable<string>(100);
  const id = table.allocate("x");
  assert.equal(id, 100);
  assert.equal(table.get(id), "x");
  assert.equal(table.take(String(id)), undefined, "a string id is never ours");
  assert.equal(table.take(id), "x");
  assert.equal(table.take(id), undefined);
  assert.equal(table.take(null), undefined);
  assert.equal(table.delete(id), false);
});

test("drain empties the table in allocation order and keeps counting", { timeout: 5000 }, () => {
  const table = new IdTable<number>();
  for (let i = 0; i < 5; i++) table.allocate(i);
  assert.deepEqual(table.drain().map(([, v]) => v), [0, 1, 2, 3, 4]);
  assert.equal(table.size, 0);
  assert.equal(table.allocate(9), 6);
  assert.deepEqual([...table.values()], [9]);
  assert.equal(table.nextId, 7);
});
