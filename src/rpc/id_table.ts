/**
 * One monotonic id space for requests shoal forwards to a single peer.
 *
 * Every request a peer receives gets a fresh integer id from here, whoever sent the
 * original; the entry remembers where the response must go. Ids are never reused
 * (MCP: an id "MUST NOT have been previously used by the requestor within the same
 * session"), which also makes a late response for a forgotten entry unambiguous: it
 * finds nothing and is dropped. Used by the MCP router per upstream lane and meant
 * to serve a plain JSON-RPC mode unchanged.
 */
export class IdTable<T> {
  #next: number;
  #entries = new Map<number, T>();

  /** `firstId` lets a restarted table continue where a previous one stopped. */
  constructor(firstId = 1) {
    this.#next = firstId;
  }

  /** Store `entry` under a new id and return the id. */
  allocate(entry: T): number {
    const id = this.#next++;
    this.#entries.set(id, entry);
    return id;
  }

  /** The entry for `id`, leaving it in place. Non-number ids are never ours. */
  get(id: unknown): T | undefined {
    return typeof id === "number" ? this.#entries.get(id) : undefined;
  }

  /** Remove and return the entry for `id` (undefined when unknown, e.g. a late reply). */
  take(id: unknown): T | undefined {
    if (typeof id !== "number") return undefined;
    const entry = this.#entries.get(id);
    if (entry !== undefined) this.#entries.delete(id);
    return entry;
  }

  /** Forget `id` without looking at it. */
  delete(id: number): boolean {
    return this.#entries.delete(id);
  }

  /** Entries still waiting for a response. */
  get size(): number {
    return this.#entries.size;
  }

  /** The id the next allocation will get. */
  get nextId(): number {
    return this.#next;
  }

  /** Remove and return every entry (e.g. when the peer died), in allocation order. */
  drain(): Array<[number, T]> {
    const all = [...this.#entries];
    this.#entries.clear();
    return all;
  }

  /** Live entries, in allocation order. */
  values(): IterableIterator<T> {
    return this.#entries.values();
  }
}
