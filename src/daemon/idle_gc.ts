/**
 * Give back what the last load left in the heap once nobody is attached (BENCHMARKS.md
 * hot spot 7: idle RSS 65.1 → 56.1 MiB on Bun). Armed when the last host leaves and
 * cancelled when one arrives, so hosts that come and go never pay for a collection.
 */
import type { Runtime } from "../runtime/types.ts";
import type { Logger } from "./log.ts";
import { rssBytes } from "./proc_rss.ts";

/** How long nobody must be attached before the heap is collected. */
export const IDLE_GC_MS = 1000;

export class IdleCollector {
  readonly #runtime: Runtime;
  readonly #logger: Logger;
  readonly #stillIdle: () => boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(runtime: Runtime, logger: Logger, stillIdle: () => boolean) {
    this.#runtime = runtime;
    this.#logger = logger;
    this.#stillIdle = stillIdle;
  }

  arm(): void {
    this.cancel();
    this.#timer = setTimeout(() => void this.#collect(), IDLE_GC_MS);
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #collect(): Promise<void> {
    if (!this.#stillIdle()) return;
    const { fs, pid } = this.#runtime;
    const before = await rssBytes(fs, pid);
    if (!this.#runtime.collectGarbage()) return;
    const after = await rssBytes(fs, pid);
    this.#logger.info("idle_gc", { rss_before_mib: mib(before), rss_after_mib: mib(after) });
  }
}

function mib(bytes: number | null): number | null {
  return bytes === null ? null : Math.round(bytes / 1048576 * 10) / 10;
}
