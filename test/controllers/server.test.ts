// Server controller end to end against the Hetzner and Cloudflare simulators, with simulated host setup.
import { afterEach, describe, expect, it } from 'vitest';
import { createServerController } from '../../controllers/server/controller.js';
import { DEFAULT_CONSISTENCY } from '../../src/sim/cloudflare.js';
import { createDnsRecordController } from '../../controllers/dns-record/controller.js';
import { isRecordNotFound } from '../../src/providers/cloudflare.js';
import { fingerprintMd5 } from '../../src/providers/hetzner.js';
import { SimulatedHostSetup } from '../../src/host/simulated-setup.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';
import { publicKeyFingerprintSha256 } from '../../src/host/keys.js';
import { getCondition, READY, STALLED, SYNCED } from '../../src/engine/conditions.js';
import { realClock } from '../../src/engine/clock.js';
import { startCloud, startManager, writes } from '../helpers/harness.js';
import {
  clockRef, commands, dnsRecords, identity, runCleanups, cleanups, secondPass, serverDeps, serverPort, servers, settle, setup, spec, type SetupOpts,
} from './server/world.js';

afterEach(runCleanups);

describe('Server controller', () => {
  it('creates a server and its DNS record, reaches Ready, and a second pass writes nothing', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec({ labels: { env: 'prod' } }));
    t.mgr.start();
    await settle(t);
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
    const a = t.store.get("DNSRecord/server.prod.a")!;
    expect(a.owner).toEqual({ kind: 'Server', name: 'prod' });
    expect(dnsRecords(t)).toMatchObject([{ type: 'A', name: 'prod.example.com', content: st.status.observed!.ipv4 }]);
    await secondPass(t);
  });

  it('resizes in place with power off, change_type and power on', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    const id = servers(t)[0]!.id;
    t.server.resetCounters();
    t.source.put('Server', 'prod', spec({ serverType: 'cx33' }));
    t.mgr.desiredChanged([key]);
    await settle(t);
    const routes = t.server.requests().byRoute;
    expect(Object.keys(routes).filter((r) => r.startsWith('POST /v1/servers/{id}/actions')).length).toBeGreaterThan(0);
    expect(routes['POST /v1/servers']).toBeUndefined();
    expect(servers(t)).toMatchObject([{ id, serverType: 'cx33', status: 'running' }]);
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.status).toBe('True');
    expect(t.store.get(key)!.status.events.map((e) => e.reason)).toContain('Resized');
    await secondPass(t);
  });

  it('never replaces automatically: ReplacementRequired until approved for that generation', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    const id = servers(t)[0]!.id;
    t.source.put('Server', 'prod', spec({ location: 'fsn1' }));
    t.mgr.desiredChanged([key]);
    await settle(t);
    let st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(st.status.conditions, SYNCED)).toMatchObject({ status: 'False', reason: 'ReplacementRequired' });
    expect(servers(t).map((s) => s.id)).toEqual([id]);
    t.source.put('Server', 'prod', spec({ location: 'fsn1' }), { 'livchat.ai/approve-replace': String(st.generation) });
    t.mgr.desiredChanged([key]);
    await settle(t);
    st = t.store.get(key)!;
    const now = servers(t).filter((s) => s.status !== "deleting");
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(id);
    expect(now[0]!.location).toBe('fsn1');
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(st.status.conditions, SYNCED)?.status).toBe('True');
    t.hetzner.settle();
    await secondPass(t);
  });

  it('deletes nothing while protection is on, then deletes server and DNS records once it is off', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await settle(t);
    expect(servers(t)).toHaveLength(1);
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.reason).toBe('DeletionProtected');
    expect(dnsRecords(t)).toHaveLength(1);
    t.source.put('Server', 'prod', spec({ protection: { delete: false } }));
    t.mgr.desiredChanged([key]);
    await settle(t);
    expect(servers(t)[0]!.protection.delete).toBe(false);
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await settle(t);
    t.hetzner.settle();
    expect(servers(t).filter((s) => s.status !== 'deleting')).toHaveLength(0);
    expect(t.store.get(key)).toBeUndefined();
    expect(t.store.get('DNSRecord/server.prod.a')).toBeUndefined();
    expect(dnsRecords(t)).toHaveLength(0);
    await secondPass(t);
  });

  it('orphans: keeps the server running, removes ownership labels, leaves DNS in place', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec({ deletionPolicy: 'Orphan', labels: { env: 'prod' } }));
    t.mgr.start();
    await settle(t);
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await settle(t);
    const [s] = servers(t);
    expect(s!.status).toBe('running');
    expect(s!.labels).toEqual({ env: 'prod' });
    expect(t.store.get(key)).toBeUndefined();
    expect(dnsRecords(t)).toHaveLength(1);
    expect(dnsRecords(t)[0]!.comment ?? '').not.toContain('livchat:');
    await secondPass(t);
  });

  it('after a crash between the create-pending mark and the create response, finds the server instead of creating another', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    const id = servers(t)[0]!.id;
    // Simulate the crash window: the mark is durable, the id was never recorded.
    t.store.update(key, (s) => { s.internal.createPending = { at: t.clock.now() }; delete s.internal.serverId; });
    t.server.resetCounters();
    t.mgr.resyncAll();
    await settle(t);
    expect(t.server.requests().byRoute['POST /v1/servers']).toBeUndefined();
    expect(t.store.get(key)!.internal.serverId).toBe(id);
    expect(t.store.get(key)!.internal.createPending).toBeUndefined();
    expect(servers(t)).toHaveLength(1);
    await secondPass(t);
  });

  it('recognises its resources after the state directory is lost, given the same installation name', async () => {
    const t = await setup();
    t.source.put('Server', 'prod', spec());
    t.source.put('DNSRecord', 'www', { zone: 'example.com', name: 'www', type: 'CNAME', content: 'prod.example.com' });
    t.mgr.start();
    await settle(t);
    const before = writes(t.server);
    expect(before).toBeGreaterThan(0);
    // Past Cloudflare's simulated list lag, so a fresh list shows the records just created.
    t.simClock.advance(DEFAULT_CONSISTENCY.listLagMs);
    // A new manager, new controllers (empty caches) and an empty state dir: only the instance name is the same.
    const host = new SimulatedHostSetup(async () => 'f'.repeat(64));
    const { ref, clock } = clockRef();
    const fresh = startManager([
      // The vault (SSH identity and pinned host keys) is what survives: same identity, same host-key store.
      createServerController(serverDeps({ hcloud: serverPort(t, clock), host, clock, hostKeys: t.hostKeys })),
      createDnsRecordController({ dns: t.cf, clock: realClock, isNotFound: isRecordNotFound }),
    ], 'test');
    ref.c = fresh.clock;
    for (const o of t.source.list()) fresh.source.objects.set(o.key, o);
    fresh.mgr.start();
    await settle({ ...fresh, simClock: t.simClock });
    // Recognised by labels and DNS comment markers: no create, no conflict, no write at all.
    expect(servers(t)).toHaveLength(1);
    expect(dnsRecords(t)).toHaveLength(2);
    expect(writes(t.server)).toBe(before);
    for (const st of fresh.store.list()) expect(getCondition(st.status.conditions, READY)?.status, st.key).toBe('True');
    await secondPass({ ...fresh, server: t.server, simClock: t.simClock });
  });

  it('reports a Conflict for a same-named server it does not own, and adopts only when annotated', async () => {
    const t = await setup();
    const seeded = await t.hc.createServer({ name: 'prod', server_type: 'cx23', image: 'ubuntu-24.04', location: 'nbg1', labels: { team: 'ops' } });
    t.hetzner.settle();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    expect(getCondition(t.store.get(key)!.status.conditions, STALLED)?.reason).toBe('Conflict');
    expect(servers(t)).toHaveLength(1);
    t.source.put('Server', 'prod', spec(), { 'livchat.ai/adopt': 'true' });
    t.mgr.desiredChanged([key]);
    await settle(t);
    expect(servers(t)).toHaveLength(1);
    // After adoption the desired labels are authoritative: ownership labels added, the foreign one reconciled away.
    expect(servers(t)[0]!.labels).toEqual({ 'managed-by': 'livchat', 'livchat.ai/instance': 'test', 'livchat.ai/object': 'prod' });
    expect(t.store.get(key)!.internal.serverId).toBe(seeded.server.id);
    // An adopted server's host key is unknown: SSH stalls until a fingerprint is approved, never trusted on first use.
    expect(getCondition(t.store.get(key)!.status.conditions, STALLED)?.reason).toBe('HostKeyUnknown');
    await secondPass(t);
  });
});

