// A shared, single-flight list cache: one provider list call serves every object of a kind until it expires.
import type { Clock } from './clock.js';

/** SharedListOptions adds secondary indexes and a read-after-write guard to a SharedList. */
export interface SharedListOptions<T> {
  /** Named secondary indexes: each maps an item to the keys it is found under. */
  indexes?: Record<string, (item: T) => readonly string[]>;
  /** How long our own writes win over a list that does not show them yet (an eventually consistent provider). @default 0 */
  writeGraceMs?: number;
  /** A comparable version (e.g. modified_on); a listed item older than our own write is a lagging list. */
  versionOf?: (item: T) => string | number | undefined;
}

/** ListView is a read-only view of the cached list with O(1) index lookups. */
export interface ListView<T> {
  get(index: string, key: string): T[];
  all(): T[];
  readonly size: number;
}

interface LocalWrite<T> { at: number; seq: number; item: T | undefined }

/** SharedList caches one list result for ttlMs, shares in-flight fetches, and takes local updates from writes. */
export class SharedList<K, T> {
  #items: Map<K, T> | undefined;
  #index = new Map<string, Map<string, Map<K, T>>>();
  #fetchedAt = 0;
  #stale = false;
  #inflight: Promise<Map<K, T>> | undefined;
  // Our own writes, kept until a list shows them (or their grace ends): a list started before a write, or a lagging one, must not undo it.
  #local = new Map<K, LocalWrite<T>>();
  // Orders writes against list starts exactly, even when the clock has not moved between them.
  #seq = 0;
  readonly #opts: SharedListOptions<T>;

  constructor(
    private readonly fetch: () => Promise<T[]>,
    private readonly keyOf: (item: T) => K,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    opts: SharedListOptions<T> = {},
  ) {
    this.#opts = opts;
  }

  /** items returns a copy of the cached list, fetching only when missing, stale or expired. */
  async items(): Promise<T[]> {
    return (await this.view()).all();
  }

  /** view returns the cached list (fetching only when missing, stale or expired) without copying it. */
  async view(): Promise<ListView<T>> {
    if (!(this.#items && !this.#stale && this.clock.monotonic() - this.#fetchedAt < this.ttlMs)) await this.refresh();
    const items = this.#items!;
    return {
      get: (index, key) => [...(this.#index.get(index)?.get(key)?.values() ?? [])],
      all: () => [...items.values()],
      get size() { return items.size; },
    };
  }

  /** refresh lists now (sharing a fetch already under way). */
  refresh(): Promise<Map<K, T>> {
    this.#inflight ??= (async () => {
      const started = this.clock.monotonic();
      const startSeq = this.#seq;
      const list = await this.fetch();
      this.#items = new Map(list.map((i) => [this.keyOf(i), i]));
      this.#reindex();
      this.#overlay(startSeq);
      this.#fetchedAt = started;
      this.#stale = false;
      return this.#items;
    })().finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  put(item: T): void {
    const key = this.keyOf(item);
    this.#local.set(key, { at: this.clock.monotonic(), seq: ++this.#seq, item });
    this.#set(key, item);
  }

  drop(key: K): void {
    this.#local.set(key, { at: this.clock.monotonic(), seq: ++this.#seq, item: undefined });
    this.#set(key, undefined);
  }

  invalidate(): void { this.#stale = true; }

  // Re-apply our writes the fresh list does not reflect yet; forget those it does, or whose grace is over.
  #overlay(startSeq: number): void {
    const grace = this.#opts.writeGraceMs ?? 0;
    const version = this.#opts.versionOf;
    for (const [key, w] of this.#local) {
      const listed = this.#items!.get(key);
      const inFlight = w.seq > startSeq;
      const young = this.clock.monotonic() - w.at < grace;
      let lagging = false;
      if (w.item === undefined) lagging = listed !== undefined;
      else if (listed === undefined) lagging = true;
      else if (version) { const a = version(listed); const b = version(w.item); lagging = a !== undefined && b !== undefined && a < b; }
      if (inFlight || (young && lagging)) this.#set(key, w.item);
      else this.#local.delete(key);
    }
  }

  #set(key: K, item: T | undefined): void {
    if (!this.#items) return;
    const old = this.#items.get(key);
    if (old !== undefined) this.#unindex(key, old);
    if (item === undefined) { this.#items.delete(key); return; }
    this.#items.set(key, item);
    this.#addIndex(key, item);
  }

  #reindex(): void {
    this.#index = new Map();
    for (const [k, v] of this.#items!) this.#addIndex(k, v);
  }

  #addIndex(key: K, item: T): void {
    for (const [name, fn] of Object.entries(this.#opts.indexes ?? {})) {
      let idx = this.#index.get(name);
      if (!idx) this.#index.set(name, (idx = new Map()));
      for (const k of fn(item)) {
        let bucket = idx.get(k);
        if (!bucket) idx.set(k, (bucket = new Map()));
        bucket.set(key, item);
      }
    }
  }

  #unindex(key: K, item: T): void {
    for (const [name, fn] of Object.entries(this.#opts.indexes ?? {})) {
      const idx = this.#index.get(name);
      for (const k of fn(item)) {
        const bucket = idx?.get(k);
        bucket?.delete(key);
        if (bucket?.size === 0) idx!.delete(k);
      }
    }
  }
}
