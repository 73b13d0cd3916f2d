// Upgrade of a state dir whose derived DNS record lives under the old name: the engine moves the state, the record stays.
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsRecordController } from '../../controllers/dns-record/controller.js';
import { isRecordNotFound } from '../../src/providers/cloudflare.js';
import { realClock } from '../../src/engine/clock.js';
import type { Reconciler } from '../../src/engine/reconciler.js';
import { ANNOTATION_FORMER_NAMES, API_VERSION, type Resource } from '../../src/engine/types.js';
import { startCloud, startManager } from '../helpers/harness.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanup) await c(); cleanup = []; });

const recordSpec = { zone: 'example.com', name: 'prod', type: 'A', content: '203.0.113.10', ttl: 300 };
/** A minimal owner kind standing in for Server: it derives one record with the local name `a`. */
const owner: Reconciler = {
  kind: 'Server',
  reconcile: async (ctx) => {
    const child: Resource = { apiVersion: API_VERSION, kind: 'DNSRecord', metadata: { name: 'a' }, spec: recordSpec };
    ctx.own([child]);
    return { ready: { status: 'True', reason: 'Available' } };
  },
};

describe('former-names migration', () => {
  it('moves DNSRecord/prod-a to DNSRecord/server.prod.a with livchat.ai/former-names; the Cloudflare record keeps its id and gets one marker PATCH, then nothing', async () => {
    const cloud = await startCloud({ zones: ['example.com'] });
    cleanup.push(() => cloud.server.close());
    const dns = () => createDnsRecordController({ dns: cloud.cf, clock: realClock, isNotFound: isRecordNotFound });
    // The record as the previous scheme created it: an object named prod-a owning the Cloudflare record.
    const old = startManager([dns()]);
    old.source.put('DNSRecord', 'prod-a', recordSpec);
    old.mgr.start();
    await old.mgr.idle();
    await old.mgr.stop();
    const zone = cloud.cloudflare.zoneByName('example.com')!.id;
    const ids = () => [...(cloud.cloudflare.state.records.get(zone)?.values() ?? [])].map((r) => r.id);
    const [recordId] = ids();
    expect(recordId).toBeDefined();
    // …and the ownership the previous engine recorded: the child's owner, the owner's list of derived objects.
    const st = old.store.get('DNSRecord/prod-a')!;
    old.store.update('DNSRecord/prod-a', (s) => { s.owner = { kind: 'Server', name: 'prod' }; delete s.source; s.last = { ...st.last!, metadata: { name: 'prod-a', ownerReferences: [{ kind: 'Server', name: 'prod' }] } }; });
    old.store.update('Server/prod', () => {}, () => ({
      key: 'Server/prod', generation: 1, specHash: '', createdAt: new Date(0).toISOString(), internal: {},
      status: { conditions: [], events: [] },
      owned: [{ apiVersion: API_VERSION, kind: 'DNSRecord', metadata: { name: 'prod-a' }, spec: recordSpec }],
    }));
    old.store.flushAll();

    const writes = () => Object.entries(cloud.server.requests().byRoute).filter(([r]) => !r.startsWith('GET ')).reduce((n, [, c]) => n + c, 0);
    const patches = () => cloud.server.requests().byRoute['PATCH /client/v4/zones/{zone_id}/dns_records/{dns_record_id}'] ?? 0;
    const writesBefore = writes();
    const seen: Array<Record<string, string> | undefined> = [];
    const ctl = dns();
    const spy: Reconciler = { ...ctl, reconcile: (ctx) => { seen.push(ctx.object.metadata.annotations); return ctl.reconcile(ctx); } };
    const next = startManager([owner, spy], 'test', old.stateDir);
    next.source.put('Server', 'prod', {});
    next.mgr.start();
    await next.mgr.idle();
    // The DNS controller honours livchat.ai/former-names: no create, no delete, one PATCH that moves the marker.
    expect(writes() - writesBefore).toBe(1);
    expect(patches()).toBe(1);
    expect([...(cloud.cloudflare.state.records.get(zone)?.values() ?? [])].map((r) => r.comment)).toEqual(['livchat:test:DNSRecord/server.prod.a']);
    expect(ids()).toEqual([recordId]);
    // Reconciling again writes nothing.
    const before = writes();
    cloud.simClock.advance(5000);
    next.mgr.resyncAll();
    await next.mgr.idle();
    expect(writes()).toBe(before);
    expect(next.store.get('DNSRecord/prod-a')).toBeUndefined();
    expect(next.store.get('DNSRecord/server.prod.a')!.owner).toEqual({ kind: 'Server', name: 'prod' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((a) => a?.[ANNOTATION_FORMER_NAMES] === 'prod-a')).toBe(true);
    await next.mgr.stop();
  });
});
