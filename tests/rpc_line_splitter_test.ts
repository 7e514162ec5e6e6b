import assert from "node:assert/strict";
import { test } from "node:test";
import { type FramedLine, LineSplitter, type OversizedLine } from "../src/rpc/line_splitter.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);
const texts = (lines: FramedLine[]) =>
  lines.map((line) => (line instanceof Uint8Array ? decoder.decode(line) : line));

test("splits complete lines inside one chunk", { timeout: 5000 }, () => {
  const splitter = new LineSplitter();
  assert.deepEqual(texts(splitter.push(bytes('{"a":1}\n{"b":2}\n'))), ['{"a":1}', '{"b":2}']);
  assert.equal(splitter.bufferedBytes, 0);
});

test("joins a line split across chunks, byte by byte", { timeout: 5000 }, () => {
  const splitter = new LineSplitter();
  const input = bytes('{"text":"héllo ✓"}\n{"x":1}\n');
  const lines: FramedLine[] = [];
  for (let i = 0; i < input.length; i++) lines.push(...splitter.push(input.subarray(i, i + 1)));
  assert.deepEqual(texts(lines), ['{"text":"héllo ✓"}', '{"x":1}']);
});

test("a partial line survives reuse of the caller's chunk buffer", { timeout: 5000 }, () => {
  const splitter = new LineSplitter();
  const buffer = bytes('{"first"');
  assert.deepEqual(splitter.push(buffer), []);
  buffer.fill(0x41); // the reader reuses its buffer
  assert.deepEqual(texts(splitter.push(bytes(":1}\n"))), ['{"first":1}']);
});

test("strips \\r\\n and skips empty and blank lines, counting them", { timeout: 5000 }, () => {
  const splitter = new LineSplitter();
  const lines = splitter.push(bytes('{"a":1}\r\n\r\n\n   \n\t\r\n{"b":2}\n'));
  assert.deepEqual(texts(lines), ['{"a":1}', '{"b":2}']);
  assert.equal(splitter.emptyLines, 3 + 1);
});

test("end() yields a last line without newline, once", { timeout: 5000 }, () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(bytes('{"a":1}\n{"tail":true}')).length, 1);
  assert.deepEqual(texts(splitter.end()), ['{"tail":true}']);
  assert.deepEqual(splitter.end(), []);
});

test("a line of exactly the limit passes, one byte more is oversized", { timeout: 5000 }, () => {
  const splitter = new LineSplitter({ maxMessageBytes: 10 });
  assert.deepEqual(texts(splitter.push(bytes("0123456789\n"))), ["0123456789"]);
  assert.deepEqual(texts(splitter.push(bytes("0123456789\r\n"))), ["0123456789"]);
  const [over] = splitter.push(bytes("0123456789A\n")) as OversizedLine[];
  assert.equal(over.kind, "oversized");
  assert.equal(over.totalBytes, 11);
  assert.equal(over.limit, 10);
});

test("exact limit across chunks with \\r\\n still passes", { timeout: 5000 }, () => {
  const splitter = new LineSplitter({ maxMessageBytes: 10 });
  assert.deepEqual(splitter.push(bytes("01234")), []);
  assert.deepEqual(splitter.push(bytes("56789\r")), []);
  assert.deepEqual(texts(splitter.push(bytes("\n"))), ["0123456789"]);
});

test(
  "oversized line across chunks keeps only head and tail, then resumes",
  { timeout: 5000 },
  () => {
    const splitter = new LineSplitter({ maxMessageBytes: 64, headBytes: 8, tailBytes: 6 });
    const big = "H".repeat(8) + "x".repeat(1000) + "TAIL!!";
    const lines: FramedLine[] = [];
    for (let i = 0; i < big.length; i += 7) {
      lines.push(...splitter.push(bytes(big.slice(i, i + 7))));
      assert.ok(splitter.bufferedBytes <= 64 + 1 + 8 + 6, `buffered ${splitter.bufferedBytes}`);
    }
    lines.push(...splitter.push(bytes('\r\n{"ok":1}\n')));
    assert.equal(lines.length, 2);
    const over = lines[0] as OversizedLine;
    assert.equal(over.kind, "oversized");
    assert.equal(decoder.decode(over.head), "HHHHHHHH");
    assert.equal(decoder.decode(over.tail), "TAIL!!");
    assert.equal(over.totalBytes, big.length);
    assert.equal(decoder.decode(lines[1] as Uint8Array), '{"ok":1}');
  },
);

test("a huge line in big chunks never buffers more than the limit", { timeout: 10000 }, () => {
  const limit = 1024 * 1024;
  const splitter = new LineSplitter({ maxMessageBytes: limit });
  const chunk = new Uint8Array(256 * 1024).fill(0x61);
  let peak = 0;
  for (let i = 0; i < 64; i++) { // 16 MiB in one line
    assert.deepEqual(splitter.push(chunk), []);
    peak = Math.max(peak, splitter.bufferedBytes);
  }
  assert.ok(peak <= limit + 1, `peak ${peak}`);
  const [over] = splitter.push(bytes("\n")) as OversizedLine[];
  assert.equal(over.totalBytes, 16 * 1024 * 1024);
  assert.equal(splitter.bufferedBytes, 0);
});

test("an oversized line inside one chunk is reported with head and tail", { timeout: 5000 }, () => {
  const splitter = new LineSplitter({ maxMessageBytes: 16, headBytes: 4, tailBytes: 4 });
  const lines = splitter.push(bytes('{"method":"m","params":{"x":"yyyyyyy"},"id":7}\n{"a":1}\n'));
  const over = lines[0] as OversizedLine;
  assert.equal(decoder.decode(over.head), '{"me');
  assert.equal(decoder.decode(over.tail), '":7}');
  assert.equal(decoder.decode(lines[1] as Uint8Array), '{"a":1}');
});

test("an oversized line assembled from parts is not materialized", { timeout: 5000 }, () => {
  const splitter = new LineSplitter({ maxMessageBytes: 10, headBytes: 3, tailBytes: 3 });
  assert.deepEqual(splitter.push(bytes("abcdefgh")), []);
  const [over] = splitter.push(bytes("ijklmnopqrstuvwxyz\n")) as OversizedLine[];
  assert.equal(decoder.decode(over.head), "abc");
  assert.equal(decoder.decode(over.tail), "xyz");
  assert.equal(over.totalBytes, 26);
});

test("end() reports an unfinished oversized line", { timeout: 5000 }, () => {
  const splitter = new LineSplitter({ maxMessageBytes: 4 });
  assert.deepEqual(splitter.push(bytes("0123456789")), []);
  const [over] = splitter.end() as OversizedLine[];
  assert.equal(over.kind, "oversized");
  assert.equal(over.totalBytes, 10);
});

test("rejects a non-positive limit", { timeout: 5000 }, () => {
  assert.throws(() => new LineSplitter({ maxMessageBytes: 0 }), RangeError);
  assert.throws(() => new LineSplitter({ headBytes: 0 }), RangeError);
});
