// Cloudflare simulator tests over real loopback HTTP: envelope, lists, filters, writes, errors, auth, rate limit, state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createCloudflareSim, type CloudflareSim } from '../../src/sim/cloudflare.js';

const TOKEN = 'sim-token';
const ZONE = 'example.com';
const PRO = 'pro.example.net';

interface Reply { status: number; headers: Headers; body: any }

let server: SimServer;
let sim: CloudflareSim;
let clock: SimClock;
let base: string;
let zoneId: string;
let proId: string;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Reply> {
  const res = await fetch(path.startsWith('/_sim') ? server.url + path : base + path, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const records = (zid = zoneId) => `/zones/${zid}/dns_records`;
const create = (body: Record<string, unknown>, zid = zoneId) => call('POST', records(zid), body);
const chain = (r: Reply) => r.body.errors[0].error_chain?.[0]?.code;

async function start(opts: { stateFile?: string; rateLimit?: { limit: number; windowMs: number } } = {}): Promise<void> {
  clock = new SimClock(() => Date.UTC(2026, 0, 1, 10));
  sim = createCloudflareSim({ clock, zones: [ZONE, { name: PRO, plan: 'pro' }], ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}) });
  server = new SimServer({ services: [sim], clock, token: TOKEN, ...(opts.stateFile ? { stateFile: opts.stateFile } : {}) });
  await server.listen();
  base = server.baseUrl('cloudflare');
  zoneId = sim.zoneByName(ZONE)!.id;
  proId = sim.zoneByName(PRO)!.id;
}

beforeEach(() => start());
afterEach(() => server.close());

