// DNSRecord controller end to end: manager + controller + official SDK client + Cloudflare simulator over loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsRecordController, decide, SETTLE_RETRY_MS } from '../../controllers/dns-record/controller.js';
import { DEFAULT_CONSISTENCY } from '../../src/sim/cloudflare.js';
import { isRecordNotFound } from '../../src/providers/cloudflare.js';
import { getCondition, READY, STALLED } from '../../src/engine/conditions.js';
import { wanted } from '../../controllers/dns-record/normalize.js';
import { realClock } from '../../src/engine/clock.js';
import { count, startCloud, startManager, writes } from '../helpers/harness.js';

const LIST = 'GET /client/v4/zones/{zone_id}/dns_records';
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanup) await c(); cleanup = []; });

async function setup(zones = ['example.com', 'example.org']) {
  const cloud = await startCloud({ zones });
  cleanup.push(() => cloud.server.close());
  const ctl = createDnsRecordController({ dns: cloud.cf, clock: realClock, isNotFound: isRecordNotFound });
  const m = startManager([ctl]);
  return { ...cloud, ...m, ctl };
}

const records = (t: Awaited<ReturnType<typeof setup>>, zone = 'example.com') =>
  [...(t.cloudflare.state.records.get(t.cloudflare.zoneByName(zone)!.id)?.values() ?? [])];

