// Shared per-zone observation cache: one paginated list per zone feeds every DNSRecord in it (informer-style), indexed.
import type { Clock } from '../../src/engine/clock.js';
import { SharedList, type ListView } from '../../src/engine/shared-list.js';
import { ownerKeys } from './marker.js';
import type { ObservedRecord } from './normalize.js';

/** ZoneLister is the part of the DNS port the cache needs. */
export interface ZoneLister<R extends ObservedRecord> {
  findZone(name: string): Promise<{ id: string; name: string; plan?: string } | undefined>;
  listRecords(zoneId: string): Promise<R[]>;
}

interface ZoneId { id: string; plan?: string }

/** ZoneView answers the two questions a reconcile asks of a zone in O(1): whose records, and what is at a name. */
export interface ZoneView<R extends ObservedRecord = ObservedRecord> {
  /** owned lists the records carrying this canonical owner marker. */
  owned(marker: string): R[];
  /** at lists the records of one type at one lower-case FQDN. */
  at(name: string, type: string): R[];
  all(): R[];
  readonly size: number;
}

/** WRITE_GRACE_MS is how long our own writes win over a list that does not show them yet (Terraform's provider waits 30 s). */
export const WRITE_GRACE_MS = 30_000;

const BY_OWNER = 'owner';
const BY_NAME = 'name';
const nameKey = (name: string, type: string) => `${type.toUpperCase()} ${name.toLowerCase()}`;

/** viewOf indexes a plain record array (for pure callers and tests). */
export function viewOf<R extends ObservedRecord>(records: R[]): ZoneView<R> {
  return {
    owned: (m) => records.filter((r) => ownerKeys(r).includes(m)),
    at: (n, t) => records.filter((r) => nameKey(r.name, r.type) === nameKey(n, t)),
    all: () => [...records],
    size: records.length,
  };
}

function fromList<R extends ObservedRecord>(v: ListView<R>): ZoneView<R> {
  return { owned: (m) => v.get(BY_OWNER, m), at: (n, t) => v.get(BY_NAME, nameKey(n, t)), all: () => v.all(), get size() { return v.size; } };
}

/** ZoneCache lists each zone at most once per ttl, shares in-flight lists and lookups, and applies writes locally. */
export class ZoneCache<R extends ObservedRecord> {
  readonly #lists = new Map<string, SharedList<string, R>>();
  readonly #zoneIds = new Map<string, Promise<ZoneId | null>>();

  constructor(private readonly api: ZoneLister<R>, private readonly clock: Clock, private readonly ttlMs: number) {}

  /** zone returns the zone's id and an indexed view of its records, listing only when missing, stale or expired. */
  async zone(name: string): Promise<{ zoneId: string; plan?: string; records: ZoneView<R> } | undefined> {
    const zid = await this.#zoneId(name);
    if (!zid) return undefined;
    let list = this.#lists.get(name);
    if (!list) {
      list = new SharedList(() => this.api.listRecords(zid.id), (r) => r.id, this.clock, this.ttlMs, {
        indexes: { [BY_OWNER]: (r) => ownerKeys(r), [BY_NAME]: (r) => [nameKey(r.name, r.type)] },
        writeGraceMs: WRITE_GRACE_MS,
        versionOf: (r) => (r as { modifiedOn?: string }).modifiedOn,
      });
      this.#lists.set(name, list);
    }
    return { zoneId: zid.id, ...(zid.plan ? { plan: zid.plan } : {}), records: fromList(await list.view()) };
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
