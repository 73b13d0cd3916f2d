// Cloudflare client conformance suite: always against the loopback simulator, against the real API only when asked.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { DomainError } from '../../src/engine/errors.js';
import { TokenBucket } from '../../src/providers/limiter.js';
import { CloudflareDns, isRecordNotFound, operationLabel, type CloudflareDnsOptions, type DnsRecord } from '../../src/providers/cloudflare.js';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createCloudflareSim, DEFAULT_CONSISTENCY, SEEDED_ZONE_CREATED, type CloudflareSim } from '../../src/sim/cloudflare.js';

type ClientOpts = Partial<CloudflareDnsOptions>;

/** ConformanceTarget is one backend the suite runs against. */
export interface ConformanceTarget {
  kind: 'sim' | 'live';
  zone: string;
  makeClient(opts?: ClientOpts): CloudflareDns;
  /** Present only for the simulator: white-box access for request counting and rate-limit setup. */
  sim?: { server: SimServer; service: CloudflareSim };
  /** Lets writes show in lists: the simulator's clock moves past its read-after-write lag. */
  settle?(): void;
  close(): Promise<void>;
}

const SIM_TOKEN = 'conformance-token';

/** runCloudflareConformance defines the client contract tests for one backend. */
export function runCloudflareConformance(kind: 'sim' | 'live', makeTarget: () => Promise<ConformanceTarget>): void {
  const simOnly = kind !== 'sim';
  let t: ConformanceTarget;
  let client: CloudflareDns;
  let zoneId: string;
  const run = randomBytes(3).toString('hex');
  const created: string[] = [];
  // Fully qualified names: the current API schema asks for complete names (relative ones are a simulator test).
  const host = (label: string) => `lc-${run}-${label}.${t.zone}`;
  const track = (r: DnsRecord) => { created.push(r.id); return r; };

  beforeAll(async () => {
    t = await makeTarget();
    client = t.makeClient();
    const zone = await client.findZone(t.zone);
    if (!zone) throw new Error(`zone ${t.zone} not visible to the token`);
    zoneId = zone.id;
  });

  afterAll(async () => {
    // Live runs must leave the zone as they found it.
    for (const id of created) await client.deleteRecord(zoneId, id).catch(() => undefined);
    await t?.close();
  });

  it('finds a zone by name, case-insensitively, and returns undefined for an unknown one', async () => {
    const zone = await client.findZone(`${t.zone.toUpperCase()}.`);
    expect(zone).toMatchObject({ id: zoneId, name: t.zone });
    expect(zoneId).toMatch(/^[0-9a-f]{32}$/);
    expect(await client.findZone(`nope-${run}.invalid`)).toBeUndefined();
  });

  it('creates, lists, edits and deletes a record', async () => {
    const rec = track(await client.createRecord(zoneId, { type: 'A', name: host('rt'), content: '203.0.113.10', comment: 'livchat conformance' }));
    expect(rec).toMatchObject({ type: 'A', name: host('rt'), content: '203.0.113.10', ttl: 1, proxied: false, proxiable: true, comment: 'livchat conformance' });
    t.settle?.();
    const listed = await client.listRecords(zoneId);
    expect(listed.find((r) => r.id === rec.id)).toEqual(rec);
    expect(await client.listRecords(zoneId, { type: 'A', name: rec.name })).toEqual([rec]);
    const edited = await client.editRecord(zoneId, rec.id, { ttl: 300, content: '203.0.113.11' });
    expect(edited).toMatchObject({ id: rec.id, ttl: 300, content: '203.0.113.11', comment: 'livchat conformance' });
    await client.deleteRecord(zoneId, rec.id);
    t.settle?.();
    expect((await client.listRecords(zoneId)).some((r) => r.id === rec.id)).toBe(false);
  });

  it('maps duplicates and CNAME clashes to DomainError Conflict', async () => {
    const a = { type: 'A', name: host('dup'), content: '203.0.113.20' };
    track(await client.createRecord(zoneId, a));
    const dup = await client.createRecord(zoneId, a).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(DomainError);
    expect(dup).toMatchObject({ code: 'Conflict' });
    expect(['81057', '81058']).toContain((dup as DomainError).detail.code);
    const clash = await client.createRecord(zoneId, { type: 'CNAME', name: host('dup'), content: `target.${t.zone}` }).catch((e: unknown) => e);
    expect(clash).toMatchObject({ code: 'Conflict', detail: { code: '81053', status: 400 } });
  });

  it('maps validation failures to DomainError Invalid with the error_chain text', async () => {
    const err = await client.createRecord(zoneId, { type: 'A', name: host('bad'), content: 'not-an-ip' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'Invalid', detail: { code: '1004', status: 400 } });
    expect((err as Error).message).toContain('DNS Validation Error');
    expect((err as Error).message).toContain('9005');
    const ttl = await client.createRecord(zoneId, { type: 'A', name: host('bad'), content: '203.0.113.1', ttl: 5 }).catch((e: unknown) => e);
    expect(ttl).toMatchObject({ code: 'Invalid' });
  });

  it('reports a missing record as DomainError NotFound (81044) that isRecordNotFound recognises', async () => {
    const missing = randomBytes(16).toString('hex');
    const del = await client.deleteRecord(zoneId, missing).catch((e: unknown) => e);
    expect(del).toMatchObject({ name: 'DomainError', code: 'NotFound', fact: 'RecordNotFound', detail: { code: '81044' } });
    expect((del as DomainError).detail).toMatchObject({ provider: 'cloudflare', status: 404, code: '81044' });
    expect(isRecordNotFound(del)).toBe(true);
    expect(isRecordNotFound(await client.editRecord(zoneId, missing, { ttl: 60 }).catch((e: unknown) => e))).toBe(true);
    expect(isRecordNotFound(new Error('other'))).toBe(false);
  });

  it('maps an unknown zone id to NotFound with fact ZoneNotFound', async () => {
    const err = await client.listRecords(randomBytes(16).toString('hex')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    // A scoped real token may get a permission error for a zone it cannot see.
    if (kind === 'sim') expect(err).toMatchObject({ code: 'NotFound', fact: 'ZoneNotFound' });
    else expect(['NotFound', 'Unauthorized']).toContain((err as DomainError).code);
  });

  it('maps a bad token to Unauthorized scoped to the token, without leaking it', async () => {
    const secret = `bad-${randomBytes(12).toString('hex')}`;
    const err = await t.makeClient({ token: secret }).findZone(t.zone).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'Unauthorized', scope: 'cloudflare-token' });
    expect([401, 403, 400]).toContain((err as DomainError).detail.status);
    const dump = `${String(err)} ${(err as Error).stack} ${JSON.stringify(err)} ${JSON.stringify((err as Error).cause)}`;
    expect(dump).not.toContain(secret);
    const none = await t.makeClient({ token: '' }).findZone(t.zone).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'Unauthorized', scope: 'cloudflare-token' });
  });

  describe.skipIf(simOnly)('simulator-only checks', () => {
    it('lists 250 records with exactly 2 requests at per_page 5000', async () => {
      // An older free zone (before September 2024): its quota is 1,000 records.
      const bulk = t.sim!.service.addZone(`bulk-${run}.example`, 'free', SEEDED_ZONE_CREATED);
      for (let i = 0; i < 250; i++) t.sim!.service.createRecord(bulk.id, { type: 'A', name: `h${i}`, content: '203.0.113.30' });
      t.sim!.server.resetCounters();
      const ops: string[] = [];
      const records = await t.makeClient({ onRequest: (op, status) => ops.push(`${op} ${status}`) }).listRecords(bulk.id);
      expect(records).toHaveLength(250);
      expect(new Set(records.map((r) => r.name)).size).toBe(250);
      const stats = t.sim!.server.requests();
      expect(stats.total).toBe(2);
      expect(stats.byRoute['GET /client/v4/zones/{zone_id}/dns_records']).toBe(2);
      expect(ops).toEqual(['dns_records.list 200', 'dns_records.list 200']);
      expect(t.sim!.server.requestLog().map((l) => l.status)).toEqual([200, 200]);
    });

    it('makes 150 creates under a shared 50-per-second budget with zero 429s', async () => {
      const budget = { limit: 50, windowMs: 1000 };
      const zone = t.sim!.service.addZone(`burst-${run}.example`);
      t.sim!.service.setRateLimit(budget.limit, budget.windowMs);
      t.sim!.server.resetCounters();
      const c = t.makeClient({ limiter: new TokenBucket(budget) });
      let next = 0;
      // Three workers, like the engine's concurrent reconciles, share one client and one limiter.
      const worker = async () => {
        for (let i = next++; i < 150; i = next++) await c.createRecord(zone.id, { type: 'A', name: `n${i}`, content: '203.0.113.40' });
      };
      await Promise.all([worker(), worker(), worker()]);
      t.sim!.service.setRateLimit(1200, 300_000);
      const stats = t.sim!.server.requests();
      expect(stats.byStatus['429']).toBeUndefined();
      expect(stats.byStatus['200']).toBe(150);
      expect(t.sim!.service.state.records.get(zone.id)!.size).toBe(150);
    });

    it('turns a 429 into DomainError RateLimited without SDK retries, and pauses the limiter', async () => {
      const clock = new ManualClock(Date.now());
      const limiter = new TokenBucket({ limit: 100, windowMs: 1000, clock });
      const ops: string[] = [];
      const c = t.makeClient({ clock, limiter, onRequest: (op, status) => ops.push(`${op} ${status}`) });
      t.sim!.server.resetCounters();
      t.sim!.server.addFault({ route: 'GET /client/v4/zones', status: 429, headers: { 'retry-after': '7' } });
      const err = await c.findZone(t.zone).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'RateLimited', retryAfterMs: 7000, detail: { code: '971', status: 429 } });
      expect(ops).toEqual(['zones.list 429']);
      expect(t.sim!.server.requests().byStatus['429']).toBe(1);
      let granted = false;
      const permit = limiter.acquire().then(() => { granted = true; });
      await until(() => clock.pending > 0);
      clock.advance(6999);
      await until(() => clock.pending > 0);
      expect(granted).toBe(false);
      clock.advance(1);
      await permit;
      expect(granted).toBe(true);
    });

    it('retries 5xx twice inside the SDK, then gives up with ProviderUnavailable', async () => {
      const route = 'POST /client/v4/zones/{zone_id}/dns_records';
      const ops: string[] = [];
      const c = t.makeClient({ onRequest: (op, status) => ops.push(`${op} ${status}`) });
      // retry-after-ms keeps the SDK's backoff short in tests.
      t.sim!.server.addFault({ route, status: 502, times: 2, headers: { 'retry-after-ms': '1' } });
      const rec = await c.createRecord(zoneId, { type: 'TXT', name: host('retry'), content: 'ok' });
      expect(rec.content).toBe('ok');
      expect(ops).toEqual(['dns_records.create 502', 'dns_records.create 502', 'dns_records.create 200']);
      t.sim!.server.addFault({ route, status: 500, times: 3, headers: { 'retry-after-ms': '1' } });
      const err = await c.createRecord(zoneId, { type: 'TXT', name: host('retry2'), content: 'no' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'Unavailable', detail: { status: 500 } });
      expect(ops).toHaveLength(6);
    });

    it('times out slow attempts and reports them as ProviderUnavailable with status 0', async () => {
      const ops: string[] = [];
      const c = t.makeClient({ timeoutMs: 50, maxRetries: 0, onRequest: (op, status) => ops.push(`${op} ${status}`) });
      t.sim!.server.addFault({ route: 'GET /client/v4/zones', latencyMs: 400 });
      const err = await c.findZone(t.zone).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'Unavailable', detail: { code: 'Timeout' } });
      expect(ops).toEqual(['zones.list 0']);
    });
  });
}