describe('Server controller: resize against a real-world guest', () => {
  async function running(opts: SetupOpts = {}, extra: Record<string, unknown> = {}) {
    const t = await setup(opts);
    const key = t.source.put('Server', 'prod', spec(extra));
    t.mgr.start();
    await settle(t);
    const id = servers(t)[0]!.id;
    return { t, key, id, created: commands(t, id).length };
  }
  const resizeTo = async (t: Awaited<ReturnType<typeof setup>>, key: string, serverType: string) => {
    t.source.put('Server', 'prod', spec({ serverType }));
    t.mgr.desiredChanged([key]);
    await settle(t);
  };

  it('shuts down, waits for the guest to power off, then change_type and power on', async () => {
    const { t, key, id, created } = await running();
    // The guest takes a while (sim time runs with real time here): the shutdown action succeeds long before it is off.
    t.hetzner.setAcpi({ serverId: id, delayMs: 150 });
    await resizeTo(t, key, 'cx33');
    expect(commands(t, id).slice(created)).toEqual(['shutdown_server', 'change_server_type', 'start_server']);
    expect(t.server.requests().byStatus['412']).toBeUndefined();
    expect(servers(t)).toMatchObject([{ id, serverType: 'cx33', status: 'running' }]);
    const events = t.store.get(key)!.status.events.map((e) => e.reason);
    expect(events).toContain('Resized');
    expect(events).not.toContain('HardPowerOff');
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.status).toBe('True');
    await secondPass(t);
  });

  it('powers off hard when the guest ignores ACPI, and says so in an event', async () => {
    const { t, key, id, created } = await running({ shutdownTimeoutMs: 200 });
    t.hetzner.setAcpi({ serverId: id, ignore: true });
    await resizeTo(t, key, 'cx33');
    expect(commands(t, id).slice(created)).toEqual(['shutdown_server', 'stop_server', 'change_server_type', 'start_server']);
    expect(t.server.requests().byStatus['412']).toBeUndefined();
    expect(servers(t)).toMatchObject([{ id, serverType: 'cx33', status: 'running' }]);
    const st = t.store.get(key)!;
    expect(st.status.events.find((e) => e.reason === 'HardPowerOff')).toMatchObject({ type: 'Warning' });
    expect(getCondition(st.status.conditions, SYNCED)?.status).toBe('True');
    await secondPass(t);
  });

  it('refuses a type whose disk is smaller than the current disk, before any downtime', async () => {
    const { t, key, id, created } = await running({}, { serverType: 'cx33' });
    await resizeTo(t, key, 'cx23');
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, STALLED)).toMatchObject({ status: 'True', reason: 'DiskTooSmall' });
    expect(getCondition(st.status.conditions, STALLED)?.message).toMatch(/40 GB disk is smaller than the server's 80 GB/);
    expect(commands(t, id).slice(created)).toEqual([]);
    expect(servers(t)).toMatchObject([{ id, serverType: 'cx33', status: 'running' }]);
    await secondPass(t);
  });

  it('refuses an architecture change as InvalidServerType without touching the server', async () => {
    const { t, key, id, created } = await running();
    await resizeTo(t, key, 'cax21');
    expect(getCondition(t.store.get(key)!.status.conditions, STALLED)?.reason).toBe('InvalidServerType');
    expect(commands(t, id).slice(created)).toEqual([]);
    await secondPass(t);
  });

  it('keeps the server running and reports CapacityUnavailable when the new type is sold out there', async () => {
    const { t, key, id, created } = await running();
    t.hetzner.setCapacity({ location: 'nbg1', serverType: 'cx33', available: false });
    await resizeTo(t, key, 'cx33');
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(st.status.conditions, SYNCED)).toMatchObject({ status: 'False', reason: 'CapacityUnavailable' });
    expect(getCondition(st.status.conditions, SYNCED)?.message).toMatch(/no cx33 capacity in nbg1/);
    expect(commands(t, id).slice(created)).toEqual([]);
    expect(servers(t)[0]!.status).toBe('running');
    // Not a hot loop: the retry waits minutes on the manager clock.
    const gets = t.server.requests().total;
    t.clock.advance(60_000);
    await settle(t);
    expect(t.server.requests().total).toBe(gets);
    await secondPass(t);
  });
});

