/**
 * When to restart a crashed server: exponential backoff (0.5 s doubling to 30 s) and a
 * crash-loop verdict after `loopExits` exits within `loopWindowMs`. Pure: the caller
 * passes the clock. A server that stayed up for `stableMs` earns a fresh start.
 */
export interface RestartPolicyOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  loopExits?: number;
  loopWindowMs?: number;
  stableMs?: number;
}

export interface RestartDecision {
  delayMs: number;
  /** True while exits keep coming faster than `loopExits` per `loopWindowMs`. */
  crashLoop: boolean;
}

export class RestartPolicy {
  readonly #initial: number;
  readonly #max: number;
  readonly #loopExits: number;
  readonly #window: number;
  readonly #stable: number;
  #exits: number[] = [];
  #delay: number;

  constructor(options: RestartPolicyOptions = {}) {
    this.#initial = options.initialDelayMs ?? 500;
    this.#max = options.maxDelayMs ?? 30_000;
    this.#loopExits = options.loopExits ?? 5;
    this.#window = options.loopWindowMs ?? 60_000;
    this.#stable = options.stableMs ?? 30_000;
    this.#delay = this.#initial;
  }

  /** Record an exit at `nowMs` of a server that had run for `uptimeMs`. */
  onExit(nowMs: number, uptimeMs: number): RestartDecision {
    if (uptimeMs >= this.#stable) this.#delay = this.#initial;
    this.#exits = this.#exits.filter((t) => nowMs - t < this.#window);
    this.#exits.push(nowMs);
    const delayMs = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.#max);
    return { delayMs, crashLoop: this.#exits.length >= this.#loopExits };
  }

  /** A deliberate restart (`shoal restart`) starts over. */
  reset(): void {
    this.#exits = [];
    this.#delay = this.#initial;
  }
}
