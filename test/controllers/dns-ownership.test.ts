// DNSRecord ownership with prefix-related names (web1/web10, p1-a/p1-aaaa, api/api-v2) across create, update, drift, remove, orphan.
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsRecordController } from '../../controllers/dns-record/controller.js';
import { isRecordNotFound } from '../../src/providers/cloudflare.js';
import { getCondition, READY } from '../../src/engine/conditions.js';
import { ManualClock, realClock, type Clock } from '../../src/engine/clock.js';
import { WRITE_GRACE_MS } from '../../controllers/dns-record/zone-cache.js';
import { ownerMarker, readableMarker } from '../../controllers/dns-record/marker.js';
import { DEFAULT_CONSISTENCY } from '../../src/sim/cloudflare.js';
import { startCloud, startManager, writes } from '../helpers/harness.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanup) await c(); cleanup = []; });

async function setup() {
  const cloud = await startCloud({ zones: ['example.com'] });
  cleanup.push(() => cloud.server.close());
  // The controller runs on the manager's manual clock, so tests can step past its read-after-write grace.
  let mgrClock: ManualClock | undefined;
  const clock: Clock = { now: () => mgrClock!.now(), monotonic: () => mgrClock!.monotonic(), setTimer: (f, ms) => mgrClock!.setTimer(f, ms), sleep: (ms, sig) => mgrClock!.sleep(ms, sig) };
  const ctl = createDnsRecordController({ dns: cloud.cf, clock, isNotFound: isRecordNotFound });
  const m = startManager([ctl], 'prod');
  mgrClock = m.clock;
  let started = false;
  const zone = cloud.cloudflare.zoneByName('example.com')!;
  const records = () => [...cloud.cloudflare.state.records.get(zone.id)!.values()];
  const byName = (n: string) => records().filter((r) => r.name === `${n}.example.com`);
  /** settle runs the queue, then a forced resync, and asserts the second pass wrote nothing. */
  const settle = async () => {
    if (!started) { m.mgr.start(); started = true; }
    await m.mgr.idle();
    cloud.simClock.advance(DEFAULT_CONSISTENCY.listLagMs);
    const before = writes(cloud.server);
    m.mgr.resyncAll();
    await m.mgr.idle();
    expect(writes(cloud.server), 'second pass writes nothing').toBe(before);
  };
  return { ...cloud, ...m, zone, records, byName, settle };
}

const a = (name: string, content: string, extra: Record<string, unknown> = {}) => ({ zone: 'example.com', name, type: 'A', content, ...extra });

