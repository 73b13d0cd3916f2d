// Shared per-zone observation cache: one paginated list per zone feeds every DNSRecord in it (informer-style).
import type { Clock } from '../engine/clock.js';
import type { ObservedRecord } from './normalize.js';

/** ZoneLister is the part of the DNS port the cache needs. */
export interface ZoneLister<R extends ObservedRecord> {
  findZone(name: string): Promise<{ id: string; name: string; plan?: string } | undefined>;
  listRecords(zoneId: string): Promise<R[]>;
}

interface Entry<R> { zoneId: string; plan?: string; records: Map<string, R>; fetchedAt: number; stale: boolean }

/** ZoneCache lists each zone at most once per ttl, shares in-flight lists, and applies writes locally. */
export class ZoneCache<R extends ObservedRecord> {
  readonly #zones = new Map<string, Entry<R>>();
  readonly #zoneIds = new Map<string, { id: string; plan?: string } | null>();
  readonly #inflight = new Map<string, Promise<Entry<R>>>();
  readonly #zoneLookups = new Map<string, Promise<{ id: string; plan?: string } | null>>();

  constructor(private readonly api: ZoneLister<R>, private readonly clock: Clock, private readonly ttlMs: number) {}

  /** zone returns the zone's id and records, listing it only when the cache is missing, stale or expired. */
  async zone(name: string): Promise<{ zoneId: string; plan?: string; records: R[] } | undefined> {
    const zid = await this.#zoneId(name);
    if (!zid) return undefined;
    const cur = this.#zones.get(name);
    if (cur && !cur.stale && this.clock.now() - cur.fetchedAt < this.ttlMs) return view(cur);
    let p = this.#inflight.get(name);
    if (!p) {
      p = (async () => {
        const started = this.clock.now();
        const list = await this.api.listRecords(zid.id);
        const entry: Entry<R> = { zoneId: zid.id, ...(zid.plan ? { plan: zid.plan } : {}), records: new Map(list.map((r) => [r.id, r])), fetchedAt: started, stale: false };
        this.#zones.set(name, entry);
        return entry;
      })().finally(() => this.#inflight.delete(name));
      this.#inflight.set(name, p);
    }
    return view(await p);
  }

  /** peek returns cached records without any API call (for plan when already observed). */
  peek(name: string): R[] | undefined {
    const e = this.#zones.get(name);
    return e ? [...e.records.values()] : undefined;
  }

  /** put records a written record (create or edit response). */
  put(zone: string, record: R): void { this.#zones.get(zone)?.records.set(record.id, record); }

  /** drop forgets a deleted record. */
  drop(zone: string, id: string): void { this.#zones.get(zone)?.records.delete(id); }

  /** invalidate makes the next read of every zone list again (a forced resync), without dropping the data. */
  invalidate(zone?: string): void {
    for (const [name, e] of this.#zones) if (!zone || name === zone) e.stale = true;
    if (!zone) for (const [name, v] of this.#zoneIds) if (v === null) this.#zoneIds.delete(name);
  }

  async #zoneId(name: string): Promise<{ id: string; plan?: string } | undefined> {
    if (this.#zoneIds.has(name)) return this.#zoneIds.get(name) ?? undefined;
    // Concurrent reconciles in one zone share a single lookup.
    let p = this.#zoneLookups.get(name);
    if (!p) {
      p = this.api.findZone(name).then((z) => {
        const v = z ? { id: z.id, ...(z.plan ? { plan: z.plan } : {}) } : null;
        this.#zoneIds.set(name, v);
        return v;
      }).finally(() => this.#zoneLookups.delete(name));
      this.#zoneLookups.set(name, p);
    }
    return (await p) ?? undefined;
  }
}

function view<R>(e: Entry<R>): { zoneId: string; plan?: string; records: R[] } {
  return { zoneId: e.zoneId, ...(e.plan ? { plan: e.plan } : {}), records: [...e.records.values()] };
}
