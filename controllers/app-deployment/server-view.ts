// One observation per server shared by every app on it: one stack list, one service list and one task list per resync.
import type { Clock } from '../../src/engine/clock.js';

/** Lists are the three list calls a server's view is built from. */
export interface Lists<S, V, T> {
  stacks(): Promise<S[]>;
  services(): Promise<V[]>;
  tasks(): Promise<T[]>;
}

interface Entry<S, V, T> { at: number; value?: { stacks: S[]; services: V[]; tasks: T[] }; inflight?: Promise<{ stacks: S[]; services: V[]; tasks: T[] }>; stale: boolean }

/**
 * ServerViews caches each server's three lists for ttlMs (single flight: concurrent apps share one fetch). A write by any
 * app marks the server stale, so the next reader sees it; rollouts poll with `fresh`, which still shares one fetch.
 */
export class ServerViews<S, V, T> {
  readonly #entries = new Map<string, Entry<S, V, T>>();
  constructor(private readonly clock: Clock, private readonly ttlMs: number) {}

  async get(server: string, lists: Lists<S, V, T>, opts: { fresh?: boolean; maxAgeMs?: number } = {}): Promise<{ stacks: S[]; services: V[]; tasks: T[] }> {
    let e = this.#entries.get(server);
    if (!e) this.#entries.set(server, (e = { at: 0, stale: true }));
    const age = this.clock.monotonic() - e.at;
    const limit = opts.fresh ? (opts.maxAgeMs ?? 1000) : this.ttlMs;
    if (e.value && !e.stale && age < limit) return e.value;
    if (e.inflight) return e.inflight;
    const entry = e;
    const started = this.clock.monotonic();
    entry.inflight = (async () => {
      const [stacks, services, tasks] = await Promise.all([lists.stacks(), lists.services(), lists.tasks()]);
      entry.value = { stacks, services, tasks };
      entry.at = started;
      entry.stale = false;
      return entry.value;
    })().finally(() => { entry.inflight = undefined; });
    return entry.inflight;
  }

  /** touched marks a server's view stale after a write. */
  touched(server: string): void {
    const e = this.#entries.get(server);
    if (e) e.stale = true;
  }

  /** invalidate drops every view (resync round). */
  invalidate(): void { for (const e of this.#entries.values()) e.stale = true; }
}
