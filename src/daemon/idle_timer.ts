/**
 * The linger after the last host leaves: armed at zero clients, disarmed by the next
 * one; 0 ms means never. `deadline` is what `status` shows.
 */
export class IdleTimer {
  readonly ms: number;
  deadline: number | null = null;
  readonly #onExpire: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number, onExpire: () => void) {
    this.ms = ms;
    this.#onExpire = onExpire;
  }

  arm(): void {
    if (this.ms <= 0) return;
    clearTimeout(this.#timer);
    this.deadline = Date.now() + this.ms;
    this.#timer = setTimeout(() => {
      this.deadline = null;
      this.#onExpire();
    }, this.ms);
  }

  disarm(): void {
    clearTimeout(this.#timer);
    this.deadline = null;
  }
}
