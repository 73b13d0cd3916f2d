// Server controller end to end against the Hetzner and Cloudflare simulators, with simulated host setup.
import { afterEach, describe, expect, it } from 'vitest';
import { createServerController } from '../../controllers/server.js';
import { DEFAULT_CONSISTENCY } from '../../src/sim/cloudflare.js';
import { createDnsRecordController } from '../../controllers/dns-record.js';
import { isRecordNotFound } from '../../src/providers/cloudflare.js';
import { fingerprintMd5 } from '../../src/providers/hetzner.js';
import { SimulatedHostSetup } from '../../src/host/simulated-setup.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';
import { renderUserData } from '../../src/host/cloud-init.js';
import { getCondition, READY, STALLED, SYNCED } from '../../src/engine/conditions.js';
import { realClock } from '../../src/engine/clock.js';
import { startCloud, startManager, writes } from '../helpers/harness.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanup) await c(); cleanup = []; });

const identity = generateEd25519KeyPair('livchat-test');

async function setup() {
  const cloud = await startCloud({ zones: ['example.com'] });
  cleanup.push(() => cloud.server.close());
  const host = new SimulatedHostSetup(async () => 'f'.repeat(64));
  const server = createServerController({
    hcloud: cloud.hc, host, clock: realClock,
    identity: async () => ({ publicKey: identity.publicKey }),
    newHostKey: () => generateEd25519KeyPair('host'),
    userData: ({ hostKey, hostname }) => renderUserData({ hostKey, hostname }),
    fingerprint: fingerprintMd5,
    createGraceMs: 60_000,
  });
  const dns = createDnsRecordController({ dns: cloud.cf, clock: realClock, isNotFound: isRecordNotFound });
  const m = startManager([server, dns]);
  return { ...cloud, ...m };
}

