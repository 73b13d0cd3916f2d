// DNSRecord controller against an eventually consistent Cloudflare: replacements without gaps, lagging lists, lost replies, quotas.
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsRecordController, SETTLE_RETRY_MS } from '../../controllers/dns-record/controller.js';
import { isRecordNotFound } from '../../src/providers/cloudflare.js';
import { getCondition, READY, STALLED } from '../../src/engine/conditions.js';
import { ManualClock, realClock, type Clock } from '../../src/engine/clock.js';
import { DEFAULT_CONSISTENCY } from '../../src/sim/cloudflare.js';
import { ownerMarker } from '../../controllers/dns-record/marker.js';
import { count, startCloud, startManager, writes } from '../helpers/harness.js';

const POST = 'POST /client/v4/zones/{zone_id}/dns_records';
const DELETE = 'DELETE /client/v4/zones/{zone_id}/dns_records/{dns_record_id}';
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanup) await c(); cleanup = []; });

/** setup runs the controller on the manager's ManualClock when `manual` is set (for bounded waits), else on real time. */
async function setup(opts: { manual?: boolean; settleMs?: number; resyncMs?: number } = {}) {
  const cloud = await startCloud({ zones: ['example.com'] });
  cleanup.push(() => cloud.server.close());
  let mgrClock: ManualClock | undefined;
  const clock: Clock = opts.manual
    ? { now: () => mgrClock!.now(), monotonic: () => mgrClock!.monotonic(), setTimer: (f, ms) => mgrClock!.setTimer(f, ms), sleep: (ms, s) => mgrClock!.sleep(ms, s) }
    : realClock;
  const ctl = createDnsRecordController({
    dns: cloud.cf, clock, isNotFound: isRecordNotFound,
    ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
    ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}),
  });
  const m = startManager([ctl]);
  mgrClock = m.clock;
  const zone = cloud.cloudflare.zoneByName('example.com')!;
  const records = () => [...cloud.cloudflare.state.records.get(zone.id)!.values()];
  const cond = (key: string, type: string) => getCondition(m.store.get(key)!.status.conditions, type);
  return { ...cloud, ...m, zone, records, cond };
}

const spec = (type: string, content: string) => ({ zone: 'example.com', name: 'www', type, content });

describe('replacing a record (type change)', () => {
  it('A → CNAME: the deleted A still blocks the name for a moment; the object waits instead of stalling, then converges', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'www', spec('A', '203.0.113.5'));
    t.mgr.start();
    await t.mgr.idle();
    t.source.put('DNSRecord', 'www', spec('CNAME', 'prod.example.com'));
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    expect(t.cond(key, STALLED)?.status).not.toBe('True');
    expect(t.cond(key, READY)?.reason).toBe('WaitingForConsistency');
    t.simClock.advance(DEFAULT_CONSISTENCY.deleteLagMs);
    t.clock.advance(SETTLE_RETRY_MS);
    await t.mgr.idle();
    expect(t.records()).toMatchObject([{ type: 'CNAME', name: 'www.example.com', content: 'prod.example.com', comment: ownerMarker('test', 'www') }]);
    expect(t.cond(key, READY)?.status).toBe('True');
    const before = writes(t.server);
    t.simClock.advance(DEFAULT_CONSISTENCY.listLagMs);
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(writes(t.server)).toBe(before);
  });

  it('A → AAAA (may coexist): creates the new record first, then deletes the old one, so the name is never empty', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'www', spec('A', '203.0.113.5'));
    t.mgr.start();
    await t.mgr.idle();
    t.server.resetCounters();
    t.source.put('DNSRecord', 'www', spec('AAAA', '2001:db8::5'));
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    const writesInOrder = t.server.requestLog().filter((r) => r.method !== 'GET').map((r) => r.route);
    expect(writesInOrder).toEqual([POST, DELETE]);
    expect(t.records()).toMatchObject([{ type: 'AAAA', content: '2001:db8::5' }]);
    expect(t.cond(key, READY)?.status).toBe('True');
  });

  it('stalls with a clear message when the name stays blocked past the bound', async () => {
    const t = await setup({ manual: true, settleMs: 30_000 });
    t.cloudflare.setConsistency({ listLagMs: 0, deleteLagMs: 3_600_000 });
    const key = t.source.put('DNSRecord', 'www', spec('A', '203.0.113.5'));
    t.mgr.start();
    await t.mgr.idle();
    t.source.put('DNSRecord', 'www', spec('CNAME', 'prod.example.com'));
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    for (let waited = 0; waited <= 30_000 && t.cond(key, STALLED)?.status !== 'True'; waited += SETTLE_RETRY_MS) {
      t.clock.advance(SETTLE_RETRY_MS);
      await t.mgr.idle();
    }
    expect(t.cond(key, STALLED)).toMatchObject({ status: 'True', reason: 'Conflict' });
    expect(t.cond(key, STALLED)?.message).toMatch(/kept refusing CNAME www\.example\.com for 3\d s although no conflicting record is listed/);
    expect(count(t.server, POST)).toBeGreaterThan(2);
  });
});