describe('DNSRecord controller', () => {
  it('creates 100 records, and a second pass makes zero writes', async () => {
    const t = await setup();
    for (let i = 0; i < 100; i++) t.source.put('DNSRecord', `r${i}`, { zone: i % 2 ? 'example.com' : 'example.org', name: `host${i}`, type: 'A', content: `203.0.113.${i + 1}`, ttl: 300 });
    t.mgr.start();
    await t.mgr.idle();
    expect(t.store.list().every((s) => getCondition(s.status.conditions, READY)?.status === 'True')).toBe(true);
    expect(records(t)).toHaveLength(50);
    const before = writes(t.server);
    expect(before).toBe(100);
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(writes(t.server)).toBe(before);
  });

  it('converges 500 records in 2 zones; a forced resync costs at most 4 list requests and 0 writes', async () => {
    const t = await setup();
    for (let i = 0; i < 500; i++) t.source.put('DNSRecord', `r${i}`, { zone: i % 2 ? 'example.com' : 'example.org', name: `h${i}`, type: 'TXT', content: `v=${i}` });
    t.mgr.start();
    await t.mgr.idle();
    expect(t.store.list().filter((s) => getCondition(s.status.conditions, READY)?.status === 'True')).toHaveLength(500);
    t.server.resetCounters();
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(count(t.server, LIST)).toBeLessThanOrEqual(4);
    expect(writes(t.server)).toBe(0);
  });

  it('updates in place with a PATCH, and recreates only on a type change', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.5' });
    t.mgr.start();
    await t.mgr.idle();
    const id = records(t)[0]!.id;
    t.source.put('DNSRecord', 'www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.6', ttl: 600 });
    t.server.resetCounters();
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    expect(t.server.requests().byRoute['PATCH /client/v4/zones/{zone_id}/dns_records/{dns_record_id}'] ?? t.server.requests().byRoute['PATCH /client/v4/zones/{zone_id}/dns_records/{id}']).toBe(1);
    expect(records(t)).toMatchObject([{ id, content: '203.0.113.6', ttl: 600 }]);
    t.source.put('DNSRecord', 'www', { zone: 'example.com', name: 'www', type: 'CNAME', content: 'prod.example.com' });
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    // The deleted A record still blocks the CNAME for Cloudflare's lag: the object waits, then retries.
    t.simClock.advance(DEFAULT_CONSISTENCY.deleteLagMs);
    t.clock.advance(SETTLE_RETRY_MS);
    await t.mgr.idle();
    expect(records(t)).toMatchObject([{ type: 'CNAME', name: 'www.example.com', content: 'prod.example.com' }]);
    expect(records(t)[0]!.id).not.toBe(id);
  });

  it('leaves an unowned record alone and reports a Conflict, unless adoption is annotated', async () => {
    const t = await setup();
    const zone = t.cloudflare.zoneByName('example.com')!;
    t.cloudflare.createRecord(zone.id, { type: 'A', name: 'api', content: '198.51.100.1', ttl: 1 });
    const key = t.source.put('DNSRecord', 'api', { zone: 'example.com', name: 'api', type: 'A', content: '203.0.113.9' });
    t.mgr.start();
    await t.mgr.idle();
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, STALLED)?.reason).toBe('Conflict');
    expect(records(t)).toMatchObject([{ content: '198.51.100.1' }]);
    expect(writes(t.server)).toBe(0);
    t.source.put('DNSRecord', 'api', { zone: 'example.com', name: 'api', type: 'A', content: '203.0.113.9' }, { 'livchat.ai/adopt': 'true' });
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    expect(records(t)).toMatchObject([{ content: '203.0.113.9' }]);
    expect(records(t)[0]!.comment).toContain('livchat:test:DNSRecord/api');
  });

  it('corrects drift on resync and names the drifted fields in an event', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.5', ttl: 300 });
    t.mgr.start();
    await t.mgr.idle();
    const rec = records(t)[0]!;
    rec.content = '198.51.100.77';
    rec.ttl = 3600;
    // Past the simulated list lag, so the resync's list shows the edit.
    t.simClock.advance(DEFAULT_CONSISTENCY.listLagMs);
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(records(t)[0]).toMatchObject({ content: '203.0.113.5', ttl: 300 });
    const ev = t.store.get(key)!.status.events.find((e) => e.reason === 'DriftCorrected');
    expect(ev?.message).toMatch(/content.*ttl|ttl.*content/);
  });

  it('deletes exactly the removed record, and orphans by policy', async () => {
    const t = await setup();
    const a = t.source.put('DNSRecord', 'a', { zone: 'example.com', name: 'a', type: 'A', content: '203.0.113.1' });
    const b = t.source.put('DNSRecord', 'b', { zone: 'example.com', name: 'b', type: 'A', content: '203.0.113.2', deletionPolicy: 'Orphan' });
    t.source.put('DNSRecord', 'c', { zone: 'example.com', name: 'c', type: 'A', content: '203.0.113.3' });
    t.mgr.start();
    await t.mgr.idle();
    t.source.remove(a);
    t.source.remove(b);
    t.mgr.desiredChanged([a, b]);
    await t.mgr.idle();
    const names = records(t).map((r) => r.name).sort();
    expect(names).toEqual(['b.example.com', 'c.example.com']);
    expect(records(t).find((r) => r.name === 'b.example.com')!.comment ?? '').not.toContain('livchat:');
    expect(t.store.get(a)).toBeUndefined();
  });

  it('waits for a Server address with contentFrom and follows it without polling', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'apex', { zone: 'example.com', name: '@', type: 'A', contentFrom: { server: 'prod', address: 'ipv4' } });
    t.mgr.start();
    await t.mgr.idle();
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.reason).toBe('WaitingForServer');
    expect(t.store.get(key)!.status.waitingOn).toEqual(['Server/prod']);
  });

  it('decide() is pure and normalises like Cloudflare (FQDN case, trailing dots, TXT quotes, auto ttl)', () => {
    const want = wanted({ zone: 'Example.COM.', name: 'WWW', type: 'CNAME', content: 'Target.Example.com.' }, 'Target.Example.com.');
    const have = { id: 'x', type: 'CNAME', name: 'www.example.com', content: 'target.example.com', ttl: 1, proxied: false, comment: 'livchat:i:DNSRecord/w' };
    expect(decide(want, [have], 'i', 'w', false)).toEqual({ type: 'none', record: have });
    const txt = wanted({ zone: 'example.com', name: 't', type: 'TXT', content: 'hello world' }, 'hello world');
    const haveTxt = { id: 'y', type: 'TXT', name: 't.example.com', content: '"hello world"', ttl: 1, comment: 'livchat:i:DNSRecord/t' };
    expect(decide(txt, [haveTxt], 'i', 't', false).type).toBe('none');
    const caa = wanted({ zone: 'example.com', name: '@', type: 'CAA', content: '0 issue letsencrypt.org' }, '0 issue letsencrypt.org');
    const haveCaa = { id: 'z', type: 'CAA', name: 'example.com', content: '0 issue "letsencrypt.org"', ttl: 1, comment: 'livchat:i:DNSRecord/c' };
    expect(decide(caa, [haveCaa], 'i', 'c', false).type).toBe('none');
    const proxied = wanted({ zone: 'example.com', name: 'p', type: 'A', content: '203.0.113.1', proxied: true, ttl: 300 }, '203.0.113.1');
    expect(proxied.ttl).toBe(1);
  });
});
