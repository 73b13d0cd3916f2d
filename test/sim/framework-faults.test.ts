// Framework fault realism (HTML pages, resets before/after, cut-off bodies) and how both real clients survive them.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { DomainError } from '../../src/engine/errors.js';
import { CloudflareDns } from '../../src/providers/cloudflare.js';
import { HetznerClient } from '../../src/providers/hetzner.js';
import { TokenBucket } from '../../src/providers/limiter.js';
import { PROXY_502_PAGE, SimClock, SimServer, type SimFault } from '../../src/sim/framework.js';
import { createCloudflareSim, type CloudflareSim } from '../../src/sim/cloudflare.js';
import { createHetznerSim, type HetznerSim } from '../../src/sim/hetzner.js';

const TOKEN = 'fault-token-0123456789';
const CF_LIST = 'GET /client/v4/zones/{zone_id}/dns_records';
const CF_POST = 'POST /client/v4/zones/{zone_id}/dns_records';
const HZ_LIST = 'GET /v1/servers';
const HZ_POST = 'POST /v1/servers';

let servers: SimServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

async function start() {
  const hzClock = new ManualClock(Date.UTC(2026, 2, 1));
  const simClock = new SimClock();
  const cloudflare: CloudflareSim = createCloudflareSim({ clock: simClock, zones: ['example.com'], consistency: false });
  const hetzner: HetznerSim = createHetznerSim({ clock: simClock, actionDurationMs: 0 });
  const server = new SimServer({ services: [hetzner, cloudflare], token: TOKEN, clock: simClock });
  await server.listen();
  servers.push(server);
  const cf = new CloudflareDns({ token: TOKEN, baseURL: server.baseUrl('cloudflare'), limiter: new TokenBucket({ limit: 10_000, windowMs: 1000 }) });
  const hc = new HetznerClient({ token: TOKEN, endpoint: server.baseUrl('hetzner'), clock: hzClock, random: () => 0.5 });
  const zoneId = cloudflare.zoneByName('example.com')!.id;
  const cfRecords = () => [...cloudflare.state.records.get(zoneId)!.values()];
  return { server, cloudflare, hetzner, cf, hc, hzClock, zoneId, cfRecords };
}

/** drive runs a Hetzner call, moving its manual clock whenever it waits (backoff), with a real-time deadline. */
async function drive<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  const deadline = Date.now() + 10_000;
  while (!settled) {
    if (Date.now() > deadline) throw new Error('drive: the call did not settle');
    if (clock.pending > 0) clock.advance(500);
    await new Promise((r) => setImmediate(r));
  }
  return p;
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { err: Error }> {
  try { return { ok: await p }; } catch (err) { return { err: err as Error }; }
}

describe('framework faults on the wire', () => {
  it('serves an HTML proxy page, resets before or after the handler, and cuts bodies off', async () => {
    const t = await start();
    const url = `${t.server.baseUrl('cloudflare')}/zones/${t.zoneId}/dns_records`;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const post = (name: string) => fetch(url, { method: 'POST', headers, body: JSON.stringify({ type: 'A', name, content: '203.0.113.1' }) });

    t.server.addFault({ route: CF_LIST, html: true });
    const html = await fetch(url, { headers });
    expect([html.status, html.headers.get('content-type'), await html.text()]).toEqual([502, 'text/html', PROXY_502_PAGE]);

    t.server.addFault({ route: CF_POST, reset: 'before' });
    await expect(post('before')).rejects.toThrow();
    expect(t.cfRecords()).toHaveLength(0);

    t.server.addFault({ route: CF_POST, reset: 'after' });
    await expect(post('after')).rejects.toThrow();
    expect(t.cfRecords().map((r) => r.name)).toEqual(['after.example.com']);

    t.server.addFault({ route: CF_LIST, truncate: true });
    const cut = await fetch(url, { headers });
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow();
    expect(t.server.requests().byStatus['0']).toBe(2);
  });
});

const FAULTS: Array<[string, SimFault]> = [
  ['an HTML 502 page', { html: true }],
  ['a reset before the request is served', { reset: 'before' }],
  ['a reset after the reply was produced', { reset: 'after' }],
  ['a truncated body', { truncate: true }],
];

describe('the Cloudflare client (official SDK) survives every fault', () => {
  it.each(FAULTS)('list: %s once is retried; forever it is a retryable DomainError, never a crash', async (_name, fault) => {
    const t = await start();
    t.cloudflare.createRecord(t.zoneId, { type: 'A', name: 'a', content: '203.0.113.1' });
    t.server.addFault({ ...fault, route: CF_LIST, times: 1 });
    expect(await t.cf.listRecords(t.zoneId)).toHaveLength(1);
    t.server.addFault({ ...fault, route: CF_LIST, times: 10 });
    const r = await outcome(t.cf.listRecords(t.zoneId));
    expect('err' in r && r.err).toMatchObject({ name: 'DomainError', code: 'Unavailable' });
  });

  it.each(FAULTS)('create: %s never leaves a second record', async (_name, fault) => {
    const t = await start();
    t.server.addFault({ ...fault, route: CF_POST, times: 1 });
    const r = await outcome(t.cf.createRecord(t.zoneId, { type: 'A', name: 'www', content: '203.0.113.1', comment: 'm' }));
    expect(t.cfRecords()).toHaveLength(1);
    // Either the retry succeeded, or it met the record the lost reply had created (a Conflict the controller re-lists on).
    if ('err' in r) expect(r.err).toMatchObject({ name: 'DomainError', code: 'Conflict' });
    else expect(r.ok).toMatchObject({ name: 'www.example.com' });
  });
});

describe('the Hetzner client survives every fault', () => {
  it.each(FAULTS)('list: %s once is retried and succeeds', async (_name, fault) => {
    const t = await start();
    await drive(t.hzClock, t.hc.createServer({ name: 'one', server_type: 'cx23', image: 'ubuntu-24.04', location: 'nbg1', start_after_create: false }));
    t.server.addFault({ ...fault, route: HZ_LIST, times: 1 });
    expect(await drive(t.hzClock, t.hc.listServers())).toHaveLength(1);
  });

  it.each(FAULTS)('create: %s never creates a second server', async (_name, fault) => {
    const t = await start();
    t.server.addFault({ ...fault, route: HZ_POST, times: 1 });
    const r = await outcome(drive(t.hzClock, t.hc.createServer({ name: 'web', server_type: 'cx23', image: 'ubuntu-24.04', location: 'nbg1', start_after_create: false })));
    expect(t.hetzner.state.servers.size).toBeLessThanOrEqual(1);
    if ('err' in r) expect(r.err).toMatchObject({ name: 'DomainError', code: 'Unavailable' });
    // Whatever the client saw, one more list shows at most the one server: nothing was created twice.
    expect((await drive(t.hzClock, t.hc.listServers())).length).toBe(t.hetzner.state.servers.size);
  });
});
