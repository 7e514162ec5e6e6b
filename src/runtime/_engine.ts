/**
 * Which JavaScript engine hosts us, and how to re-run ourselves on it. Globals are read
 * inside functions only: the Deno and Bun adapters are bundled into one Bun-compiled
 * binary, where `Deno` does not exist.
 */
import process from "node:process";
import { fileURLToPath } from "node:url";

export type Engine = "deno" | "bun" | "node";

export function hostEngine(): Engine {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

/** Arguments that must precede ours when re-running the executable (see Runtime.selfArgs). */
export function selfArgs(engine: Engine): string[] {
  if (engine === "deno") {
    if (Deno.build.standalone) return [];
    // Deno finds deno.json / package.json from the script's directory, whatever the
    // child's cwd (checked from cwd "/"), so no --config is needed.
    const main = Deno.mainModule;
    return ["run", "-A", main.startsWith("file:") ? fileURLToPath(main) : main];
  }
  if (engine === "bun") {
    // A compiled binary embeds its entry point under /$bunfs (B:/~BUN on Windows).
    const main = Bun.main;
    return main.startsWith("/$bunfs/") || main.startsWith("B:/~BUN/") ? [] : [main];
  }
  return [...process.execArgv, process.argv[1]];
}

/**
 * Collect garbage now, where the engine allows it: always on Bun (`Bun.gc`), on Deno and
 * node only when started with `--expose-gc`. Returns whether a collection ran.
 */
export function collectGarbage(): boolean {
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun !== undefined) g.Bun.gc(true);
  else if (typeof g.gc === "function") g.gc();
  else return false;
  return true;
}