describe('zones', () => {
  it('looks a zone up by exact name inside the v4 envelope', async () => {
    const r = await call('GET', `/zones?name=${ZONE}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.body).toMatchObject({ success: true, errors: [], messages: [], result_info: { page: 1, per_page: 20, count: 1, total_count: 1, total_pages: 1 } });
    expect(r.body.result).toHaveLength(1);
    expect(r.body.result[0]).toMatchObject({ id: zoneId, name: ZONE, status: 'active', plan: { legacy_id: 'free' } });
    expect(zoneId).toMatch(/^[0-9a-f]{32}$/);
    const none = await call('GET', '/zones?name=example');
    expect(none.body.result).toEqual([]);
  });

  it('paginates zones with per_page 5..50 and an empty page past the end', async () => {
    for (let i = 0; i < 5; i++) sim.addZone(`z${i}.test`);
    const p1 = await call('GET', '/zones?per_page=1');
    expect(p1.body.result_info).toMatchObject({ per_page: 5, count: 5, total_count: 7, total_pages: 2 });
    const p2 = await call('GET', '/zones?per_page=5&page=2');
    expect(p2.body.result).toHaveLength(2);
    const p3 = await call('GET', '/zones?per_page=5&page=3');
    expect(p3.status).toBe(200);
    expect(p3.body.result).toEqual([]);
    expect((await call('GET', '/zones?per_page=500')).body.result_info.per_page).toBe(50);
  });

  it('gets a zone by id and answers 404 7003+7000 for an unknown one', async () => {
    expect((await call('GET', `/zones/${proId}`)).body.result).toMatchObject({ name: PRO, plan: { legacy_id: 'pro' } });
    const bad = await call('GET', `/zones/${'0'.repeat(32)}/dns_records`);
    expect(bad.status).toBe(404);
    expect(bad.body.success).toBe(false);
    expect(bad.body.result).toBeNull();
    expect(bad.body.errors.map((e: any) => e.code)).toEqual([7003, 7000]);
    expect(bad.body.errors[0].message).toBe(`Could not route to /client/v4/zones/${'0'.repeat(32)}/dns_records, perhaps your object identifier is invalid?`);
  });
});

describe('dns record writes', () => {
  it('creates with 200, lowercase FQDN names, ttl auto and clock timestamps', async () => {
    const r = await create({ type: 'a', name: 'App', content: '203.0.113.10' });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ type: 'A', name: 'app.example.com', content: '203.0.113.10', ttl: 1, proxied: false, proxiable: true, comment: null, tags: [] });
    expect(r.body.result.id).toMatch(/^[0-9a-f]{32}$/);
    expect(r.body.result.created_on).toBe('2026-01-01T10:00:00.000000Z');
    expect(r.body.result.modified_on).toBe(r.body.result.created_on);
    expect((await create({ type: 'TXT', name: '@', content: '"v=spf1 -all"' })).body.result).toMatchObject({ name: ZONE, content: '"v=spf1 -all"', proxiable: false });
    expect((await create({ type: 'CNAME', name: 'WWW.Example.com.', content: 'App.Example.com.' })).body.result).toMatchObject({ name: 'www.example.com', content: 'app.example.com' });
    expect((await create({ type: 'AAAA', name: 'v6', content: '2001:DB8:0:0::1' })).body.result.content).toBe('2001:db8::1');
    expect((await create({ type: 'MX', name: '@', content: 'mail.example.com', priority: 10 })).body.result.priority).toBe(10);
    const caa = await create({ type: 'CAA', name: '@', data: { flags: 0, tag: 'issue', value: 'letsencrypt.org' } });
    expect(caa.body.result.content).toBe('0 issue "letsencrypt.org"');
    const caa2 = await create({ type: 'CAA', name: '@', content: '0 iodef "mailto:ops@example.com"' });
    expect(caa2.body.result.data).toEqual({ flags: 0, tag: 'iodef', value: 'mailto:ops@example.com' });
  });

  it('forces ttl 1 on proxied records', async () => {
    const r = await create({ type: 'A', name: 'p', content: '203.0.113.5', ttl: 300, proxied: true });
    expect(r.body.result).toMatchObject({ ttl: 1, proxied: true });
  });

  it('PATCH merges, PUT replaces and resets optional fields, modified_on moves on every write', async () => {
    const c = await create({ type: 'A', name: 'm', content: '203.0.113.1', ttl: 300, comment: 'managed' }, proId);
    const id = c.body.result.id;
    expect(c.body.result.comment_modified_on).toBe(c.body.result.created_on);
    clock.advance(1500);
    const p = await call('PATCH', `${records(proId)}/${id}`, { tags: ['owner:reconciler'] });
    expect(p.body.result).toMatchObject({ content: '203.0.113.1', ttl: 300, comment: 'managed', tags: ['owner:reconciler'] });
    expect(p.body.result.modified_on).toBe('2026-01-01T10:00:01.500000Z');
    expect(p.body.result.tags_modified_on).toBe(p.body.result.modified_on);
    expect(p.body.result.comment_modified_on).toBe(c.body.result.created_on);
    expect(p.body.result.created_on).toBe(c.body.result.created_on);
    clock.advance(1000);
    const u = await call('PUT', `${records(proId)}/${id}`, { type: 'A', name: 'm', content: '203.0.113.2', ttl: 120 });
    expect(u.body.result).toMatchObject({ content: '203.0.113.2', ttl: 120, comment: null, tags: [], proxied: false });
    expect(u.body.result.modified_on).toBe('2026-01-01T10:00:02.500000Z');
    const noTtl = await call('PUT', `${records(proId)}/${id}`, { type: 'A', name: 'm', content: '203.0.113.2' });
    expect([noTtl.status, chain(noTtl)]).toEqual([400, 9100]);
    const got = await call('GET', `${records(proId)}/${id}`);
    expect(got.body.result).toEqual(u.body.result);
  });

  it('deletes with {id}; a gone record is 404 81044 for GET, PATCH and DELETE', async () => {
    const id = (await create({ type: 'A', name: 'd', content: '203.0.113.9' })).body.result.id;
    const del = await call('DELETE', `${records()}/${id}`);
    expect(del.body).toMatchObject({ success: true, result: { id } });
    for (const m of ['GET', 'PATCH', 'DELETE']) {
      const r = await call(m, `${records()}/${id}`, m === 'PATCH' ? { ttl: 60 } : undefined);
      expect(r.status).toBe(404);
      expect(r.body.errors[0]).toEqual({ code: 81044, message: 'Record does not exist.' });
    }
  });

  it('rejects invalid content with 1004 and the right error_chain code', async () => {
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ type: 'A', name: 'x', content: '203.0.113.300' }, 9005],
      [{ type: 'AAAA', name: 'x', content: '203.0.113.1' }, 9006],
      [{ type: 'A', name: 'x.other.org.', content: '203.0.113.1' }, 9021],
      [{ type: 'A', name: 'bad name', content: '203.0.113.1' }, 9021],
      [{ type: 'TXT', name: 'x', content: 'hello', proxied: true }, 9004],
      [{ type: 'A', name: 'x', content: '203.0.113.1', ttl: 30 }, 9021],
      [{ type: 'A', name: 'x', content: '203.0.113.1', ttl: 90000 }, 9021],
      [{ type: 'MX', name: 'x', content: 'mail.example.com' }, 9100],
      [{ type: 'A', name: 'x', content: '203.0.113.1', tags: ['owner:me'] }, 9300],
    ];
    for (const [body, code] of cases) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors[0].code).toBe(1004);
      expect(r.body.errors[0].message).toBe('DNS Validation Error');
      expect(chain(r), JSON.stringify(body)).toBe(code);
    }
    expect(chain(await create({ type: 'A', name: 'x', content: '203.0.113.1', ttl: 30 }))).toBe(9021);
    expect((await create({ type: 'A', name: 'x', content: '203.0.113.1', tags: ['owner:me'] }, proId)).status).toBe(200);
    expect(sim.state.records.get(zoneId)!.size).toBe(0);
  });

  it('reports duplicates and CNAME conflicts with 81058, 81053 and 81054', async () => {
    await create({ type: 'A', name: 'dup', content: '203.0.113.1' });
    await create({ type: 'CNAME', name: 'alias', content: 'target.example.org' });
    const codes = async (body: Record<string, unknown>) => { const r = await create(body); return [r.status, r.body.errors[0].code, r.body.errors[0].message]; };
    expect(await codes({ type: 'A', name: 'dup', content: '203.0.113.1' })).toEqual([400, 81058, 'An identical record already exists.']);
    expect(await codes({ type: 'CNAME', name: 'dup', content: 'x.example.org' })).toEqual([400, 81053, 'An A, AAAA, or CNAME record with that host already exists.']);
    expect(await codes({ type: 'CNAME', name: 'alias', content: 'y.example.org' })).toEqual([400, 81053, 'An A, AAAA, or CNAME record with that host already exists.']);
    expect(await codes({ type: 'AAAA', name: 'alias', content: '2001:db8::1' })).toEqual([400, 81054, 'A CNAME record with that host already exists.']);
    expect((await create({ type: 'A', name: 'dup', content: '203.0.113.2' })).status).toBe(200);
    expect((await create({ type: 'TXT', name: 'alias', content: 'ok' })).status).toBe(200);
  });
});

describe('batch', () => {
  it('applies deletes, patches, puts and posts in order', async () => {
    const a = (await create({ type: 'A', name: 'a', content: '203.0.113.1' })).body.result;
    const b = (await create({ type: 'A', name: 'b', content: '203.0.113.2' })).body.result;
    // The post reuses a's exact content, which only works because the delete ran first.
    const r = await call('POST', `${records()}/batch`, {
      deletes: [{ id: a.id }],
      patches: [{ id: b.id, ttl: 600 }],
      posts: [{ type: 'A', name: 'a', content: '203.0.113.1' }],
    });
    expect(r.status).toBe(200);
    expect(r.body.result.deletes[0].id).toBe(a.id);
    expect(r.body.result.patches[0]).toMatchObject({ id: b.id, ttl: 600 });
    expect(r.body.result.posts[0]).toMatchObject({ name: 'a.example.com' });
    expect([...sim.state.records.get(zoneId)!.keys()]).toEqual([b.id, r.body.result.posts[0].id]);
  });

  it('is atomic: a failing post rolls back earlier deletes and patches', async () => {
    const a = (await create({ type: 'A', name: 'a', content: '203.0.113.1' })).body.result;
    const b = (await create({ type: 'A', name: 'b', content: '203.0.113.2' })).body.result;
    const before = JSON.stringify([sim.snapshot().records, sim.snapshot().seq]);
    const r = await call('POST', `${records()}/batch`, {
      deletes: [{ id: a.id }],
      patches: [{ id: b.id, comment: 'changed' }],
      posts: [{ type: 'A', name: 'c', content: 'not-an-ip' }],
    });
    expect(r.status).toBe(400);
    expect(chain(r)).toBe(9005);
    expect(JSON.stringify([sim.snapshot().records, sim.snapshot().seq])).toBe(before);
    expect((await call('GET', `${records()}/${a.id}`)).status).toBe(200);
  });
});

describe('dns record lists', () => {
  it('paginates with result_info and returns an empty page past the end', async () => {
    for (let i = 0; i < 250; i++) sim.createRecord(zoneId, { type: 'A', name: `h${i}`, content: '203.0.113.7' });
    const p1 = await call('GET', records());
    expect(p1.body.result_info).toEqual({ page: 1, per_page: 100, count: 100, total_count: 250, total_pages: 3 });
    const p3 = await call('GET', `${records()}?page=3`);
    expect(p3.body.result_info).toMatchObject({ page: 3, count: 50 });
    const p4 = await call('GET', `${records()}?page=4`);
    expect(p4.status).toBe(200);
    expect(p4.body.result).toEqual([]);
    expect(p4.body.result_info).toMatchObject({ page: 4, count: 0, total_count: 250, total_pages: 3 });
    const all = await call('GET', `${records()}?per_page=5000`);
    expect(all.body.result).toHaveLength(250);
    expect((await call('GET', `${records()}?per_page=5000000`)).body.result_info.per_page).toBe(5000);
  });

  it('filters by type, name, content, comment, tag, proxied with match and order', async () => {
    const mk = (body: Record<string, unknown>) => sim.createRecord(proId, body);
    mk({ type: 'A', name: 'app', content: '203.0.113.1', comment: 'managed-by=reconciler', tags: ['owner:reconciler', 'env:prod'], ttl: 300 });
    mk({ type: 'A', name: 'api', content: '203.0.113.2', proxied: true, tags: ['owner:someone'] });
    mk({ type: 'TXT', name: 'app', content: 'hello world', comment: 'manual' });
    mk({ type: 'CNAME', name: 'www', content: 'app.pro.example.net', ttl: 120 });
    const names = async (q: string) => (await call('GET', `${records(proId)}?${q}`)).body.result.map((r: any) => `${r.type} ${r.name}`);
    expect(await names('type=TXT')).toEqual(['TXT app.pro.example.net']);
    expect(await names('name=app.pro.example.net')).toEqual(['A app.pro.example.net', 'TXT app.pro.example.net']);
    expect(await names('name=app')).toEqual([]);
    expect(await names('name.exact=API.pro.example.net.')).toEqual(['A api.pro.example.net']);
    expect(await names('name.startswith=ap&type=A')).toEqual(['A app.pro.example.net', 'A api.pro.example.net']);
    expect(await names('name.contains=ww')).toEqual(['CNAME www.pro.example.net']);
    expect(await names('name.endswith=i.pro.example.net')).toEqual(['A api.pro.example.net']);
    expect(await names('content=203.0.113.2')).toEqual(['A api.pro.example.net']);
    expect(await names('content.contains=world')).toEqual(['TXT app.pro.example.net']);
    expect(await names('content.exact=app.pro.example.net')).toEqual(['CNAME www.pro.example.net']);
    expect(await names('comment=manual')).toEqual(['TXT app.pro.example.net']);
    expect(await names('comment.startswith=managed')).toEqual(['A app.pro.example.net']);
    expect(await names('comment.present=1')).toEqual(['A app.pro.example.net', 'TXT app.pro.example.net']);
    expect(await names('comment.absent=1')).toEqual(['A api.pro.example.net', 'CNAME www.pro.example.net']);
    expect(await names('tag=owner:reconciler')).toEqual(['A app.pro.example.net']);
    expect(await names('tag.present=owner')).toEqual(['A app.pro.example.net', 'A api.pro.example.net']);
    expect(await names('tag.absent=owner')).toEqual(['TXT app.pro.example.net', 'CNAME www.pro.example.net']);
    expect(await names('tag.contains=owner:some')).toEqual(['A api.pro.example.net']);
    expect(await names('tag=owner:reconciler&tag=env:prod')).toEqual(['A app.pro.example.net']);
    expect(await names('tag=owner:someone&tag=env:prod&tag_match=any')).toEqual(['A app.pro.example.net', 'A api.pro.example.net']);
    expect(await names('proxied=true')).toEqual(['A api.pro.example.net']);
    expect(await names('type=CNAME&comment=manual&match=any')).toEqual(['TXT app.pro.example.net', 'CNAME www.pro.example.net']);
    expect(await names('order=ttl&direction=desc')).toEqual(['A app.pro.example.net', 'CNAME www.pro.example.net', 'A api.pro.example.net', 'TXT app.pro.example.net']);
    expect(await names('order=name')).toEqual(['A api.pro.example.net', 'A app.pro.example.net', 'TXT app.pro.example.net', 'CNAME www.pro.example.net']);
  });
});

describe('auth and routing', () => {
  it('answers a missing token 400 9106 and a wrong token 403 9109', async () => {
    const missing = await call('GET', '/zones', undefined, {});
    expect([missing.status, missing.body.errors[0].code, missing.body.success]).toEqual([400, 9106, false]);
    const wrong = await call('GET', '/zones', undefined, { authorization: 'Bearer nope' });
    expect([wrong.status, wrong.body.errors[0]]).toEqual([403, { code: 9109, message: 'Invalid access token' }]);
  });

  it('answers a malformed Authorization header 400 6003 with 6111 in the chain', async () => {
    const r = await call('GET', '/zones', undefined, { authorization: `Token ${TOKEN}` });
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toEqual({ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }] });
  });

  it('answers unknown routes under the prefix with 404 7003/7000', async () => {
    const r = await call('GET', '/zones/x/nothing');
    expect(r.status).toBe(404);
    expect(r.body.errors.map((e: any) => e.code)).toEqual([7003, 7000]);
  });

  it('counts requests by route template', async () => {
    await call('GET', records());
    await call('GET', `${records()}?page=2`);
    await create({ type: 'A', name: 'c', content: '203.0.113.1' });
    const stats = (await call('GET', '/_sim/requests')).body;
    expect(stats.byRoute['GET /client/v4/zones/{zone_id}/dns_records']).toBe(2);
    expect(stats.byRoute['POST /client/v4/zones/{zone_id}/dns_records']).toBe(1);
    expect(stats.byStatus['200']).toBe(3);
  });
});

describe('rate limit', () => {
  it('sends Ratelimit headers, answers 429 971 with retry-after when spent, blocks every call for one more window, then recovers', async () => {
    expect((await call('POST', '/_sim/cloudflare/rate-limit', { limit: 3, windowSeconds: 10 })).status).toBe(200);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('GET', '/zones');
      expect(r.status).toBe(200);
      seen.push(r.headers.get('ratelimit')!);
      expect(r.headers.get('ratelimit-policy')).toBe('"burst";q=3;w=10');
    }
    expect(seen).toEqual(['"default";r=2;t=10', '"default";r=1;t=10', '"default";r=0;t=10']);
    clock.advance(4000);
    const limited = await call('GET', '/zones');
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0]).toEqual({ code: 971, message: 'Please wait and consider throttling your request speed' });
    // Exceeding blocks for the following window (10 s from now), not merely until the counting window ends (6 s).
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.headers.get('ratelimit')).toBe('"default";r=0;t=10');
    clock.advance(6000);
    const still = await call('GET', '/zones');
    expect([still.status, still.headers.get('retry-after')]).toEqual([429, '4']);
    clock.advance(4000);
    expect((await call('GET', '/zones')).status).toBe(200);
    expect((await call('GET', '/_sim/requests')).body.byStatus['429']).toBe(2);
  });

  it('counts per token', async () => {
    await server.close();
    server = new SimServer({ services: [sim], clock });
    await server.listen();
    base = server.baseUrl('cloudflare');
    sim.setRateLimit(1, 60_000);
    expect((await call('GET', '/zones', undefined, { authorization: 'Bearer one' })).status).toBe(200);
    expect((await call('GET', '/zones', undefined, { authorization: 'Bearer one' })).status).toBe(429);
    expect((await call('GET', '/zones', undefined, { authorization: 'Bearer two' })).status).toBe(200);
  });
});

describe('state', () => {
  it('adds and lists zones through control verbs', async () => {
    const added = await call('POST', '/_sim/cloudflare/zones', { name: 'New.Example.org', plan: 'pro' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'new.example.org', plan: { legacy_id: 'pro' } });
    expect((await call('POST', '/_sim/cloudflare/zones', { name: 'new.example.org' })).status).toBe(409);
    const zones = (await call('GET', '/_sim/cloudflare/zones')).body;
    expect(zones.map((z: any) => z.name)).toEqual([ZONE, PRO, 'new.example.org']);
    expect((await call('GET', '/zones?name=new.example.org')).body.result[0].id).toBe(added.body.id);
  });

  it('round-trips snapshot/restore and reset', async () => {
    await create({ type: 'A', name: 'keep', content: '203.0.113.1', comment: 'c' });
    const snap = JSON.parse(JSON.stringify(sim.snapshot()));
    const other = createCloudflareSim({ clock });
    other.restore(snap);
    expect(other.snapshot()).toEqual(snap);
    expect([...other.state.records.get(zoneId)!.values()][0]).toMatchObject({ name: 'keep.example.com' });
    // New ids continue the sequence instead of colliding with restored ones.
    const next = other.createRecord(zoneId, { type: 'A', name: 'next', content: '203.0.113.2' });
    expect(other.state.records.get(zoneId)!.size).toBe(2);
    expect(next.id).not.toBe([...sim.state.records.get(zoneId)!.keys()][0]);
    sim.reset();
    expect(sim.state.records.get(zoneId)!.size).toBe(0);
    expect(sim.zoneByName(ZONE)!.id).toBe(zoneId);
  });

  it('persists through the framework state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-sim-'));
    try {
      await server.close();
      await start({ stateFile: join(dir, 'state.json') });
      const id = (await create({ type: 'A', name: 'persist', content: '203.0.113.1' })).body.result.id;
      await server.close();
      await start({ stateFile: join(dir, 'state.json') });
      expect((await call('GET', `${records()}/${id}`)).body.result).toMatchObject({ name: 'persist.example.com' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
