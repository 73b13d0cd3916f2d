// DNSRecord controller: observe the zone cache, diff against the normalised spec, write through the DNS port, summarise.
import type { PlanContext, PlanItem, ReconcileContext, ReconcileResult, Reconciler } from '../src/engine/reconciler.js';
import { TerminalError, WaitError } from '../src/engine/errors.js';
import { ANNOTATION_ADOPT, type Resource } from '../src/engine/types.js';
import type { Clock } from '../src/engine/clock.js';
import {
  MULTI_VALUE, diffRecord, normalizeContent, normalizeZone, ownerMarker, parseOwner, wanted,
  type DnsRecordSpec, type FieldChange, type ObservedRecord, type WantedRecord,
} from '../src/dns/normalize.js';
import { ZoneCache } from '../src/dns/zone-cache.js';

/** DnsRecordInput is what the port writes: an observed record without its id, with a plain comment. */
export type DnsRecordInput = Omit<ObservedRecord, 'id' | 'comment'> & { comment?: string };

/** DnsPort is the controller's only I/O: the Cloudflare client satisfies it structurally. */
export interface DnsPort {
  findZone(name: string): Promise<{ id: string; name: string; plan?: string } | undefined>;
  listRecords(zoneId: string): Promise<ObservedRecord[]>;
  createRecord(zoneId: string, input: DnsRecordInput): Promise<ObservedRecord>;
  editRecord(zoneId: string, id: string, patch: Partial<DnsRecordInput>): Promise<ObservedRecord>;
  deleteRecord(zoneId: string, id: string): Promise<void>;
}

export interface DnsRecordDeps {
  dns: DnsPort;
  clock: Clock;
  /** Resync interval; the zone cache lives half of it. @default 600000 */
  resyncMs?: number;
  /** Called when drift is corrected, for the drift metric. */
  onDrift?(fields: string[]): void;
  /** Whether a provider error means "record already gone". */
  isNotFound?(err: unknown): boolean;
}

/** Action is the pure diff's decision for one object. */
export type DnsAction =
  | { type: 'create'; want: WantedRecord }
  | { type: 'update'; record: ObservedRecord; want: WantedRecord; changes: FieldChange[]; markerOnly: boolean; adopt: boolean }
  | { type: 'recreate'; record: ObservedRecord; want: WantedRecord }
  | { type: 'conflict'; record: ObservedRecord }
  | { type: 'none'; record: ObservedRecord };

/** decide is the pure diff: desired × zone records → one action. */
export function decide(want: WantedRecord, records: ObservedRecord[], instance: string, name: string, adopt: boolean): DnsAction {
  const marker = ownerMarker(instance, name);
  const ours = records.filter((r) => r.comment?.includes(marker));
  const mine = ours.find((r) => r.type === want.type && r.name.toLowerCase() === want.name);
  if (!mine) {
    const other = ours[0];
    // A type change (or a renamed record) is the only case that deletes and recreates.
    if (other) return { type: 'recreate', record: other, want };
  }
  if (mine) {
    const changes = diffRecord(want, mine);
    if (changes.length === 0) return { type: 'none', record: mine };
    return { type: 'update', record: mine, want, changes, markerOnly: false, adopt: false };
  }
  const sameName = records.filter((r) => r.type === want.type && r.name.toLowerCase() === want.name);
  const clashing = MULTI_VALUE.has(want.type)
    ? sameName.filter((r) => normalizeContent(r.type, r.content) === want.content)
    : sameName;
  const foreign = clashing[0];
  if (!foreign) return { type: 'create', want };
  if (!adopt) return { type: 'conflict', record: foreign };
  return { type: 'update', record: foreign, want, changes: diffRecord(want, foreign), markerOnly: true, adopt: true };
}

