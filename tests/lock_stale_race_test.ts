/**
 * Election on a stale lock under real contention. Each round a real owner process
 * (alternating Deno and Bun) takes the lock and is killed with SIGKILL; then 24
 * long-lived contenders race. Naive "see dead → unlink → link" gave 3–12 winners per
 * round; compare-and-delete under the breaker must give exactly one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Contender,
  describeRounds,
  race,
  startContender,
  startPool,
  stopPool,
} from "./fixtures/lock_pool.ts";

const CONTENDERS = 24;

/** Run `rounds` races; `prepare` leaves a stale lock at `lock` before each. */
async function staleRounds(
  what: string,
  rounds: number,
  prepare: (lock: string, round: number) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync("/tmp/sh-");
  const pool = await startPool(CONTENDERS);
  const winnersPerRound: number[] = [];
  const winnerEngines: string[] = [];
  try {
    const lock = join(dir, "k.lock");
    for (let round = 0; round < rounds; round++) {
      await prepare(lock, round);
      const verdicts = await race(pool, lock);
      const winners = verdicts.flatMap((v, i) => (v.won === true ? [i] : []));
      winnersPerRound.push(winners.length);
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(verdicts)}`);
      const nonce = verdicts[winners[0]].nonce;
      assert.equal(JSON.parse(readFileSync(lock, "utf8")).nonce, nonce);
      for (const verdict of verdicts) {
        if (!verdict.won) {
          assert.deepEqual(verdict, { won: false, holder: nonce, liveness: "alive" });
        }
      }
      const winner = pool[winners[0]];
      winnerEngines.push(winner.engine);
      winner.send({ op: "release" });
      assert.deepEqual(await winner.next(), { released: true });
      // The stale file, every breaker claim and every temp file are gone.
      assert.deepEqual(readdirSync(dir), []);
    }
  } finally {
    await stopPool(pool);
    rmSync(dir, { recursive: true, force: true });
    console.log(describeRounds(what, pool, winnersPerRound, winnerEngines));
  }
}

test(
  "24 Deno+Bun contenders on a lock left by a kill -9'd owner: one winner in each of 20 rounds",
  {
    timeout: 90_000,
  },
  async () => {
    await staleRounds("stale lock of a SIGKILLed owner", 20, async (lock, round) => {
      const owner: Contender = startContender(round % 2 ? "bun" : "deno", ["--own", lock]);
      const held = await owner.next(30_000);
      assert.equal(typeof held.held, "string", owner.stderr());
      owner.child.kill("SIGKILL");
      await owner.exited; // reaped: the pid is really gone, not a zombie
      assert.equal(JSON.parse(readFileSync(lock, "utf8")).nonce, held.held);
      assert.equal(owner.child.signalCode, "SIGKILL");
    });
  },
);

test("24 Deno+Bun contenders on a corrupt or empty lock: one winner in each of 10 rounds", {
  timeout: 60_000,
}, async () => {
  await staleRounds("corrupt/empty lock", 10, (lock, round) => {
    writeFileSync(lock, round % 2 ? "" : `{"pid": garbage ${round}`);
    return Promise.resolve();
  });
});