describe('DNSRecord ownership is a whole marker token', () => {
  it('adding web1 next to web10 creates a record instead of replacing web10\'s', async () => {
    const t = await setup();
    t.source.put('DNSRecord', 'web10', a('web10', '203.0.113.10'));
    await t.settle();
    const web10 = structuredClone(t.byName('web10')[0]!);
    const k1 = t.source.put('DNSRecord', 'web1', a('web1', '203.0.113.1'));
    t.mgr.desiredChanged([k1]);
    await t.settle();
    expect(t.byName('web10')).toEqual([web10]);
    expect(t.byName('web1')).toMatchObject([{ content: '203.0.113.1', comment: ownerMarker('prod', 'web1') }]);
    expect(t.store.list().every((s) => getCondition(s.status.conditions, READY)?.status === 'True')).toBe(true);
  });

  it('updating and removing web1 touch only web1\'s record', async () => {
    const t = await setup();
    const k1 = t.source.put('DNSRecord', 'web1', a('web1', '203.0.113.1'));
    t.source.put('DNSRecord', 'web10', a('web10', '203.0.113.10'));
    await t.settle();
    const web10 = structuredClone(t.byName('web10')[0]!);
    t.source.put('DNSRecord', 'web1', a('web1', '203.0.113.2'));
    t.mgr.desiredChanged([k1]);
    await t.settle();
    expect(t.byName('web1')).toMatchObject([{ content: '203.0.113.2' }]);
    expect(t.byName('web10')).toEqual([web10]);
    t.source.remove(k1);
    t.mgr.desiredChanged([k1]);
    await t.settle();
    expect(t.byName('web1')).toEqual([]);
    expect(t.byName('web10')).toEqual([web10]);
  });

  it('restoring p1-a\'s deleted A record leaves p1-aaaa (same name, same server) and p1 alone', async () => {
    const t = await setup();
    t.source.put('DNSRecord', 'p1', { zone: 'example.com', name: 'p1', type: 'AAAA', content: '2001:db8::1' });
    t.source.put('DNSRecord', 'p1-a', a('p', '203.0.113.7'));
    t.source.put('DNSRecord', 'p1-aaaa', { zone: 'example.com', name: 'p', type: 'AAAA', content: '2001:db8::7' });
    await t.settle();
    const keep = structuredClone(t.records().filter((r) => r.type === 'AAAA'));
    expect(keep).toHaveLength(2);
    // Someone deletes p1-a's A record in Cloudflare; the next resync (past the write grace) restores it.
    const rec = t.records().find((r) => r.type === 'A')!;
    t.cloudflare.state.records.get(t.zone.id)!.delete(rec.id);
    t.clock.advance(WRITE_GRACE_MS);
    t.mgr.resyncAll();
    await t.settle();
    expect(t.records().find((r) => r.type === 'A')).toMatchObject({ content: '203.0.113.7', comment: ownerMarker('prod', 'p1-a') });
    expect(t.records().filter((r) => r.type === 'AAAA')).toEqual(keep);
    // And an edit of it is put back the same way.
    t.records().find((r) => r.type === 'A')!.content = '198.51.100.9';
    t.mgr.resyncAll();
    await t.settle();
    expect(t.records().find((r) => r.type === 'A')).toMatchObject({ content: '203.0.113.7' });
    expect(t.records().filter((r) => r.type === 'AAAA')).toEqual(keep);
  });

  it('orphaning api leaves api-v2\'s marker whole and api-v2 still managed', async () => {
    const t = await setup();
    const k = t.source.put('DNSRecord', 'api', a('api', '203.0.113.3', { deletionPolicy: 'Orphan' }));
    const k2 = t.source.put('DNSRecord', 'api-v2', a('api-v2', '203.0.113.4'));
    await t.settle();
    t.source.remove(k);
    t.mgr.desiredChanged([k]);
    await t.settle();
    expect(t.byName('api')).toMatchObject([{ content: '203.0.113.3', comment: '' }]);
    expect(t.byName('api-v2')).toMatchObject([{ comment: ownerMarker('prod', 'api-v2') }]);
    t.source.put('DNSRecord', 'api-v2', a('api-v2', '203.0.113.5'));
    t.mgr.desiredChanged([k2]);
    await t.settle();
    expect(t.byName('api-v2')).toMatchObject([{ content: '203.0.113.5' }]);
  });

  it('adoption keeps the user\'s comment, cut so the marker fits the free plan\'s 100 characters', async () => {
    const t = await setup();
    const inst = 'p'.repeat(32);
    t.cloudflare.createRecord(t.zone.id, { type: 'A', name: 'legacy', content: '198.51.100.1', comment: 'c'.repeat(100) });
    const ctl = createDnsRecordController({ dns: t.cf, clock: realClock, isNotFound: isRecordNotFound });
    const m = startManager([ctl], inst);
    const name = `l${'o'.repeat(61)}g`;
    m.source.put('DNSRecord', name, a('legacy', '203.0.113.1'), { 'livchat.ai/adopt': 'true' });
    m.mgr.start();
    await m.mgr.idle();
    const rec = t.byName('legacy')[0]!;
    expect(rec.content).toBe('203.0.113.1');
    expect(rec.comment!.length).toBe(100);
    expect(rec.comment!.endsWith(` ${ownerMarker(inst, name)}`)).toBe(true);
    expect(getCondition(m.store.list()[0]!.status.conditions, READY)?.status).toBe('True');
  });

  it('recognises a long marker in the old format and rewrites it with the next write, without an extra one', async () => {
    const t = await setup();
    const name = 'customer-portal-frontend-blue-green';
    const old = readableMarker('prod', name);
    t.cloudflare.createRecord(t.zone.id, { type: 'A', name: 'portal', content: '203.0.113.8', comment: `owned by ops ${old}` });
    const k = t.source.put('DNSRecord', name, a('portal', '203.0.113.8'));
    await t.settle();
    expect(writes(t.server)).toBe(0);
    t.source.put('DNSRecord', name, a('portal', '203.0.113.9'));
    t.mgr.desiredChanged([k]);
    await t.settle();
    expect(t.byName('portal')).toMatchObject([{ content: '203.0.113.9', comment: `owned by ops ${ownerMarker('prod', name)}` }]);
    expect(writes(t.server)).toBe(1);
  });
});
