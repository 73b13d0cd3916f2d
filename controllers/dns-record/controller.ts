// DNSRecord controller: observe the zone cache, diff against the normalised spec, write through the DNS port, summarise.
import type { DependencyReader, PlanContext, PlanItem, ReconcileContext, ReconcileResult, Reconciler } from '../../src/engine/reconciler.js';
import { DomainError, TerminalError, WaitError, hasCode } from '../../src/engine/errors.js';
import { dnsFact } from './failure.js';
import { ANNOTATION_ADOPT, ANNOTATION_FORMER_NAMES, type Resource } from '../../src/engine/types.js';
import type { Clock } from '../../src/engine/clock.js';
import {
  MULTI_VALUE, diffRecord, normalizeContent, normalizeZone, ownerMarker, parseOwner, wanted,
  type DnsRecordSpec, type FieldChange, type ObservedRecord, type WantedRecord,
} from './normalize.js';
import { isOwnedBy, ownerKeys, ownerTags, parseMarkers, TAG_INSTANCE, TAG_OBJECT, withMarker, withoutMarker } from './marker.js';
import { viewOf, ZoneCache, type ZoneView } from './zone-cache.js';

import type { DnsPort, DnsRecordInput } from './port.js';

export type { DnsPort, DnsRecordInput } from './port.js';

export interface DnsRecordDeps {
  dns: DnsPort;
  clock: Clock;
  /** Resync interval; the zone cache lives half of it. @default 600000 */
  resyncMs?: number;
  /** Called when drift is corrected, for the drift metric. */
  onDrift?(fields: string[]): void;
  /** Whether a provider error means "record already gone". */
  isNotFound?(err: unknown): boolean;
  /** How long a create may keep failing on a name we just cleared (Cloudflare is not read-after-write consistent). @default 60000 */
  settleMs?: number;
}

/** SETTLE_RETRY_MS is how soon a create blocked by our own just-deleted record is tried again. */
export const SETTLE_RETRY_MS = 5_000;

/** Action is the pure diff's decision for one object. */
export type DnsAction =
  | { type: 'create'; want: WantedRecord }
  | { type: 'update'; record: ObservedRecord; want: WantedRecord; changes: FieldChange[]; markerOnly: boolean; adopt: boolean }
  | { type: 'recreate'; record: ObservedRecord; want: WantedRecord; coexist: boolean }
  | { type: 'conflict'; record: ObservedRecord }
  | { type: 'none'; record: ObservedRecord };

const ADDRESS = new Set(['A', 'AAAA', 'CNAME']);

/** canCoexist tells whether Cloudflare lets two records share a moment: a CNAME excludes A/AAAA/CNAME at its name. */
export function canCoexist(a: { type: string; name: string }, b: { type: string; name: string }): boolean {
  if (a.name.toLowerCase() !== b.name.toLowerCase()) return true;
  if (a.type === 'CNAME' || b.type === 'CNAME') return !(ADDRESS.has(a.type) && ADDRESS.has(b.type));
  return true;
}

/** formerNamesOf reads the names the engine gave this derived object before (livchat.ai/former-names). */
export function formerNamesOf(object: Resource): string[] {
  const raw = object.metadata.annotations?.[ANNOTATION_FORMER_NAMES];
  return raw ? raw.split(',').map((n) => n.trim()).filter((n) => n && n !== object.metadata.name) : [];
}

/** ownedBy lists the records carrying this object's marker, or the marker of one of its former names. */
function ownedBy(view: ZoneView, instance: string, name: string, former: readonly string[]): ObservedRecord[] {
  const out = new Map<string, ObservedRecord>();
  for (const n of [name, ...former]) for (const r of view.owned(ownerMarker(instance, n))) out.set(r.id, r);
  return [...out.values()];
}

