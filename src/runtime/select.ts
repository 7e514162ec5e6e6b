/**
 * Runtime selection at start-up: `SHOAL_ADAPTER=deno|bun|node` overrides (tests and
 * benchmarks), otherwise the hosting engine decides. Adapters are imported lazily so
 * a binary only evaluates the one it runs.
 *
 * @example
 * ```ts
 * import { selectRuntime } from "./select.ts";
 * const runtime = await selectRuntime();
 * console.log(runtime.name, runtime.engine);
 * ```
 */
import process from "node:process";
import { hostEngine } from "./_engine.ts";
import type { Runtime } from "./types.ts";

export type AdapterName = Runtime["name"];

/** Adapters that work on the running engine, native one first. */
export function availableAdapters(): AdapterName[] {
  const engine = hostEngine();
  return engine === "node" ? ["node"] : [engine, "node"];
}

/** Load one adapter by name; throws when it cannot run on this engine. */
export async function loadRuntime(name: AdapterName): Promise<Runtime> {
  if (!availableAdapters().includes(name)) {
    throw new Error(
      `Cannot use the ${name} adapter: running on ${hostEngine()}, available: ${
        availableAdapters().join(", ")
      }`,
    );
  }
  if (name === "deno") return (await import("./deno.ts")).denoRuntime();
  if (name === "bun") return (await import("./bun.ts")).bunRuntime();
  return (await import("./node.ts")).nodeRuntime();
}

/** The runtime to use: `SHOAL_ADAPTER` when set, else the hosting engine's own adapter. */
export function selectRuntime(): Promise<Runtime> {
  const wanted = process.env.SHOAL_ADAPTER;
  if (wanted === undefined || wanted === "") return loadRuntime(hostEngine());
  if (wanted !== "deno" && wanted !== "bun" && wanted !== "node") {
    return Promise.reject(
      new Error(`Cannot select adapter "${wanted}": SHOAL_ADAPTER must be deno, bun or node`),
    );
  }
  return loadRuntime(wanted);
}
