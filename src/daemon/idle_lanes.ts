/**
 * Extra lanes linger like the daemon does. A host asking another protocol version gets
 * a server process of its own (a lane); once no host has used that lane for the idle
 * time, the daemon asks the router to release it, so a one-off host of another version
 * does not leave a server running for as long as the daemon lives. The default lane
 * lives and dies with the daemon. 0 ms means never, as for the daemon.
 */
import { DEFAULT_LANE } from "../mcp/types.ts";

export interface LaneUse {
  lane: string;
  clients: number;
}

export class IdleLanes {
  readonly #ms: number;
  readonly #release: (lane: string) => void;
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(ms: number, release: (lane: string) => void) {
    this.#ms = ms;
    this.#release = release;
  }

  /** After a host left: restart the clock of every extra lane that has no host now. */
  update(lanes: LaneUse[]): void {
    if (this.#ms <= 0) return;
    for (const { lane, clients } of lanes) {
      if (lane === DEFAULT_LANE || clients > 0) continue;
      clearTimeout(this.#timers.get(lane));
      this.#timers.set(lane, setTimeout(() => {
        this.#timers.delete(lane);
        this.#release(lane); // the router keeps a lane a host has joined meanwhile
      }, this.#ms));
    }
  }

  cancel(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
