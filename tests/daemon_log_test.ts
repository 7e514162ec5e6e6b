/** The daemon log's line format, levels, and message bodies at trace level only. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BODY_BYTES, format, Logger } from "../src/daemon/log.ts";

function capture(level: "trace" | "info") {
  const chunks: Uint8Array[] = [];
  const out = {
    write: (data: Uint8Array) => {
      chunks.push(data);
      return Promise.resolve();
    },
    closeWrite: () => Promise.resolve(),
  };
  const logger = new Logger(out, level).with({ client: 7 });
  const text = async () => {
    await logger.flush();
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  };
  return { logger, text };
}

const line = (s: string) => new TextEncoder().encode(s);

test("a message body is logged verbatim at trace level, without its newline", async () => {
  const { logger, text } = capture("trace");
  logger.body("from_client", line('{"jsonrpc":"2.0","id":1,"method":"ping"}\n'), { lane: "main" });
  assert.match(
    await text(),
    /^\S+ trace from_client client=7 lane=main bytes=40 \{"jsonrpc":"2.0","id":1,"method":"ping"\}\n$/,
  );
});

test("a long body is cut to BODY_BYTES and marked; one log line whatever it holds", async () => {
  const { logger, text } = capture("trace");
  logger.body("to_server", line(`{"text":"${"x".repeat(BODY_BYTES * 2)}"}`));
  logger.body("to_server", line('{"a":"x\ny"}'));
  const [out, short] = (await text()).split(/(?<=\n)/);
  assert.match(short, /bytes=11 \{"a":"x\\ny"\}\n$/, "a stray newline cannot split a log line");
  assert.match(out, /bytes=4\d{3} \{"text":"x+…\n$/);
  assert.equal(out.slice(out.indexOf(' {"text"') + 1, -2).length, BODY_BYTES);
});

test("below trace level no body is logged", async () => {
  const { logger, text } = capture("info");
  logger.body("from_server", line('{"secret":"s"}'));
  logger.debug("quiet");
  logger.info("said", { name: "a b" });
  assert.match(await text(), /^\S+ info said client=7 name="a b"\n$/);
});

test("format quotes values with spaces, quotes or newlines, and skips undefined", () => {
  assert.equal(format({ a: 1, b: "x y", c: undefined, d: 'q"', e: true }), ' a=1 b="x y" d="q\\"" e=true');
});