/** createDnsRecordController builds the DNSRecord reconciler over a DNS port. */
export function createDnsRecordController(deps: DnsRecordDeps): Reconciler {
  const resyncMs = deps.resyncMs ?? 600_000;
  const cache = new ZoneCache(deps.dns, deps.clock, resyncMs / 2);

  async function resolveContent(spec: DnsRecordSpec, dependency: ReconcileContext['dependency']): Promise<string> {
    if (spec.content !== undefined) return spec.content;
    const from = spec.contentFrom!;
    const depKey = `Server/${from.server}`;
    const dep = dependency(depKey);
    const addr = dep.status?.observed?.[from.address];
    if (typeof addr !== 'string' || !addr) {
      const why = dep.exists ? `Server ${from.server} has no ${from.address} address yet` : `Server ${from.server} does not exist`;
      throw new WaitError('WaitingForServer', why, resyncMs, [depKey]);
    }
    return addr;
  }

  async function observe(spec: DnsRecordSpec) {
    const zone = normalizeZone(spec.zone);
    const z = await cache.zone(zone);
    if (!z) throw new TerminalError('ZoneNotFound', `zone ${zone} was not found with this token (it needs Zone:Read and DNS:Edit)`);
    return { zone, ...z };
  }

  function inputFor(want: WantedRecord, instance: string, name: string, plan?: string): DnsRecordInput {
    return {
      type: want.type, name: want.name, content: want.content, ttl: want.ttl,
      ...(['A', 'AAAA', 'CNAME'].includes(want.type) ? { proxied: want.proxied } : {}),
      ...(want.priority !== undefined ? { priority: want.priority } : {}),
      comment: ownerMarker(instance, name),
      // Tags are a paid-plan feature; the comment alone carries ownership on free zones.
      ...(plan && plan !== 'free' ? { tags: [`livchat-instance:${instance}`, `livchat-object:${name}`] } : {}),
    };
  }

  async function remove(ctx: ReconcileContext, spec: DnsRecordSpec): Promise<ReconcileResult> {
    const policy = spec.deletionPolicy ?? 'Delete';
    const { zone, zoneId, records } = await observe(spec);
    const ours = records.filter((r) => r.comment?.includes(ownerMarker(ctx.instance, ctx.name)));
    for (const r of ours) {
      if (policy === 'Orphan') {
        const comment = (r.comment ?? '').replace(ownerMarker(ctx.instance, ctx.name), '').trim();
        cache.put(zone, await deps.dns.editRecord(zoneId, r.id, { comment }));
        ctx.event('Normal', 'Orphaned', `left ${r.type} ${r.name} in place and removed the ownership marker`);
        continue;
      }
      try {
        await deps.dns.deleteRecord(zoneId, r.id);
      } catch (err) {
        if (!deps.isNotFound?.(err)) throw err;
      }
      cache.drop(zone, r.id);
      ctx.event('Normal', 'Deleted', `deleted ${r.type} ${r.name}`);
    }
    return { ready: { status: 'False', reason: 'Deleted', message: 'record removed' }, deleted: true };
  }

  async function reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    const spec = ctx.object.spec as unknown as DnsRecordSpec;
    if (!ctx.desired) return remove(ctx, spec);
    const content = await resolveContent(spec, ctx.dependency);
    const want = wanted(spec, content);
    const { zone, zoneId, plan, records } = await observe(spec);
    const adopt = ctx.object.metadata.annotations?.[ANNOTATION_ADOPT] === 'true';
    const action = decide(want, records, ctx.instance, ctx.name, adopt);
    let record: ObservedRecord;
    switch (action.type) {
      case 'conflict': {
        const owner = parseOwner(action.record.comment);
        throw new TerminalError('Conflict', `${/^[AEFHILMNORSX]/.test(action.record.type) ? 'an' : 'a'} ${action.record.type} record for ${action.record.name} already exists and is ${owner ? `owned by ${owner.instance}:${owner.name}` : 'not managed by livchat'}; annotate livchat.ai/adopt: "true" to take it over`);
      }
      case 'create':
        try {
          record = await deps.dns.createRecord(zoneId, inputFor(want, ctx.instance, ctx.name, plan));
        } catch (err) {
          // A create retried after a lost response comes back as a duplicate: look again before stalling.
          if (!(err instanceof TerminalError && err.reason === 'Conflict')) throw err;
          cache.invalidate(zone);
          const again = decide(want, (await observe(spec)).records, ctx.instance, ctx.name, adopt);
          if (again.type !== 'none') throw err;
          record = again.record;
        }
        cache.put(zone, record);
        ctx.event('Normal', 'Created', `created ${want.type} ${want.name} → ${want.content}`);
        break;
      case 'recreate':
        // Delete first: a CNAME cannot coexist with an A record of the same name.
        try { await deps.dns.deleteRecord(zoneId, action.record.id); } catch (err) { if (!deps.isNotFound?.(err)) throw err; }
        cache.drop(zone, action.record.id);
        record = await deps.dns.createRecord(zoneId, inputFor(want, ctx.instance, ctx.name, plan));
        cache.put(zone, record);
        ctx.event('Normal', 'Recreated', `type changed: replaced ${action.record.type} ${action.record.name} with ${want.type}`);
        break;
      case 'update': {
        const input = inputFor(want, ctx.instance, ctx.name, plan);
        const patch: Partial<DnsRecordInput> = {};
        for (const c of action.changes) (patch as Record<string, unknown>)[c.field] = input[c.field];
        if (action.adopt) { patch.comment = [action.record.comment, input.comment].filter(Boolean).join(' '); if (input.tags) patch.tags = [...(action.record.tags ?? []), ...input.tags]; }
        if ('proxied' in patch || 'ttl' in patch) { patch.ttl = input.ttl; if (input.proxied !== undefined) patch.proxied = input.proxied; }
        record = await deps.dns.editRecord(zoneId, action.record.id, patch);
        cache.put(zone, record);
        const fields = action.changes.map((c) => c.field);
        if (action.adopt) ctx.event('Normal', 'Adopted', `took over ${want.type} ${want.name}${fields.length ? ` and changed ${fields.join(', ')}` : ''}`);
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
    return {
      ready: { status: 'True', reason: 'Available', message: `${want.type} ${want.name} → ${want.content}` },
      observed: { recordId: record.id, zoneId, fqdn: record.name, content: record.content, ttl: record.ttl, proxied: record.proxied === true },
    };
  }

  async function planOne(ctx: PlanContext): Promise<PlanItem> {
    const spec = ctx.object.spec as unknown as DnsRecordSpec;
    const { zone, records } = await observe(spec);
    const marker = ownerMarker(ctx.instance, ctx.object.metadata.name);
    if (!ctx.desired) {
      const ours = records.filter((r) => r.comment?.includes(marker));
      return ours.length
        ? { key: ctx.key, action: 'delete', message: `${spec.deletionPolicy === 'Orphan' ? 'orphan' : 'delete'} ${ours.map((r) => `${r.type} ${r.name}`).join(', ')}` }
        : { key: ctx.key, action: 'no-op', message: 'already gone' };
    }
    let content: string;
    try {
      content = await resolveContent(spec, ctx.dependency);
    } catch (err) {
      if (err instanceof WaitError) {
        const existing = records.find((r) => r.comment?.includes(marker));
        return existing ? { key: ctx.key, action: 'no-op', message: `${err.message}; keeps ${existing.content}` } : { key: ctx.key, action: 'create', message: `${spec.type} ${zone}: content from ${spec.contentFrom?.server} once it has an address` };
      }
      throw err;
    }
    const want = wanted(spec, content);
    const adopt = ctx.object.metadata.annotations?.[ANNOTATION_ADOPT] === 'true';
    const a = decide(want, records, ctx.instance, ctx.object.metadata.name, adopt);
    switch (a.type) {
      case 'create': return { key: ctx.key, action: 'create', changes: [{ field: 'content', to: want.content }, { field: 'ttl', to: want.ttl }], message: `${want.type} ${want.name}` };
      case 'recreate': return { key: ctx.key, action: 'update', changes: [{ field: 'type', from: a.record.type, to: want.type }], message: 'type change: delete and recreate' };
      case 'update': return { key: ctx.key, action: 'update', changes: a.changes, message: a.adopt ? 'adopt existing record' : undefined };
      case 'conflict': return { key: ctx.key, action: 'conflict', message: `unowned ${a.record.type} ${a.record.name} → ${a.record.content}` };
      case 'none': return { key: ctx.key, action: 'no-op' };
    }
  }

  return {
    kind: 'DNSRecord',
    settings: { concurrency: 4, resyncMs, backoffBaseMs: 2000, backoffCapMs: 600_000 },
    reconcile,
    plan: planOne,
    invalidate: () => cache.invalidate(),
  };
}

/** dnsRecordsForServer derives the DNSRecord objects a Server's `dns` block asks for. */
export function dnsRecordsFor(owner: string, dns: { zone: string; name: string; ipv6?: boolean }, deletionPolicy: 'Delete' | 'Orphan'): Resource[] {
  const mk = (suffix: string, type: 'A' | 'AAAA', address: 'ipv4' | 'ipv6'): Resource => ({
    apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord',
    metadata: { name: `${owner}-${suffix}` },
    spec: { zone: dns.zone, name: dns.name, type, contentFrom: { server: owner, address }, ttl: 'auto', deletionPolicy },
  });
  return dns.ipv6 ? [mk('a', 'A', 'ipv4'), mk('aaaa', 'AAAA', 'ipv6')] : [mk('a', 'A', 'ipv4')];
}
