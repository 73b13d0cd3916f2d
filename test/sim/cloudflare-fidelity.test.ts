// Cloudflare simulator fidelity: comment limits, quotas, read-after-write lag, rate-limit block, per-IP cap, NS, proxiable, reset.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createCloudflareSim, DEFAULT_CONSISTENCY, type CloudflareSim, type CloudflareSimOptions } from '../../src/sim/cloudflare.js';

const TOKEN = 'sim-token';
interface Reply { status: number; headers: Headers; body: any }

let server: SimServer;
let sim: CloudflareSim;
let clock: SimClock;
let base: string;
let free: string;
let pro: string;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Reply> {
  const res = await fetch(path.startsWith('/_sim') ? server.url + path : base + path, {
    method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
const recs = (zid = free) => `/zones/${zid}/dns_records`;
const create = (body: Record<string, unknown>, zid = free) => call('POST', recs(zid), body);
const listNames = async (zid = free) => (await call('GET', recs(zid))).body.result.map((r: any) => `${r.type} ${r.name}`);

async function start(opts: Partial<CloudflareSimOptions> = {}): Promise<void> {
  clock = new SimClock(() => Date.UTC(2026, 0, 1, 10));
  sim = createCloudflareSim({ clock, zones: ['example.com', { name: 'pro.example.net', plan: 'pro' }], ...opts });
  server = new SimServer({ services: [sim], clock, token: TOKEN });
  await server.listen();
  base = server.baseUrl('cloudflare');
  free = sim.zoneByName('example.com')!.id;
  pro = sim.zoneByName('pro.example.net')!.id;
}
beforeEach(() => start());
afterEach(() => server.close());

describe('comments', () => {
  it('allows 100 characters on free zones and 500 on paid ones, answering 9313 beyond, and refuses newlines', async () => {
    expect((await create({ type: 'A', name: 'a', content: '203.0.113.1', comment: 'x'.repeat(100) })).status).toBe(200);
    const long = await create({ type: 'A', name: 'b', content: '203.0.113.1', comment: 'x'.repeat(101) });
    expect([long.status, long.body.errors[0].code]).toEqual([400, 9313]);
    expect(long.body.errors[0].message).toBe('DNS record comment exceeds the maximum length of 100 characters.');
    expect((await create({ type: 'A', name: 'b', content: '203.0.113.1', comment: 'x'.repeat(500) }, pro)).status).toBe(200);
    expect((await create({ type: 'A', name: 'c', content: '203.0.113.1', comment: 'x'.repeat(501) }, pro)).body.errors[0].code).toBe(9313);
    expect((await create({ type: 'A', name: 'd', content: '203.0.113.1', comment: 'one\ntwo' })).body.errors[0].code).toBe(9313);
    const id = (await create({ type: 'A', name: 'e', content: '203.0.113.1' })).body.result.id;
    expect((await call('PATCH', `${recs()}/${id}`, { comment: 'y'.repeat(101) })).body.errors[0].code).toBe(9313);
  });
});

describe('record quotas', () => {
  it('200 on free zones created since September 2024, 1,000 on older free zones, 3,500 on paid ones: 400 81045', async () => {
    const fresh = sim.addZone('fresh.example.org');
    for (let i = 0; i < 200; i++) sim.createRecord(fresh.id, { type: 'TXT', name: `t${i}`, content: 'v' });
    const r = await create({ type: 'A', name: 'over', content: '203.0.113.1' }, fresh.id);
    expect([r.status, r.body.errors[0].code]).toEqual([400, 81045]);
    expect(r.body.errors[0].message).toContain('200 of 200');
    for (let i = 0; i < 1000; i++) sim.createRecord(free, { type: 'TXT', name: `t${i}`, content: 'v' });
    expect((await create({ type: 'A', name: 'over', content: '203.0.113.1' })).body.errors[0].code).toBe(81045);
    for (let i = 0; i < 1000; i++) sim.createRecord(pro, { type: 'TXT', name: `t${i}`, content: 'v' });
    expect((await create({ type: 'A', name: 'ok', content: '203.0.113.1' }, pro)).status).toBe(200);
    expect(() => { for (let i = 1000; i < 3500; i++) sim.createRecord(pro, { type: 'TXT', name: `t${i}`, content: 'v' }); }).toThrow(/81045/);
    expect(sim.state.records.get(pro)!.size).toBe(3500);
  });
});

describe('read-after-write lag (on by default)', () => {
  it('lists lag behind creates, edits and deletes by listLagMs; GET by id does not', async () => {
    const rec = (await create({ type: 'A', name: 'new', content: '203.0.113.1' })).body.result;
    expect(await listNames()).toEqual([]);
    expect((await call('GET', `${recs()}/${rec.id}`)).status).toBe(200);
    clock.advance(DEFAULT_CONSISTENCY.listLagMs);
    expect(await listNames()).toEqual(['A new.example.com']);
    await call('PATCH', `${recs()}/${rec.id}`, { content: '203.0.113.2' });
    expect((await call('GET', recs())).body.result[0].content).toBe('203.0.113.1');
    clock.advance(DEFAULT_CONSISTENCY.listLagMs);
    expect((await call('GET', recs())).body.result[0].content).toBe('203.0.113.2');
    await call('DELETE', `${recs()}/${rec.id}`);
    expect(await listNames()).toEqual(['A new.example.com']);
    clock.advance(DEFAULT_CONSISTENCY.listLagMs);
    expect(await listNames()).toEqual([]);
  });

  it('a record just deleted still blocks a CNAME (81053) or an A onto a deleted CNAME (81054) for deleteLagMs', async () => {
    const a = (await create({ type: 'A', name: 'www', content: '203.0.113.1' })).body.result;
    await call('DELETE', `${recs()}/${a.id}`);
    expect((await create({ type: 'CNAME', name: 'www', content: 'x.example.org' })).body.errors[0].code).toBe(81053);
    // A second A (no exclusivity) is fine meanwhile.
    expect((await create({ type: 'TXT', name: 'www', content: 'ok' })).status).toBe(200);
    clock.advance(DEFAULT_CONSISTENCY.deleteLagMs);
    const c = (await create({ type: 'CNAME', name: 'www', content: 'x.example.org' })).body.result;
    await call('DELETE', `${recs()}/${c.id}`);
    expect((await create({ type: 'A', name: 'www', content: '203.0.113.1' })).body.errors[0].code).toBe(81054);
  });

  it('is switched off by the option or the control route, and configurable there', async () => {
    expect((await call('GET', '/_sim/cloudflare/consistency')).body).toEqual(DEFAULT_CONSISTENCY);
    expect((await call('POST', '/_sim/cloudflare/consistency', { enabled: false })).body).toEqual({ listLagMs: 0, deleteLagMs: 0 });
    const a = (await create({ type: 'A', name: 'www', content: '203.0.113.1' })).body.result;
    expect(await listNames()).toEqual(['A www.example.com']);
    await call('DELETE', `${recs()}/${a.id}`);
    expect((await create({ type: 'CNAME', name: 'www', content: 'x.example.org' })).status).toBe(200);
    expect((await call('POST', '/_sim/cloudflare/consistency', { listLagMs: 5000 })).body).toEqual({ listLagMs: 5000, deleteLagMs: 0 });
    expect((await call('POST', '/_sim/cloudflare/consistency', { listLagMs: -1 })).status).toBe(400);
    await server.close();
    await start({ consistency: false });
    await create({ type: 'A', name: 'www', content: '203.0.113.1' });
    expect(await listNames()).toEqual(['A www.example.com']);
  });
});

describe('rate limits', () => {
  it('once the token budget is spent, every call is refused for the following block, even after the window would reset', async () => {
    sim.setRateLimit(2, 10_000, 300_000);
    expect((await call('GET', '/zones')).status).toBe(200);
    expect((await call('GET', '/zones')).status).toBe(200);
    const r = await call('GET', '/zones');
    expect([r.status, r.headers.get('retry-after')]).toEqual([429, '300']);
    clock.advance(10_000);
    expect((await call('GET', '/zones')).status).toBe(429);
    clock.advance(290_000);
    expect((await call('GET', '/zones')).status).toBe(200);
  });

  it('caps each client address at 200 requests per second, whatever the token', async () => {
    await server.close();
    server = new SimServer({ services: [sim], clock });
    await server.listen();
    base = server.baseUrl('cloudflare');
    const statuses: number[] = [];
    for (let i = 0; i < 201; i++) statuses.push((await call('GET', '/zones', undefined, { authorization: `Bearer t${i % 7}` })).status);
    expect(statuses.slice(0, 200).every((s) => s === 200)).toBe(true);
    expect(statuses[200]).toBe(429);
    clock.advance(1000);
    expect((await call('GET', '/zones')).status).toBe(200);
  });

  it('the per-IP cap can be lifted through the control API (for benchmarks against a naive client)', async () => {
    expect((await call('POST', '/_sim/cloudflare/ip-rate-limit', { limit: 0 })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 250; i++) statuses.push((await call('GET', '/zones')).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await call('POST', '/_sim/cloudflare/ip-rate-limit', { limit: -1 })).status).toBe(400);
  });
});

describe('smaller differences', () => {
  it('a proxied TXT answers 9004', async () => {
    const r = await create({ type: 'TXT', name: 'x', content: 'v', proxied: true });
    expect([r.status, r.body.errors[0].code, r.body.errors[0].error_chain[0].code]).toEqual([400, 1004, 9004]);
  });

  it('non-public addresses are not proxiable and cannot be proxied', async () => {
    for (const ip of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0']) {
      expect((await create({ type: 'A', name: `p${ip.replace(/\./g, '-')}`, content: ip })).body.result.proxiable, ip).toBe(false);
    }
    for (const ip of ['fd00::1', 'fe80::1', '::1']) {
      expect((await create({ type: 'AAAA', name: `p${ip.replace(/:/g, 'x')}`, content: ip })).body.result.proxiable, ip).toBe(false);
    }
    expect((await create({ type: 'A', name: 'pub', content: '203.0.113.9' })).body.result.proxiable).toBe(true);
    expect((await create({ type: 'AAAA', name: 'pub6', content: '2001:db8::9' })).body.result.proxiable).toBe(true);
    expect(chain(await create({ type: 'AAAA', name: 'ula', content: 'fd00::2', proxied: true }))).toBe(9003);
  });

  it('missing credentials answer 400 9106', async () => {
    const r = await call('GET', '/zones', undefined, {});
    expect([r.status, r.body.errors[0].code]).toEqual([400, 9106]);
  });

  it('an NS delegation cannot share its name with other types', async () => {
    await create({ type: 'A', name: 'sub', content: '203.0.113.1' });
    expect((await create({ type: 'NS', name: 'sub', content: 'ns1.example.org' })).body.errors[0].code).toBe(81056);
    expect((await create({ type: 'NS', name: 'deleg', content: 'ns1.example.org' })).status).toBe(200);
    expect((await create({ type: 'NS', name: 'deleg', content: 'ns2.example.org' })).status).toBe(200);
    expect((await create({ type: 'TXT', name: 'deleg', content: 'v' })).body.errors[0].code).toBe(81056);
  });

  it('POST /_sim/reset keeps the seeded zones and drops the clock offset', async () => {
    await create({ type: 'A', name: 'x', content: '203.0.113.1' });
    clock.advance(86_400_000);
    expect((await call('POST', '/_sim/reset')).status).toBe(204);
    expect(sim.zoneByName('example.com')).toBeDefined();
    expect(sim.zoneByName('pro.example.net')!.plan.legacy_id).toBe('pro');
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1, 10));
    const r = await create({ type: 'A', name: 'x', content: '203.0.113.1' }, sim.zoneByName('example.com')!.id);
    expect(r.body.result.created_on).toBe('2026-01-01T10:00:00.000000Z');
  });
});

const chain = (r: Reply) => r.body.errors[0].error_chain?.[0]?.code;

describe('the combined simulated cloud', () => {
  it('keeps the zones given with --zone across POST /_sim/reset', async () => {
    const { startSimCloud } = await import('../../src/sim/cloud.js');
    const cloud = await startSimCloud({ zones: ['Kept.Example.org'] });
    try {
      cloud.cloudflare.createRecord(cloud.cloudflare.zoneByName('kept.example.org')!.id, { type: 'A', name: 'x', content: '203.0.113.1' });
      expect((await fetch(`${cloud.urls.url}/_sim/reset`, { method: 'POST' })).status).toBe(204);
      const zone = cloud.cloudflare.zoneByName('kept.example.org');
      expect(zone).toBeDefined();
      expect(cloud.cloudflare.state.records.get(zone!.id)!.size).toBe(0);
    } finally {
      await cloud.server.close();
    }
  });
});