describe('Server controller: capacity, time and ownership', () => {
  it('reports a sold-out create as CapacityUnavailable and retries only after minutes', async () => {
    const t = await setup();
    t.hetzner.setCapacity({ location: 'nbg1', serverType: 'cx23', available: false });
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, SYNCED)).toMatchObject({ status: 'False', reason: 'CapacityUnavailable' });
    expect(getCondition(st.status.conditions, SYNCED)?.message).toMatch(/no cx23 capacity in nbg1/);
    expect(st.internal.createPending).toBeUndefined();
    const posts = () => t.server.requests().byRoute['POST /v1/servers'] ?? 0;
    expect(posts()).toBe(1);
    t.clock.advance(4 * 60_000);
    await settle(t);
    expect(posts()).toBe(1);
    t.hetzner.setCapacity({ location: 'nbg1', serverType: 'cx23', available: true });
    t.clock.advance(2 * 60_000);
    await settle(t);
    expect(posts()).toBe(2);
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.status).toBe('True');
    await secondPass(t);
  });

  it('measures the create grace on the monotonic clock: a wall-clock step neither stretches nor shrinks it', async () => {
    const t = await setup({ createGraceMs: 15_000 });
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    const first = servers(t)[0]!;
    // A create whose request never reached Hetzner: the mark is durable, no server exists.
    t.hetzner.servers.delete(first.id);
    t.store.update(key, (s) => { s.internal.createPending = { at: t.clock.now() }; delete s.internal.serverId; });
    const posts = () => t.server.requests().byRoute['POST /v1/servers'] ?? 0;
    const before = posts();
    t.mgr.resyncAll();
    await t.mgr.idle();
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.reason).toBe('Creating');
    // One hour forward on the wall clock must not end the grace early.
    t.clock.stepWall(3_600_000);
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    expect(posts()).toBe(before);
    // One hour back (two steps) must not stretch it either: 16 s of monotonic time later it is over.
    t.clock.stepWall(-7_200_000);
    t.clock.advance(16_000);
    await t.mgr.idle();
    t.mgr.desiredChanged([key]);
    await settle(t);
    expect(posts()).toBe(before + 1);
    expect(t.store.get(key)!.internal.createPending).toBeUndefined();
    expect(servers(t)).toHaveLength(1);
    await secondPass(t);
  });

  it('matches ownership labels exactly: prod never sees prod2, web1 never recovers web10', async () => {
    const cloud = await startCloud({ zones: ['example.com'] });
    cleanups.push(() => cloud.server.close());
    // Filters ignored on purpose: the controller itself must match instance and object labels and the key fingerprint exactly.
    const prod = await setup({ cloud, instance: 'prod', unfiltered: true });
    const prod2 = await setup({ cloud, instance: 'prod2', unfiltered: true });
    const stranger = await cloud.hc.createSshKey({ name: 'someone-else', public_key: generateEd25519KeyPair('someone').publicKey });
    const a = prod.source.put('Server', 'web1', spec({ dns: undefined }));
    prod.source.put('Server', 'web10', spec({ dns: undefined }));
    prod.mgr.start();
    await settle(prod);
    prod2.source.put('Server', 'web1', spec({ dns: undefined }));
    prod2.source.put('Server', 'web100', spec({ dns: undefined }));
    prod2.mgr.start();
    await settle(prod2);
    // Names are unique per project, so prod2's web1 meets prod's web1 as a conflict, never as its own server.
    const all = [...cloud.hetzner.servers.values()];
    expect(all.map((s) => `${s.labels['livchat.ai/instance']}/${s.name}`).sort()).toEqual(['prod/web1', 'prod/web10', 'prod2/web100']);
    expect(getCondition(prod2.store.get('Server/web1')!.status.conditions, STALLED)?.reason).toBe('Conflict');
    expect(getCondition(prod2.store.get('Server/web100')!.status.conditions, READY)?.status).toBe('True');
    // Every server got the daemon's own key, never the unrelated one an unfiltered key list returns first.
    const own = [...cloud.hetzner.sshKeys.values()].find((k) => k.fingerprint === fingerprintMd5(identity.publicKey))!;
    for (const s of all) expect(s.sshKeys).toEqual([own.id]);
    expect(own.id).not.toBe(stranger.id);
    const web1 = all.find((s) => s.name === 'web1')!;
    const web10 = all.find((s) => s.name === 'web10')!;
    expect(prod.store.get(a)!.internal.serverId).toBe(web1.id);
    // Create-pending recovery for web1 while only web10 exists must not take web10 for it.
    cloud.hetzner.servers.delete(web1.id);
    prod.store.update(a, (s) => { s.internal.createPending = { at: prod.clock.now() - 120_000 }; delete s.internal.serverId; });
    prod.mgr.resyncAll();
    await settle(prod);
    const now = [...cloud.hetzner.servers.values()];
    expect(now.map((s) => `${s.labels['livchat.ai/instance']}/${s.name}`).sort()).toEqual(['prod/web1', 'prod/web10', 'prod2/web100']);
    expect(prod.store.get(a)!.internal.serverId).not.toBe(web10.id);
    expect(prod.store.get('Server/web10')!.internal.serverId).toBe(web10.id);
    expect(prod.store.get(a)!.status.events.map((e) => e.reason)).not.toContain('Recovered');
    await secondPass(prod);
  });
});