const spec = (extra: Record<string, unknown> = {}) => ({ location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04', dns: { zone: 'example.com', name: 'prod' }, setup: { timezone: 'UTC', swapSize: '2G' }, ...extra });
const servers = (t: Awaited<ReturnType<typeof setup>>) => [...t.hetzner.servers.values()];
const dnsRecords = (t: Awaited<ReturnType<typeof setup>>) => [...(t.cloudflare.state.records.get(t.cloudflare.zoneByName('example.com')!.id)?.values() ?? [])];

describe('Server controller', () => {
  it('creates a server and its DNS record, reaches Ready, and a second pass writes nothing', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec({ labels: { env: 'prod' } }));
    t.mgr.start();
    await t.mgr.idle();
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, READY)).toMatchObject({ status: 'True', reason: 'Available' });
    expect(st.status.observed).toMatchObject({ hetznerStatus: 'running', location: 'nbg1', serverType: 'cx23', playbookHash: 'f'.repeat(64) });
    expect(String(st.status.observed!.ipv4)).toMatch(/^203\.0\.113\.\d+$/);
    expect(String(st.status.observed!.ipv6)).toMatch(/^2001:db8:.*::1$/);
    const [s] = servers(t);
    expect(s!.labels).toMatchObject({ env: 'prod', 'managed-by': 'livchat', 'livchat.ai/instance': 'test', 'livchat.ai/object': 'prod' });
    expect(s!.protection).toEqual({ delete: true, rebuild: true });
    expect(s!.userData).toContain('ssh_keys');
    expect(st.internal.hostKey).toMatch(/^ssh-ed25519 /);
    expect(t.hetzner.sshKeys.size).toBe(1);
    const a = t.store.get("DNSRecord/prod-a")!;
    expect(a.owner).toEqual({ kind: 'Server', name: 'prod' });
    expect(dnsRecords(t)).toMatchObject([{ type: 'A', name: 'prod.example.com', content: st.status.observed!.ipv4 }]);
    const before = writes(t.server);
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(writes(t.server)).toBe(before);
  });

  it('resizes in place with power off, change_type and power on', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await t.mgr.idle();
    const id = servers(t)[0]!.id;
    t.server.resetCounters();
    t.source.put('Server', 'prod', spec({ serverType: 'cx33' }));
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    const routes = t.server.requests().byRoute;
    expect(Object.keys(routes).filter((r) => r.startsWith('POST /v1/servers/{id}/actions')).length).toBeGreaterThan(0);
    expect(routes['POST /v1/servers']).toBeUndefined();
    expect(servers(t)).toMatchObject([{ id, serverType: 'cx33', status: 'running' }]);
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.status).toBe('True');
    expect(t.store.get(key)!.status.events.map((e) => e.reason)).toContain('Resized');
  });

  it('never replaces automatically: ReplacementRequired until approved for that generation', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await t.mgr.idle();
    const id = servers(t)[0]!.id;
    t.source.put('Server', 'prod', spec({ location: 'fsn1' }));
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    let st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(st.status.conditions, SYNCED)).toMatchObject({ status: 'False', reason: 'ReplacementRequired' });
    expect(servers(t).map((s) => s.id)).toEqual([id]);
    t.source.put('Server', 'prod', spec({ location: 'fsn1' }), { 'livchat.ai/approve-replace': String(st.generation) });
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    st = t.store.get(key)!;
    const now = servers(t).filter((s) => s.status !== "deleting");
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(id);
    expect(now[0]!.location).toBe('fsn1');
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(st.status.conditions, SYNCED)?.status).toBe('True');
  });

  it('deletes nothing while protection is on, then deletes server and DNS records once it is off', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await t.mgr.idle();
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    expect(servers(t)).toHaveLength(1);
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.reason).toBe('DeletionProtected');
    expect(dnsRecords(t)).toHaveLength(1);
    t.source.put('Server', 'prod', spec({ protection: { delete: false } }));
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    expect(servers(t)[0]!.protection.delete).toBe(false);
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    t.hetzner.settle();
    expect(servers(t).filter((s) => s.status !== 'deleting')).toHaveLength(0);
    expect(t.store.get(key)).toBeUndefined();
    expect(t.store.get('DNSRecord/prod-a')).toBeUndefined();
    expect(dnsRecords(t)).toHaveLength(0);
  });

  it('orphans: keeps the server running, removes ownership labels, leaves DNS in place', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec({ deletionPolicy: 'Orphan', labels: { env: 'prod' } }));
    t.mgr.start();
    await t.mgr.idle();
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    const [s] = servers(t);
    expect(s!.status).toBe('running');
    expect(s!.labels).toEqual({ env: 'prod' });
    expect(t.store.get(key)).toBeUndefined();
    expect(dnsRecords(t)).toHaveLength(1);
    expect(dnsRecords(t)[0]!.comment ?? '').not.toContain('livchat:');
  });

  it('after a crash between the create-pending mark and the create response, finds the server instead of creating another', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await t.mgr.idle();
    const id = servers(t)[0]!.id;
    // Simulate the crash window: the mark is durable, the id was never recorded.
    t.store.update(key, (s) => { s.internal.createPending = { at: Date.now() }; delete s.internal.serverId; });
    t.server.resetCounters();
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(t.server.requests().byRoute['POST /v1/servers']).toBeUndefined();
    expect(t.store.get(key)!.internal.serverId).toBe(id);
    expect(t.store.get(key)!.internal.createPending).toBeUndefined();
    expect(servers(t)).toHaveLength(1);
  });

  it('recognises its resources after the state directory is lost, given the same installation name', async () => {
    const t = await setup();
    t.source.put('Server', 'prod', spec());
    t.source.put('DNSRecord', 'www', { zone: 'example.com', name: 'www', type: 'CNAME', content: 'prod.example.com' });
    t.mgr.start();
    await t.mgr.idle();
    const before = writes(t.server);
    expect(before).toBeGreaterThan(0);
    // Past Cloudflare's simulated list lag, so a fresh list shows the records just created.
    t.simClock.advance(DEFAULT_CONSISTENCY.listLagMs);
    // A new manager, new controllers (empty caches) and an empty state dir: only the instance name is the same.
    const host = new SimulatedHostSetup(async () => 'f'.repeat(64));
    const fresh = startManager([
      createServerController({ hcloud: t.hc, host, clock: realClock, identity: async () => ({ publicKey: identity.publicKey }), newHostKey: () => generateEd25519KeyPair('host'), userData: ({ hostKey, hostname }) => renderUserData({ hostKey, hostname }), fingerprint: fingerprintMd5 }),
      createDnsRecordController({ dns: t.cf, clock: realClock, isNotFound: isRecordNotFound }),
    ], 'test');
    for (const o of t.source.list()) fresh.source.objects.set(o.key, o);
    fresh.mgr.start();
    await fresh.mgr.idle();
    // Recognised by labels and DNS comment markers: no create, no conflict, no write at all.
    expect(servers(t)).toHaveLength(1);
    expect(dnsRecords(t)).toHaveLength(2);
    expect(writes(t.server)).toBe(before);
    for (const st of fresh.store.list()) expect(getCondition(st.status.conditions, READY)?.status, st.key).toBe('True');
  });

  it('reports a Conflict for a same-named server it does not own, and adopts only when annotated', async () => {
    const t = await setup();
    const seeded = await t.hc.createServer({ name: 'prod', server_type: 'cx23', image: 'ubuntu-24.04', location: 'nbg1', labels: { team: 'ops' } });
    t.hetzner.settle();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await t.mgr.idle();
    expect(getCondition(t.store.get(key)!.status.conditions, STALLED)?.reason).toBe('Conflict');
    expect(servers(t)).toHaveLength(1);
    t.source.put('Server', 'prod', spec(), { 'livchat.ai/adopt': 'true' });
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    expect(servers(t)).toHaveLength(1);
    // After adoption the desired labels are authoritative: ownership labels added, the foreign one reconciled away.
    expect(servers(t)[0]!.labels).toEqual({ 'managed-by': 'livchat', 'livchat.ai/instance': 'test', 'livchat.ai/object': 'prod' });
    expect(t.store.get(key)!.internal.serverId).toBe(seeded.server.id);
  });
});
