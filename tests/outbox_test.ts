import { test } from "node:test";
import assert from "node:assert/strict";
import { Outbox } from "../src/daemon/outbox.ts";
import type { ByteWriter } from "../src/runtime/types.ts";

function slowWriter(): ByteWriter & { written: number[]; release(): void } {
  let gate: () => void = () => {};
  const written: number[] = [];
  return {
    written,
    release: () => gate(),
    write(data) {
      written.push(...data);
      return new Promise<void>((resolve) => (gate = resolve));
    },
    closeWrite: () => Promise.resolve(),
  };
}

test("outbox keeps order and coalesces while a write is pending", { timeout: 5000 }, async () => {
  const w = slowWriter();
  const box = new Outbox(w, 1000, () => assert.fail("no overflow"));
  box.send(Uint8Array.of(1));
  box.send(Uint8Array.of(2));
  box.send(Uint8Array.of(3));
  assert.deepEqual(w.written, [1]);
  w.release();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(w.written, [1, 2, 3]);
  w.release();
  await box.drained();
  assert.equal(box.pendingBytes, 0);
});

test("a peer that stops reading is cut off past the cap, once", { timeout: 5000 }, () => {
  const w = slowWriter();
  let overflows = 0;
  const box = new Outbox(w, 10, () => overflows++);
  for (let i = 0; i < 5; i++) box.send(new Uint8Array(4));
  assert.equal(overflows, 1);
  assert.equal(box.pendingBytes, 0);
});