describe('lagging lists and lost replies', () => {
  it('a list that does not show our create yet never leads to a second create', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'www', spec('A', '203.0.113.5'));
    t.mgr.start();
    await t.mgr.idle();
    // Still inside the list lag: a forced resync lists the zone without the new record.
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(count(t.server, POST)).toBe(1);
    expect(t.records()).toHaveLength(1);
    expect(t.cond(key, READY)?.status).toBe('True');
  });

  it('a create whose reply is lost after the write leaves exactly one record, and the object Ready', async () => {
    const t = await setup();
    t.server.addFault({ route: POST, reset: 'after' });
    const key = t.source.put('DNSRecord', 'www', spec('A', '203.0.113.5'));
    t.mgr.start();
    await t.mgr.idle();
    // The SDK resent the POST (81058 identical), the list lagged: the object waits rather than stalling.
    expect(t.cond(key, STALLED)?.status).not.toBe('True');
    t.simClock.advance(DEFAULT_CONSISTENCY.listLagMs);
    t.clock.advance(SETTLE_RETRY_MS);
    await t.mgr.idle();
    expect(t.records()).toMatchObject([{ content: '203.0.113.5', comment: ownerMarker('test', 'www') }]);
    expect(t.cond(key, READY)?.status).toBe('True');
    expect(t.store.get(key)!.status.observed).toMatchObject({ recordId: t.records()[0]!.id });
  });

  it('with a consistent API the lost reply is resolved in the same reconcile', async () => {
    const t = await setup();
    t.cloudflare.setConsistency(false);
    t.server.addFault({ route: POST, reset: 'after' });
    const key = t.source.put('DNSRecord', 'www', spec('TXT', 'v=1'));
    t.mgr.start();
    await t.mgr.idle();
    expect(t.records()).toHaveLength(1);
    expect(t.cond(key, READY)?.status).toBe('True');
  });
});

describe('record quota', () => {
  it('a full zone stalls the object with QuotaExceeded and the count, and is not retried', async () => {
    const t = await setup();
    const fresh = t.cloudflare.addZone('new.example.net');
    for (let i = 0; i < 200; i++) t.cloudflare.createRecord(fresh.id, { type: 'A', name: `h${i}`, content: '203.0.113.1' });
    const key = t.source.put('DNSRecord', 'over', { zone: 'new.example.net', name: 'over', type: 'A', content: '203.0.113.2' });
    t.mgr.start();
    await t.mgr.idle();
    expect(t.cond(key, STALLED)).toMatchObject({ status: 'True', reason: 'QuotaExceeded' });
    expect(t.cond(key, STALLED)?.message).toContain('already holds 200 records');
    expect(count(t.server, POST)).toBe(1);
    t.clock.advance(600_000);
    await t.mgr.idle();
    expect(count(t.server, POST)).toBe(1);
  });
});

describe('resync', () => {
  it('the zone cache lives half the resync interval, so drift is noticed at the next (short) resync', async () => {
    const t = await setup({ manual: true, resyncMs: 10_000 });
    const key = t.source.put('DNSRecord', 'www', spec('A', '203.0.113.5'));
    t.mgr.start();
    await t.mgr.idle();
    t.records()[0]!.content = '198.51.100.66';
    t.simClock.advance(DEFAULT_CONSISTENCY.listLagMs);
    t.clock.advance(11_000);
    await t.mgr.idle();
    expect(t.records()[0]!.content).toBe('203.0.113.5');
    expect(t.store.get(key)!.status.events.map((e) => e.reason)).toContain('DriftCorrected');
  });
});

describe('a fresh process inside the list lag (a restart, or apply right after apply)', () => {
  async function restarted(t: Awaited<ReturnType<typeof setup>>) {
    await t.mgr.stop(1000);
    const { StatusStore } = await import('../../src/store/status-store.js');
    const { Manager } = await import('../../src/engine/manager.js');
    const { createLogger } = await import('../../src/obs/log.js');
    const store = new StatusStore(t.stateDir);
    store.load();
    const clock = new ManualClock();
    const ctl = createDnsRecordController({ dns: t.cf, clock, isNotFound: isRecordNotFound });
    const mgr = new Manager({ reconcilers: [ctl], desired: t.source, store, clock, log: createLogger({ level: 'silent' }), instance: 'test', removalGraceMs: 0, holdMassDeletions: false });
    return { mgr, store, clock };
  }

  it('reads the recorded record by id: no second create, and a removal deletes it', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'www', spec('TXT', 'hello'));
    t.mgr.start();
    await t.mgr.idle();
    expect(count(t.server, POST)).toBe(1);
    // A new process lists the zone while Cloudflare's list still lags behind the create.
    const second = await restarted(t);
    second.mgr.start();
    await second.mgr.idle();
    expect(count(t.server, POST)).toBe(1);
    expect(getCondition(second.store.get(key)!.status.conditions, READY)?.status).toBe('True');
    const before = writes(t.server);
    second.mgr.resyncAll();
    await second.mgr.idle();
    expect(writes(t.server)).toBe(before);

    t.source.remove(key);
    const third = await restarted({ ...t, mgr: second.mgr });
    third.mgr.start();
    await third.mgr.idle();
    expect(count(t.server, DELETE)).toBe(1);
    expect(t.records()).toHaveLength(0);
    expect(third.store.get(key)).toBeUndefined();
    await third.mgr.stop(1000);
  });

  it('never deletes a recorded id that no longer carries our marker', async () => {
    const t = await setup();
    const key = t.source.put('DNSRecord', 'www', spec('TXT', 'hello'));
    t.mgr.start();
    await t.mgr.idle();
    // Someone took the record over in the dashboard: the comment no longer names this object.
    const rec = t.records()[0]!;
    rec.comment = 'managed by hand now';
    t.source.remove(key);
    const second = await restarted(t);
    second.mgr.start();
    await second.mgr.idle();
    expect(second.store.get(key)).toBeUndefined();
    expect(count(t.server, DELETE)).toBe(0);
    expect(t.records()).toHaveLength(1);
    await second.mgr.stop(1000);
  });
});
