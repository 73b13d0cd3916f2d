// A shared, single-flight list cache: one provider list call serves every object of a kind until it expires.
import type { Clock } from './clock.js';

/** SharedList caches one list result for ttlMs, shares in-flight fetches, and takes local updates from writes. */
export class SharedList<K, T> {
  #items: Map<K, T> | undefined;
  #fetchedAt = 0;
  #stale = false;
  #inflight: Promise<Map<K, T>> | undefined;

  constructor(
    private readonly fetch: () => Promise<T[]>,
    private readonly keyOf: (item: T) => K,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /** items returns the cached list, fetching only when missing, stale or expired. */
  async items(): Promise<T[]> {
    if (this.#items && !this.#stale && this.clock.monotonic() - this.#fetchedAt < this.ttlMs) return [...this.#items.values()];
    return [...(await this.refresh()).values()];
  }

  /** refresh lists now (sharing a fetch already under way). */
  refresh(): Promise<Map<K, T>> {
    this.#inflight ??= (async () => {
      const started = this.clock.monotonic();
      const list = await this.fetch();
      this.#items = new Map(list.map((i) => [this.keyOf(i), i]));
      this.#fetchedAt = started;
      this.#stale = false;
      return this.#items;
    })().finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  put(item: T): void { this.#items?.set(this.keyOf(item), item); }
  drop(key: K): void { this.#items?.delete(key); }
  invalidate(): void { this.#stale = true; }
}