/** decide is the pure diff: desired × zone records (an indexed view or a plain array) → one action. */
export function decide(want: WantedRecord, records: ObservedRecord[] | ZoneView, instance: string, name: string, adopt: boolean, former: readonly string[] = []): DnsAction {
  const view = Array.isArray(records) ? viewOf(records) : records;
  const ours = ownedBy(view, instance, name, former);
  const mine = ours.find((r) => r.type === want.type && r.name.toLowerCase() === want.name);
  if (!mine) {
    const other = ours[0];
    // A type change (or a renamed record) is the only case that replaces a record.
    if (other) return { type: 'recreate', record: other, want, coexist: canCoexist(other, want) };
  }
  if (mine) {
    const changes = diffRecord(want, mine);
    // Marked only under a former name (the engine renamed this derived object): one PATCH moves the marker.
    const renamed = !isOwnedBy(mine, instance, name);
    if (changes.length === 0 && !renamed) return { type: 'none', record: mine };
    return { type: 'update', record: mine, want, changes, markerOnly: renamed && changes.length === 0, adopt: false };
  }
  const sameName = view.at(want.name, want.type);
  const clashing = MULTI_VALUE.has(want.type)
    ? sameName.filter((r) => normalizeContent(r.type, r.content) === want.content)
    : sameName;
  const foreign = clashing[0];
  if (!foreign) return { type: 'create', want };
  // Adoption is for records no livchat object owns: taking another object's record would make ownership ambiguous.
  if (!adopt || ownerKeys(foreign).length > 0) return { type: 'conflict', record: foreign };
  return { type: 'update', record: foreign, want, changes: diffRecord(want, foreign), markerOnly: true, adopt: true };
}

/** needsMigration tells whether our marker is present only in an older format, to be rewritten with the next write. */
function needsMigration(record: ObservedRecord, instance: string, name: string): boolean {
  const key = ownerMarker(instance, name);
  return parseMarkers(record.comment).some((t) => t.key === key && t.token !== key);
}

function conflictMessage(record: ObservedRecord): string {
  const owner = parseOwner(record.comment);
  const who = owner ? `owned by ${owner.instance}:${owner.name}` : ownerKeys(record).length ? 'owned by another livchat object' : 'not managed by livchat';
  return `${/^[AEFHILMNORSX]/.test(record.type) ? 'an' : 'a'} ${record.type} record for ${record.name} already exists and is ${who}; annotate livchat.ai/adopt: "true" to take it over`;
}

/** Recallable is what recall() needs to know which record an object last wrote. */
interface Recallable { status: { observed?: Record<string, unknown> } | undefined; instance: string; name: string; former: readonly string[] }

/** recallable names an object for recall() and ownership: its status, instance, name and former names. */
const recallable = (ctx: ReconcileContext): Recallable => ({ status: ctx.status, instance: ctx.instance, name: ctx.name, former: formerNamesOf(ctx.object) });

const isConflict = (err: unknown): boolean => hasCode(err, 'Conflict');

/** withReason gives port failures the DNSRecord's own stable reasons where the code alone would be too coarse. */
function withReason(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  if (dnsFact(err) === 'ZoneNotFound') return new TerminalError('ZoneNotFound', err.message, { cause: err });
  if (hasCode(err, 'Invalid')) return new TerminalError('InvalidRecord', err.message, { cause: err });
  return err;
}

