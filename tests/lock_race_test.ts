/**
 * Election under real contention: 24 long-lived contender processes, alternating Deno
 * and Bun, race for one fresh lock in each of 20 rounds. Exactly one may win each round
 * and every loser must see that winner's record.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describeRounds, race, startPool, stopPool } from "./fixtures/lock_pool.ts";

const CONTENDERS = 24;
const ROUNDS = 20;

test("24 Deno+Bun contenders on a fresh lock: exactly one winner in each of 20 rounds", {
  timeout: 90_000,
}, async () => {
  const dir = mkdtempSync("/tmp/sh-");
  const pool = await startPool(CONTENDERS);
  const winnersPerRound: number[] = [];
  const winnerEngines: string[] = [];
  try {
    const lock = join(dir, "k.lock");
    for (let round = 0; round < ROUNDS; round++) {
      const verdicts = await race(pool, lock);
      const winners = verdicts.flatMap((v, i) => (v.won === true ? [i] : []));
      winnersPerRound.push(winners.length);
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(verdicts)}`);
      const winner = pool[winners[0]];
      winnerEngines.push(winner.engine);
      const nonce = verdicts[winners[0]].nonce;
      assert.equal(JSON.parse(readFileSync(lock, "utf8")).nonce, nonce);
      for (const verdict of verdicts) {
        if (verdict.won) continue;
        assert.deepEqual(verdict, { won: false, holder: nonce, liveness: "alive" });
      }
      winner.send({ op: "release" });
      assert.deepEqual(await winner.next(), { released: true });
      // Temp files unlinked, no breaker ever needed, lock gone: nothing is left behind.
      assert.deepEqual(readdirSync(dir), []);
    }
  } finally {
    await stopPool(pool);
    rmSync(dir, { recursive: true, force: true });
    console.log(describeRounds("fresh lock", pool, winnersPerRound, winnerEngines));
  }
});
