// Shared per-zone observation cache: one paginated list per zone feeds every DNSRecord in it (informer-style).
import type { Clock } from '../engine/clock.js';
import { SharedList } from '../engine/shared-list.js';
import type { ObservedRecord } from './normalize.js';

/** ZoneLister is the part of the DNS port the cache needs. */
export interface ZoneLister<R extends ObservedRecord> {
  findZone(name: string): Promise<{ id: string; name: string; plan?: string } | undefined>;
  listRecords(zoneId: string): Promise<R[]>;
}

interface ZoneId { id: string; plan?: string }

/** ZoneCache lists each zone at most once per ttl, shares in-flight lists and lookups, and applies writes locally. */
export class ZoneCache<R extends ObservedRecord> {
  readonly #lists = new Map<string, SharedList<string, R>>();
  readonly #zoneIds = new Map<string, Promise<ZoneId | null>>();

  constructor(private readonly api: ZoneLister<R>, private readonly clock: Clock, private readonly ttlMs: number) {}

  /** zone returns the zone's id and records, listing it only when the cache is missing, stale or expired. */
  async zone(name: string): Promise<{ zoneId: string; plan?: string; records: R[] } | undefined> {
    const zid = await this.#zoneId(name);
    if (!zid) return undefined;
    let list = this.#lists.get(name);
    if (!list) this.#lists.set(name, (list = new SharedList(() => this.api.listRecords(zid.id), (r) => r.id, this.clock, this.ttlMs)));
    return { zoneId: zid.id, ...(zid.plan ? { plan: zid.plan } : {}), records: await list.items() };
  }

  /** put records a written record (create or edit response). */
  put(zone: string, record: R): void { this.#lists.get(zone)?.put(record); }

  /** drop forgets a deleted record. */
  drop(zone: string, id: string): void { this.#lists.get(zone)?.drop(id); }

  /** invalidate makes the next read of a zone (or every zone) list again, as a forced resync does. */
  invalidate(zone?: string): void {
    for (const [name, list] of this.#lists) if (!zone || name === zone) list.invalidate();
    // Zones that were missing are looked up again; found ids are stable and stay cached.
    if (!zone) for (const [name, p] of this.#zoneIds) void p.then((v) => { if (v === null) this.#zoneIds.delete(name); });
  }

  // Concurrent reconciles in one zone share a single lookup; the answer is kept.
  #zoneId(name: string): Promise<ZoneId | null> {
    let p = this.#zoneIds.get(name);
    if (!p) {
      p = this.api.findZone(name).then((z) => (z ? { id: z.id, ...(z.plan ? { plan: z.plan } : {}) } : null));
      p.catch(() => this.#zoneIds.delete(name));
      this.#zoneIds.set(name, p);
    }
    return p;
  }
}