describe('Server controller: host keys', () => {
  it('keeps the pinned host key when the status file is lost, and still refuses a different key', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    const pinned = t.store.get(key)!.internal.hostKey as string;
    expect(t.hostKeys.pinned('prod')).toBe(pinned);
    expect(t.hostKeys.private.get('prod')).toMatch(/OPENSSH PRIVATE KEY/);
    // The status file disappears: the next setup must still use the pin from the key store.
    t.store.remove(key);
    t.mgr.resyncAll();
    await settle(t);
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.status).toBe('True');
    expect(t.setups.at(-1)).toMatchObject({ hostKey: pinned });
    expect(t.setups.at(-1)!.approvedFingerprint).toBeUndefined();
    expect(t.store.get(key)!.internal.hostKey).toBe(pinned);
    await secondPass(t);
    // The pin is really enforced: a server presenting another key stalls.
    t.hostKeys.pin('prod', generateEd25519KeyPair('other').publicKey);
    t.store.update(key, (s) => { delete s.internal.setupKey; delete s.internal.hostKey; });
    t.mgr.resyncAll();
    await settle(t);
    expect(getCondition(t.store.get(key)!.status.conditions, STALLED)?.reason).toBe('HostKeyMismatch');
  });

  it('stalls with HostKeyUnknown when no pin is known, until the presented fingerprint is approved', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', spec());
    t.mgr.start();
    await settle(t);
    const id = servers(t)[0]!.id;
    const real = t.hetzner.hostKeys()[String(id)]!;
    // Both the status file and the pin are gone: nothing may be trusted on first use.
    t.hostKeys.forget('prod');
    t.store.remove(key);
    const setupsBefore = t.setups.length;
    t.mgr.resyncAll();
    await settle(t);
    let st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, STALLED)).toMatchObject({ status: 'True', reason: 'HostKeyUnknown' });
    expect(getCondition(st.status.conditions, STALLED)?.message).toContain('livchat.ai/approve-host-key');
    expect(t.setups.length).toBe(setupsBefore);
    expect(t.hostKeys.pinned('prod')).toBeUndefined();
    // A wrong approval is refused and pins nothing.
    t.source.put('Server', 'prod', spec(), { 'livchat.ai/approve-host-key': publicKeyFingerprintSha256(generateEd25519KeyPair('x').publicKey) });
    t.mgr.desiredChanged([key]);
    await settle(t);
    expect(getCondition(t.store.get(key)!.status.conditions, STALLED)?.reason).toBe('HostKeyNotApproved');
    expect(t.hostKeys.pinned('prod')).toBeUndefined();
    // The right fingerprint pins the key the server presents.
    t.source.put('Server', 'prod', spec(), { 'livchat.ai/approve-host-key': publicKeyFingerprintSha256(real) });
    t.mgr.desiredChanged([key]);
    await settle(t);
    st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(t.hostKeys.pinned('prod')).toBe(real);
    expect(st.status.events.map((e) => e.reason)).toContain('HostKeyApproved');
    await secondPass(t);
  });
});

describe('Server controller: playbook hash', () => {
  it('hashes the playbooks once per process, and again after invalidate (SIGHUP)', async () => {
    const t = await setup();
    t.source.put('Server', 'prod', spec());
    t.source.put('Server', 'db', spec({ dns: undefined }));
    t.mgr.start();
    await settle(t);
    t.mgr.desiredChanged(['Server/prod', 'Server/db']);
    await settle(t);
    expect(t.hashes.count).toBe(1);
    // resyncAll is the SIGHUP path: it calls the reconciler's invalidate, which re-hashes on the next read.
    await secondPass(t);
    expect(t.hashes.invalidated).toBe(1);
    expect(t.hashes.count).toBe(2);
  });
});