// Polls with a deadline instead of sleeping: lets pending promise chains reach the clock.
async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached before the deadline');
    await new Promise((r) => setImmediate(r));
  }
}

async function simTarget(): Promise<ConformanceTarget> {
  const clock = new SimClock();
  const service = createCloudflareSim({ clock, zones: ['example.com'] });
  const server = new SimServer({ services: [service], clock, token: SIM_TOKEN });
  await server.listen();
  const baseURL = server.baseUrl('cloudflare');
  return {
    kind: 'sim', zone: 'example.com', sim: { server, service },
    settle: () => clock.advance(DEFAULT_CONSISTENCY.listLagMs),
    makeClient: (opts = {}) => new CloudflareDns({ token: SIM_TOKEN, baseURL, ...opts }),
    close: () => server.close(),
  };
}

const live = process.env.LIVCHAT_LIVE_CLOUDFLARE === '1' && !!process.env.CLOUDFLARE_API_TOKEN && !!process.env.LIVCHAT_LIVE_CLOUDFLARE_ZONE;

describe('CloudflareDns conformance: simulator', () => {
  runCloudflareConformance('sim', simTarget);
});

describe.skipIf(!live)('CloudflareDns conformance: live Cloudflare API', () => {
  runCloudflareConformance('live', async () => ({
    kind: 'live',
    zone: process.env.LIVCHAT_LIVE_CLOUDFLARE_ZONE!.toLowerCase(),
    makeClient: (opts = {}) => new CloudflareDns({ token: process.env.CLOUDFLARE_API_TOKEN!, ...opts }),
    close: async () => undefined,
  }));
});

describe('operationLabel', () => {
  it('names requests by resource and verb below the base path', () => {
    const z = '/client/v4/zones/0123456789abcdef0123456789abcdef';
    expect(operationLabel('GET', '/client/v4/zones', '/client/v4')).toBe('zones.list');
    expect(operationLabel('GET', z, '/client/v4')).toBe('zones.get');
    expect(operationLabel('GET', `${z}/dns_records`, '/client/v4')).toBe('dns_records.list');
    expect(operationLabel('POST', `${z}/dns_records`, '/client/v4')).toBe('dns_records.create');
    expect(operationLabel('POST', `${z}/dns_records/batch`, '/client/v4')).toBe('dns_records.batch');
    expect(operationLabel('PATCH', `${z}/dns_records/abc`, '/client/v4')).toBe('dns_records.edit');
    expect(operationLabel('PUT', `${z}/dns_records/abc`, '/client/v4')).toBe('dns_records.update');
    expect(operationLabel('DELETE', `${z}/dns_records/abc`, '/client/v4')).toBe('dns_records.delete');
    expect(operationLabel('GET', '/client/v4/user/tokens/verify', '/client/v4')).toBe('other.get');
  });
});