/** createDnsRecordController builds the DNSRecord reconciler over a DNS port. */
export function createDnsRecordController(deps: DnsRecordDeps): Reconciler {
  const resyncMs = deps.resyncMs ?? 600_000;
  const settleMs = deps.settleMs ?? 60_000;
  const cache = new ZoneCache(deps.dns, deps.clock, resyncMs / 2);
  // Per object: since when a create has been refused although the zone shows nothing in the way (ours just deleted, or lagging lists).
  const settling = new Map<string, { since: number; why: string }>();

  async function resolveContent(spec: DnsRecordSpec, reader: DependencyReader): Promise<string> {
    if (spec.content !== undefined) return spec.content;
    const from = spec.contentFrom!;
    const depKey = `Server/${from.server}`;
    // Typed through KindObserved (the Server kind declares it): a renamed field fails to compile here.
    const dep = reader.depend('Server', from.server);
    const addr = dep.observed?.[from.address];
    if (typeof addr !== 'string' || !addr) {
      const why = dep.exists ? `Server ${from.server} has no ${from.address} address yet` : `Server ${from.server} does not exist`;
      throw new WaitError('WaitingForServer', why, resyncMs, [depKey]);
    }
    return addr;
  }

  async function observe(spec: DnsRecordSpec, ctx?: Recallable) {
    const zone = normalizeZone(spec.zone);
    let z = await cache.zone(zone);
    if (!z) throw new TerminalError('ZoneNotFound', `zone ${zone} was not found with this token (it needs Zone:Read and DNS:Edit)`);
    if (ctx && await recall(ctx, zone, z.zoneId, z.records)) z = (await cache.zone(zone))!;
    return { zone, ...z };
  }

  /**
   * recall reads the record this object last recorded by id when the zone list does not show it: Cloudflare's lists
   * lag behind writes, and a fresh process (a restart, `apply`) must neither create it twice nor forget to delete it.
   */
  async function recall(ctx: Recallable, zone: string, zoneId: string, records: ZoneView): Promise<boolean> {
    const id = ctx.status?.observed?.['recordId'];
    if (typeof id !== 'string' || ctx.status?.observed?.['zoneId'] !== zoneId) return false;
    if (ownedBy(records, ctx.instance, ctx.name, ctx.former).some((r) => r.id === id)) return false;
    const rec = await deps.dns.getRecord(zoneId, id);
    // Only a record that still carries exactly our marker is ours: someone may have taken it over meanwhile.
    if (!rec || ![ctx.name, ...ctx.former].some((n) => isOwnedBy(rec, ctx.instance, n))) return false;
    cache.put(zone, rec);
    return true;
  }

  function inputFor(want: WantedRecord, instance: string, name: string, plan?: string): DnsRecordInput {
    return {
      type: want.type, name: want.name, content: want.content, ttl: want.ttl,
      ...(ADDRESS.has(want.type) ? { proxied: want.proxied } : {}),
      ...(want.priority !== undefined ? { priority: want.priority } : {}),
      comment: ownerMarker(instance, name),
      // Tags are a paid-plan feature; the comment alone carries ownership on free zones.
      ...(plan && plan !== 'free' ? { tags: ownerTags(instance, name) } : {}),
    };
  }

  /** create writes a new record; a refusal the zone cannot explain is waited out (bounded), never a stall at once. */
  async function create(ctx: ReconcileContext, spec: DnsRecordSpec, want: WantedRecord, zoneId: string, plan: string | undefined, size: number, adopt: boolean): Promise<ObservedRecord> {
    const zone = normalizeZone(spec.zone);
    try {
      return await deps.dns.createRecord(zoneId, inputFor(want, ctx.instance, ctx.name, plan));
    } catch (err) {
      if (hasCode(err, 'QuotaExceeded')) {
        throw new TerminalError('QuotaExceeded', `zone ${zone} already holds ${size} records, its plan's quota: delete records or upgrade the plan (${(err as Error).message})`, { cause: err });
      }
      // A create retried after a lost response comes back as a duplicate: look again before stalling.
      if (!isConflict(err)) throw err;
      cache.invalidate(zone);
      const again = decide(want, (await observe(spec)).records, ctx.instance, ctx.name, adopt, formerNamesOf(ctx.object));
      if (again.type === 'none') return again.record;
      if (again.type === 'conflict') throw new TerminalError('Conflict', conflictMessage(again.record), { cause: err });
      // Nothing visible explains the refusal: a record we just deleted still counts, or the list lags behind a create.
      const now = deps.clock.monotonic();
      const s = settling.get(ctx.key) ?? { since: now, why: (err as Error).message };
      settling.set(ctx.key, s);
      if (now - s.since >= settleMs) {
        // A later attempt (after a spec change or SIGHUP) gets a fresh bound.
        settling.delete(ctx.key);
        throw new TerminalError('Conflict', `Cloudflare kept refusing ${want.type} ${want.name} for ${Math.round((now - s.since) / 1000)} s although no conflicting record is listed: ${s.why}`, { cause: err });
      }
      throw new WaitError('WaitingForConsistency', `Cloudflare still refuses ${want.type} ${want.name} (${(err as Error).message}); a record just removed may still count, retrying`, SETTLE_RETRY_MS);
    }
  }

  async function removeRecord(zone: string, zoneId: string, id: string): Promise<void> {
    try { await deps.dns.deleteRecord(zoneId, id); } catch (err) { if (!deps.isNotFound?.(err)) throw err; }
    cache.drop(zone, id);
  }

  async function remove(ctx: ReconcileContext, spec: DnsRecordSpec): Promise<ReconcileResult> {
    const policy = spec.deletionPolicy ?? 'Delete';
    const me = recallable(ctx);
    const { zone, zoneId, records } = await observe(spec, me);
    settling.delete(ctx.key);
    for (const r of ownedBy(records, ctx.instance, ctx.name, me.former)) {
      if (policy === 'Orphan') {
        const names = [ctx.name, ...me.former];
        const patch: Partial<DnsRecordInput> = { comment: names.reduce((c, n) => withoutMarker(c, ctx.instance, n), r.comment ?? '') };
        const mineTags = new Set(names.flatMap((n) => ownerTags(ctx.instance, n)));
        if (r.tags?.some((t) => mineTags.has(t))) patch.tags = r.tags.filter((t) => !mineTags.has(t));
        cache.put(zone, await deps.dns.editRecord(zoneId, r.id, patch));
        ctx.event('Normal', 'Orphaned', `left ${r.type} ${r.name} in place and removed the ownership marker`);
        continue;
      }
      await removeRecord(zone, zoneId, r.id);
      ctx.event('Normal', 'Deleted', `deleted ${r.type} ${r.name}`);
    }
    return { ready: { status: 'False', reason: 'Deleted', message: 'record removed' }, deleted: true };
  }

  async function reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    try {
      return await reconcileOnce(ctx);
    } catch (err) {
      throw withReason(err);
    }
  }

  async function reconcileOnce(ctx: ReconcileContext): Promise<ReconcileResult> {
    const spec = ctx.object.spec as unknown as DnsRecordSpec;
    if (!ctx.desired) return remove(ctx, spec);
    const content = await resolveContent(spec, ctx);
    const want = wanted(spec, content);
    const me = recallable(ctx);
    const { zone, zoneId, plan, records } = await observe(spec, me);
    const adopt = ctx.object.metadata.annotations?.[ANNOTATION_ADOPT] === 'true';
    const action = decide(want, records, ctx.instance, ctx.name, adopt, me.former);
    const size = () => records.size;
    let record: ObservedRecord;
    switch (action.type) {
      case 'conflict':
        throw new TerminalError('Conflict', conflictMessage(action.record));
      case 'create':
        record = await create(ctx, spec, want, zoneId, plan, size(), adopt);
        cache.put(zone, record);
        ctx.event('Normal', 'Created', `created ${want.type} ${want.name} → ${want.content}`);
        break;
      case 'recreate':
        if (action.coexist) {
          // Both may exist at once: create the new record first, so the name is never without one.
          record = await create(ctx, spec, want, zoneId, plan, size(), adopt);
          cache.put(zone, record);
          await removeRecord(zone, zoneId, action.record.id);
        } else {
          // A CNAME cannot coexist with an A record of the same name: delete first, then wait out Cloudflare's lag.
          await removeRecord(zone, zoneId, action.record.id);
          record = await create(ctx, spec, want, zoneId, plan, size(), adopt);
          cache.put(zone, record);
        }
        ctx.event('Normal', 'Recreated', `type changed: replaced ${action.record.type} ${action.record.name} with ${want.type}`);
        break;
      case 'update': {
        const input = inputFor(want, ctx.instance, ctx.name, plan);
        const patch: Partial<DnsRecordInput> = {};
        for (const c of action.changes) (patch as Record<string, unknown>)[c.field] = input[c.field];
        if (action.adopt) {
          patch.comment = withMarker(action.record.comment, ctx.instance, ctx.name, plan);
          if (input.tags) patch.tags = [...(action.record.tags ?? []).filter((t) => !t.startsWith(TAG_INSTANCE) && !t.startsWith(TAG_OBJECT)), ...input.tags];
        } else if (needsMigration(action.record, ctx.instance, ctx.name) || !isOwnedBy(action.record, ctx.instance, ctx.name)) {
          // A write happens anyway (or the object was renamed): bring the marker to the current name and format.
          patch.comment = withMarker(action.record.comment, ctx.instance, ctx.name, plan);
          if (input.tags) patch.tags = [...(action.record.tags ?? []).filter((t) => !t.startsWith(TAG_INSTANCE) && !t.startsWith(TAG_OBJECT)), ...input.tags];
        }
        if ('proxied' in patch || 'ttl' in patch) { patch.ttl = input.ttl; if (input.proxied !== undefined) patch.proxied = input.proxied; }
        record = await deps.dns.editRecord(zoneId, action.record.id, patch);
        cache.put(zone, record);
        const fields = action.changes.map((c) => c.field);
        if (action.markerOnly && !action.adopt) ctx.event('Normal', 'MarkerMoved', `moved the ownership marker of ${want.type} ${want.name} from ${me.former.join(', ')} to ${ctx.name}`);
        else if (action.adopt) ctx.event('Normal', 'Adopted', `took over ${want.type} ${want.name}${fields.length ? ` and changed ${fields.join(', ')}` : ''}`);
        else if (ctx.status.observedGeneration === ctx.generation) {
          // Same generation as last time yet different: someone changed the record outside livchat.
          ctx.event('Warning', 'DriftCorrected', `record was changed outside livchat; restored ${fields.join(', ')}`);
          deps.onDrift?.(fields);
        } else ctx.event('Normal', 'Updated', `updated ${fields.join(', ')} of ${want.type} ${want.name}`);
        break;
      }
      case 'none':
        record = action.record;
        break;
    }
    settling.delete(ctx.key);
    return {
      ready: { status: 'True', reason: 'Available', message: `${want.type} ${want.name} → ${want.content}` },
      observed: { recordId: record.id, zoneId, fqdn: record.name, content: record.content, ttl: record.ttl, proxied: record.proxied === true },
    };
  }

  async function planOne(ctx: PlanContext): Promise<PlanItem> {
    const spec = ctx.object.spec as unknown as DnsRecordSpec;
    const former = formerNamesOf(ctx.object);
    const { zone, records } = await observe(spec, { status: ctx.status, instance: ctx.instance, name: ctx.object.metadata.name, former });
    const ours = ownedBy(records, ctx.instance, ctx.object.metadata.name, former);
    if (!ctx.desired) {
      return ours.length
        ? { key: ctx.key, action: 'delete', message: `${spec.deletionPolicy === 'Orphan' ? 'orphan' : 'delete'} ${ours.map((r) => `${r.type} ${r.name}`).join(', ')}` }
        : { key: ctx.key, action: 'no-op', message: 'already gone' };
    }
    let content: string;
    try {
      content = await resolveContent(spec, ctx);
    } catch (err) {
      if (err instanceof WaitError) {
        const existing = ours[0];
        return existing ? { key: ctx.key, action: 'no-op', message: `${err.message}; keeps ${existing.content}` } : { key: ctx.key, action: 'create', message: `${spec.type} ${zone}: content from ${spec.contentFrom?.server} once it has an address` };
      }
      throw err;
    }
    const want = wanted(spec, content);
    const adopt = ctx.object.metadata.annotations?.[ANNOTATION_ADOPT] === 'true';
    const a = decide(want, records, ctx.instance, ctx.object.metadata.name, adopt, former);
    switch (a.type) {
      case 'create': return { key: ctx.key, action: 'create', changes: [{ field: 'content', to: want.content }, { field: 'ttl', to: want.ttl }], message: `${want.type} ${want.name}` };
      case 'recreate': return { key: ctx.key, action: 'update', changes: [{ field: 'type', from: a.record.type, to: want.type }], message: a.coexist ? 'type change: create the new record, then delete the old one' : 'type change: delete and recreate' };
      case 'update': return { key: ctx.key, action: 'update', changes: a.changes, message: a.adopt ? 'adopt existing record' : a.markerOnly ? `move the ownership marker from ${former.join(', ')}` : undefined };
      case 'conflict': return { key: ctx.key, action: 'conflict', message: `unowned ${a.record.type} ${a.record.name} → ${a.record.content}` };
      case 'none': return { key: ctx.key, action: 'no-op' };
    }
  }

  return {
    kind: 'DNSRecord',
    settings: { concurrency: 4, resyncMs, backoffBaseMs: 2000, backoffCapMs: 600_000 },
    reconcile,
    plan: planOne,
    reasons: {
      Available: { needsHuman: false, description: 'the record matches the desired state' },
      Deleted: { needsHuman: false, description: 'the record is gone' },
      Conflict: { needsHuman: false, description: 'an unowned record holds the name; adopt it or remove it' },
      ZoneNotFound: { needsHuman: false, description: 'the zone is not in the Cloudflare account' },
      QuotaExceeded: { needsHuman: false, description: 'the zone has no room for another record' },
      InvalidRecord: { needsHuman: false, description: 'Cloudflare rejected the record' },
      WaitingForServer: { needsHuman: false, description: 'the Server this record points at has no address yet' },
      WaitingForConsistency: { needsHuman: false, description: 'a write is not visible in the list yet' },
      CredentialsMissing: { needsHuman: true, description: 'no Cloudflare token is configured' },
      AuthenticationFailed: { needsHuman: true, description: 'Cloudflare rejected the token' },
    },
    invalidate: () => cache.invalidate(),
  };
}
