/**
 * `test()` that is registered only when `condition` holds, else reported as skipped.
 * Bun and Deno disagree on `{ skip: cond }`, so tests use this instead.
 */
import { test } from "node:test";

type Fn = () => void | Promise<void>;

export function testIf(
  condition: boolean,
  name: string,
  options: { timeout: number },
  fn: Fn,
): void {
  if (condition) test(name, options, fn);
  else test.skip(name, options, fn);
}
