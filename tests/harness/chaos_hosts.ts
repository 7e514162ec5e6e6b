/**
 * The hosts of a chaos run: real SDK hosts behind `shoal proxy`, each slot calling
 * `echo` with unique payloads until stopped, every call booked in the ledger. A slot
 * whose proxy the test kills gets a replacement host; a slot whose host sees its
 * server exit unasked is booked as a problem, then replaced too.
 */
import process from "node:process";
import type { ChaosLedger } from "./chaos_ledger.ts";
import { waitFor } from "./cleanup.ts";
import type { Host } from "./host.ts";
import type { SeededRandom } from "./seeded_random.ts";
import type { World } from "./shoal_env.ts";

export interface ChaosHostsOptions {
  count: number;
  callTimeoutMs: number;
}

interface Slot {
  index: number;
  host: Host | null;
  generation: number;
  replacing: Promise<void> | null;
}

export class ChaosHosts {
  readonly slots: Slot[] = [];
  /** Every host started, killed ones included. */
  readonly all: Host[] = [];
  /** Hosts whose proxy the test killed, and when. */
  readonly killedAt = new Map<Host, number>();
  stopping = false;
  readonly #world: World;
  readonly #server: string[];
  readonly #ledger: ChaosLedger;
  readonly #pids: Set<number>;
  readonly #o: ChaosHostsOptions;

  /** `pids` collects every proxy pid, for the final no-leftover check. */
  constructor(
    world: World,
    server: string[],
    ledger: ChaosLedger,
    pids: Set<number>,
    options: ChaosHostsOptions,
  ) {
    this.#world = world;
    this.#server = server;
    this.#ledger = ledger;
    this.#pids = pids;
    this.#o = options;
  }

  async start(): Promise<void> {
    for (let index = 0; index < this.#o.count; index++) {
      this.slots.push({ index, host: null, generation: 0, replacing: null });
    }
    await Promise.all(this.slots.map(async (slot) => (slot.host = await this.#startHost(slot))));
  }

  async #startHost(slot: Slot): Promise<Host> {
    const host = await this.#world.host(this.#server, {
      name: `chaos-${slot.index}.${slot.generation}`,
      connectTimeoutMs: 15_000,
    });
    this.all.push(host);
    this.#pids.add(host.pid);
    host.exited.then((status) => {
      if (this.killedAt.has(host) || this.stopping) return;
      this.#ledger.problem(
        `host ${slot.index}.${slot.generation}: its server exited (${JSON.stringify(status)})`,
      );
      if (slot.host === host) this.#replace(slot);
    });
    return host;
  }

  #replace(slot: Slot): void {
    slot.host = null;
    slot.replacing = (async () => {
      slot.generation++;
      try {
        slot.host = await this.#startHost(slot);
      } catch (err) {
        this.#ledger.problem(
          `host ${slot.index}.${slot.generation}: cannot start a replacement: ${err}`,
        );
      }
      slot.replacing = null;
    })();
  }

  /** One caller per slot and `worker`, each with its own generator; resolve when stopped. */
  callers(perSlot: number, rng: SeededRandom): Promise<void>[] {
    return this.slots.flatMap((slot) =>
      Array.from({ length: perSlot }, (_, w) => this.#work(slot, w, rng.fork()))
    );
  }

  /**
   * Call `echo` back to back on one slot until stopped; now and then a burst of calls
   * at once, so the proxy reads several requests in one chunk when a daemon dies.
   */
  async #work(slot: Slot, worker: number, rng: SeededRandom): Promise<void> {
    for (let seq = 0; !this.stopping;) {
      if (slot.replacing !== null) await slot.replacing;
      const host = slot.host;
      if (host === null || this.stopping) return;
      const burst = rng.chance(0.2) ? rng.int(2, 6) : 1;
      const calls = Array.from({ length: burst }, () => {
        const payload = `${slot.index}.${slot.generation}.${worker}.${seq++}.${
          rng.int(0, 0xffffff).toString(36)
        }`;
        const delayMs = rng.chance(0.25) ? rng.int(1, 200) : 0;
        return this.#call(host, `host ${slot.index}.${slot.generation}`, payload, delayMs);
      });
      await Promise.all(calls);
    }
  }

  async #call(host: Host, name: string, payload: string, delayMs: number): Promise<void> {
    const args = delayMs > 0 ? { text: payload, delayMs } : { text: payload };
    const startedAt = Date.now();
    const call = () => ({
      host: name,
      payload,
      startedAt,
      endedAt: Date.now(),
      hostKilledAt: this.killedAt.get(host),
    });
    try {
      const outcome = await host.callTool("echo", args, {
        timeoutMs: this.#o.callTimeoutMs,
        progress: false,
      });
      this.#ledger.succeeded(call(), outcome.text);
    } catch (err) {
      this.#ledger.failed(call(), err);
    }
  }

  /** `kill -9` the proxy of a random settled slot and start a replacement host. */
  killProxy(rng: SeededRandom): void {
    const ready = this.slots.filter((s) => s.host !== null && s.replacing === null);
    if (ready.length === 0) {
      this.#ledger.skipped.proxy++;
      return;
    }
    const slot = rng.pick(ready);
    const host = slot.host!;
    this.#ledger.fault("proxy", host.pid, `host ${slot.index}.${slot.generation}`, () => {
      this.killedAt.set(host, Date.now());
      process.kill(host.pid, "SIGKILL");
    });
    this.#replace(slot);
  }

  /** After the chaos: every slot's host answers again (the server may still be in backoff). */
  async recovered(): Promise<void> {
    await Promise.all(this.slots.map(async (slot) => {
      if (slot.replacing !== null) await slot.replacing;
      const host = slot.host;
      if (host === null) return; // already booked as a problem
      const payload = `final.${slot.index}`;
      const works = async () =>
        (await host.callTool("echo", { text: payload }, { timeoutMs: 5_000, progress: false })
          .catch(() => null))
          ?.text === payload;
      await waitFor(works, { timeoutMs: 20_000, what: `host ${slot.index} to work again` })
        .catch((err) => this.#ledger.problem(String(err)));
    }));
  }

  /** No split brain left: every host reaches the one server `status` shows. */
  async sameServer(pid: number): Promise<void> {
    for (const slot of this.slots) {
      const outcome = await slot.host?.callTool("pid", {}, { timeoutMs: 5_000, progress: false })
        .catch((e) => e);
      const served = outcome?.structured?.pid;
      if (served !== pid) {
        this.#ledger.problem(
          `host ${slot.index} reaches server ${served ?? outcome}, status shows ${pid}`,
        );
      }
    }
  }

  /** Problems only visible on the hosts: duplicate responses, direct-mode fallbacks. */
  inspect(): void {
    for (const host of this.all) {
      for (const error of host.errors) {
        if (/unknown message ID/.test(error.message)) {
          this.#ledger.problem(`duplicate or stray response: ${error.message}`);
        }
      }
      if (/running the server directly/.test(host.stderr())) {
        this.#ledger.problem(`a proxy fell back to direct mode: ${host.stderr().trim()}`);
      }
    }
  }
}
