// HetznerClient against the loopback simulator (paging, action waits on a manual clock, retries, 429s, typed errors), and the Server port's contract suite.
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, realClock } from '../../src/engine/clock.js';
import { DomainError } from '../../src/engine/errors.js';
import { TokenBucket } from '../../src/providers/limiter.js';
import { HetznerClient, fingerprintMd5, serverLocation, type HetznerClientOptions } from '../../src/providers/hetzner.js';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createHetznerSim, type HetznerSim } from '../../src/sim/hetzner.js';
import { HetznerServers, toServerInfo, type OperationStatus } from '../../src/providers/hetzner-servers.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';

/** The live suites run only when asked: the same switch as the simulator's live conformance check. */
const LIVE_HETZNER = process.env.LIVCHAT_LIVE_HETZNER === '1' && Boolean(process.env.HCLOUD_TOKEN);

const TOKEN = 'client-test-token-abcdef';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAX8trSGQoAF/Yd08cd8O/7TYffs8WbbP4mFaqZoambS test@sim';
const ED25519_MD5 = '38:d4:83:f1:64:d2:42:65:17:4a:c9:48:28:3e:17:44';

interface Env { clock: ManualClock; sim: HetznerSim; server: SimServer; client: HetznerClient; calls: Array<[string, number]> }
const envs: Env[] = [];

/** setup shares one ManualClock between the client's waits and the simulator's clock. */
async function setup(opts: { rateLimit?: { limit: number; windowMs: number }; client?: Partial<HetznerClientOptions> } = {}): Promise<Env> {
  const clock = new ManualClock(T0);
  const simClock = new SimClock(() => clock.now());
  const sim = createHetznerSim({ clock: simClock, actionDurationMs: 2000, rateLimit: opts.rateLimit });
  const server = new SimServer({ services: [sim], token: TOKEN, clock: simClock });
  await server.listen();
  const calls: Array<[string, number]> = [];
  const client = new HetznerClient({
    token: TOKEN, endpoint: server.baseUrl('hetzner'), clock, random: () => 0.5,
    onRequest: (op, status) => calls.push([op, status]), ...opts.client,
  });
  const env = { clock, sim, server, client, calls };
  envs.push(env);
  return env;
}

afterEach(async () => { for (const e of envs.splice(0)) await e.server.close(); });

/** drive lets a client call run while moving the manual clock whenever the client waits on it (no real sleeps). */
async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 100): Promise<T> {
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  const deadline = Date.now() + 10_000;
  while (!settled) {
    if (Date.now() > deadline) throw new Error('drive: the call did not settle');
    if (clock.pending > 0) clock.advance(stepMs);
    await new Promise((r) => setImmediate(r));
  }
  return p;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (err) { return err as Error; }
  throw new Error('expected the call to fail');
}

function routeCount(server: SimServer, route: string): number {
  return server.requests().byRoute[route] ?? 0;
}

const cx23 = (name: string) => ({ name, server_type: 'cx23', image: 'ubuntu-24.04', location: 'nbg1' });

describe('HetznerClient', () => {
  it('walks 120 servers in ceil(120/50) = 3 list requests', async () => {
    const { client, server } = await setup();
    for (let i = 0; i < 120; i++) await client.createServer({ ...cx23(`node-${i}`), labels: { pool: i % 2 ? 'odd' : 'even' }, start_after_create: false });
    server.resetCounters();
    const all = await client.listServers();
    expect(all).toHaveLength(120);
    expect(new Set(all.map((s) => s.id)).size).toBe(120);
    expect(routeCount(server, 'GET /v1/servers')).toBe(3);
    const odd = await client.listServers('pool=odd');
    expect(odd).toHaveLength(60);
    expect(odd.every((s) => s.labels.pool === 'odd')).toBe(true);
    expect(serverLocation(odd[0]!)?.name).toBe('nbg1');
    expect(serverLocation({ datacenter: { id: 1, name: 'fsn1-dc14', location: { ...odd[0]!.location!, name: 'fsn1' } } })?.name).toBe('fsn1');
  });

  it('creates a server and waits for its actions on the manual clock', async () => {
    const { client, clock } = await setup();
    const started = clock.now();
    const created = await client.createServer(cx23('web-1'));
    expect(created.server.status).toBe('initializing');
    expect(created.server.public_net.ipv4?.ip).toMatch(/^203\.0\.113\./);
    expect(created.nextActions.map((a) => a.command)).toEqual(['start_server']);
    expect(created.rootPassword).toEqual(expect.any(String));
    const progress: number[] = [];
    const ids = [created.action.id, ...created.nextActions.map((a) => a.id)];
    const done = await drive(clock, client.waitForActions(ids, { onProgress: (a) => progress.push(a.progress) }));
    expect(done.map((a) => [a.command, a.status])).toEqual([['create_server', 'success'], ['start_server', 'success']]);
    expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
    // Both actions take 2 s of sim time each; polling backs off but stays close behind.
    expect(clock.now() - started).toBeGreaterThanOrEqual(4000);
    expect(clock.now() - started).toBeLessThan(12_000);
    expect((await client.getServer(created.server.id))?.status).toBe('running');
    expect(await client.getServer(987654)).toBeUndefined();
  });

  it('paces action polls by progress and command: a 2 s action is noticed within ~2 s, never polled more than 10 s apart', async () => {
    const { client, clock } = await setup();
    const c = await client.createServer(cx23('pace-1'));
    await drive(clock, client.waitForActions([c.action.id, c.nextActions[0]!.id]), 10);
    const off = await client.serverAction(c.server.id, 'poweroff');
    const started = clock.now();
    const seen: number[] = [];
    await drive(clock, client.waitForActions([off.id], { onProgress: () => seen.push(clock.now() - started) }), 10);
    // Doubling from 500 ms noticed this at 3.5 s; the progress-based estimate polls near the end instead.
    expect(clock.now() - started).toBeGreaterThanOrEqual(2000);
    expect(clock.now() - started).toBeLessThanOrEqual(2300);
    expect(seen.length).toBeLessThanOrEqual(4);

    const long = await setup();
    long.sim.state.actionDurationMs = 120_000;
    const lc = await long.client.createServer({ ...cx23('pace-2'), start_after_create: false });
    const t0 = long.clock.now();
    const at: number[] = [];
    await drive(long.clock, long.client.waitForActions([lc.action.id], { onProgress: () => at.push(long.clock.now() - t0) }), 50);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000 + 50);
    expect(long.clock.now() - t0).toBeLessThanOrEqual(120_000 + 10_050);
    expect(at.length).toBeLessThanOrEqual(16);
  });

  it('runs server actions, updates and deletes', async () => {
    const { client, clock } = await setup();
    const { server: s, action, nextActions } = await client.createServer(cx23('ops-1'));
    await drive(clock, client.waitForActions([action.id, ...nextActions.map((a) => a.id)]));
    const off = await client.serverAction(s.id, 'poweroff');
    expect(off.command).toBe('stop_server');
    await drive(clock, client.waitForActions([off.id]));
    const resize = await client.serverAction(s.id, 'change_type', { server_type: 'cx33', upgrade_disk: false });
    await drive(clock, client.waitForActions([resize.id]));
    expect((await client.getServer(s.id))?.server_type.name).toBe('cx33');
    const renamed = await client.updateServer(s.id, { name: 'ops-2', labels: { role: 'db' } });
    expect([renamed.name, renamed.labels]).toEqual(['ops-2', { role: 'db' }]);
    const del = await client.deleteServer(s.id);
    await drive(clock, client.waitForActions([del.id]));
    expect(await client.getServer(s.id)).toBeUndefined();
    await expect(client.serverAction(s.id, '../ssh_keys')).rejects.toThrow(/invalid server action/);
  });

  it('fetches actions in batches of 25', async () => {
    const { client, server } = await setup();
    const ids: number[] = [];
    for (let i = 0; i < 15; i++) {
      const c = await client.createServer(cx23(`b-${i}`));
      ids.push(c.action.id, ...c.nextActions.map((a) => a.id));
    }
    server.resetCounters();
    expect((await client.getActions(ids)).map((a) => a.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    expect(routeCount(server, 'GET /v1/actions')).toBe(2);
  });

  it('turns a failed action into DomainError Unavailable with fact ActionFailed', async () => {
    const { client, clock, sim } = await setup();
    sim.failNext('create_server', 'disk on fire');
    const c = await client.createServer(cx23('doomed'));
    const err = await failure(drive(clock, client.waitForActions([c.action.id])));
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'Unavailable', fact: 'ActionFailed' });
    expect(err.message).toContain('disk on fire');
    expect((err as DomainError).detail.code).toBe('action_failed');
    const missing = await failure(drive(clock, client.waitForActions([424242])));
    expect(missing).toMatchObject({ name: 'DomainError', code: 'NotFound' });
  });

  it('retries a scripted 503 on GET and then succeeds', async () => {
    const { client, server, clock, calls } = await setup();
    server.addFault({ route: 'GET /v1/servers', status: 503, times: 2 });
    const before = clock.now();
    expect(await drive(clock, client.listServers())).toEqual([]);
    expect(calls.map(([, s]) => s)).toEqual([503, 503, 200]);
    expect(routeCount(server, 'GET /v1/servers')).toBe(3);
    // Backoff 1 s then 2 s, equal jitter pinned at 0.5 → 750 + 1500 ms of client clock.
    expect(clock.now() - before).toBeGreaterThanOrEqual(2250);
  });

  it('gives up after 5 retries with DomainError Unavailable', async () => {
    const { client, server, clock } = await setup();
    server.addFault({ route: 'GET /v1/servers/{id}', status: 502, times: 10 });
    const err = await failure(drive(clock, client.getServer(1), 1000));
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('Unavailable');
    expect(routeCount(server, 'GET /v1/servers/{id}')).toBe(6);
  });

  it('never retries POST /servers on 409 uniqueness or 503', async () => {
    const { client, server, clock } = await setup();
    server.addFault({ route: 'POST /v1/servers', status: 409, body: { error: { code: 'uniqueness_error', message: 'server name is already used', details: { fields: [{ name: 'name' }] } } }, headers: { 'X-Correlation-Id': 'corr-409' } });
    const dup = await failure(drive(clock, client.createServer(cx23('x'))));
    expect(dup).toMatchObject({ name: 'DomainError', code: 'Conflict' });
    expect((dup as DomainError).detail.code).toBe('uniqueness_error');
    expect((dup as DomainError).detail.requestId).toBe('corr-409');
    server.addFault({ route: 'POST /v1/servers', status: 503 });
    const down = await failure(drive(clock, client.createServer(cx23('y'))));
    expect((down as DomainError).code).toBe('Unavailable');
    expect(routeCount(server, 'POST /v1/servers')).toBe(2);
    expect(envs[0]!.sim.servers.size).toBe(0);
  });

  it('waits out a 429 using RateLimit-Reset, pauses the limiter, and retries even a POST', async () => {
    const { client, server, clock } = await setup();
    const reset = String(Math.ceil((clock.now() + 3_600_000) / 1000));
    server.addFault({ route: 'POST /v1/ssh_keys', status: 429, headers: { 'RateLimit-Limit': '3600', 'RateLimit-Remaining': '0', 'RateLimit-Reset': reset } });
    const before = clock.now();
    const key = await drive(clock, client.createSshKey({ name: 'k', public_key: ED25519 }));
    expect(key.fingerprint).toBe(ED25519_MD5);
    expect(routeCount(server, 'POST /v1/ssh_keys')).toBe(2);
    // One token refills in 3600 s / 3600 = 1 s.
    expect(clock.now() - before).toBeGreaterThanOrEqual(1000);
  });

  it('paces itself from RateLimit-Remaining, and recovers from a 429 caused by another client on the same project', async () => {
    const { client, clock, server } = await setup({ rateLimit: { limit: 2, windowMs: 2000 }, client: { maxRetries: 1 } });
    await client.listSshKeys();
    await client.listSshKeys();
    // The bucket is empty and the client knows it: it waits for a refill instead of earning a 429.
    const before = clock.now();
    expect(await drive(clock, client.listSshKeys())).toEqual([]);
    expect(server.requests().byStatus['429']).toBeUndefined();
    expect(clock.now() - before).toBeGreaterThanOrEqual(1000);

    const other = new HetznerClient({ token: TOKEN, endpoint: server.baseUrl('hetzner'), clock, random: () => 0.5 });
    clock.advance(2000);
    await other.listSshKeys();
    await other.listSshKeys();
    expect(await drive(clock, client.listSshKeys())).toEqual([]);
    expect(server.requests().byStatus['429']).toBe(1);

    server.addFault({ route: 'GET /v1/ssh_keys', status: 429, times: 5 });
    const err = await failure(drive(clock, client.listSshKeys()));
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('RateLimited');
    expect((err as DomainError).retryAfterMs).toBeGreaterThan(0);
  });

  it('syncs the limiter down to RateLimit-Remaining', async () => {
    const clock = new ManualClock(T0);
    const limiter = new TokenBucket({ limit: 3600, windowMs: 3_600_000, clock });
    const { client } = await setup({ rateLimit: { limit: 10, windowMs: 3_600_000 }, client: { limiter, clock } });
    await client.listServers();
    expect(limiter.available).toBeLessThanOrEqual(9);
  });

  it('maps failures to typed errors without leaking the token', async () => {
    const { client, server, clock, sim } = await setup();
    const bad = new HetznerClient({ token: 'wrong-token-value', endpoint: server.baseUrl('hetzner'), clock });
    const auth = await failure(bad.listServers());
    expect(auth).toBeInstanceOf(DomainError);
    expect(auth).toMatchObject({ code: 'Unauthorized', scope: 'hetzner-token' });
    expect(auth.message).not.toContain('wrong-token-value');
    expect((auth as DomainError).detail.requestId).toMatch(/^[0-9a-f]{16}$/);

    const invalid = await failure(client.createServer({ ...cx23('bad name'), labels: { 'hetzner.cloud/x': 'y' } }));
    expect(invalid).toMatchObject({ name: 'DomainError', code: 'Invalid' });
    expect(invalid.message).toMatch(/name: is invalid/);
    expect(invalid.message).toMatch(/labels: label key 'hetzner\.cloud\/x' is invalid/);

    sim.setCapacity({ location: 'nbg1', serverType: 'cx23', available: false });
    expect(await failure(client.createServer(cx23('cap')))).toMatchObject({ name: 'DomainError', code: 'Unavailable', fact: 'NoCapacity' });
    sim.setCapacity({ location: 'nbg1', serverType: 'cx23', available: true });

    const c = await client.createServer(cx23('lock'));
    expect(await failure(client.serverAction(c.server.id, 'poweroff'))).toMatchObject({ name: 'DomainError', code: 'Locked' });
    await drive(clock, client.waitForActions([c.action.id, c.nextActions[0]!.id]));
    const notStopped = await failure(client.serverAction(c.server.id, 'change_type', { server_type: 'cx33', upgrade_disk: false }));
    expect(notStopped).toMatchObject({ name: 'DomainError', code: 'Locked', fact: 'NotStopped', detail: { code: 'server_not_stopped' } });
    const protect = await client.serverAction(c.server.id, 'change_protection', { delete: true, rebuild: true });
    expect(protect.status).toBe('success');
    expect(await failure(client.deleteServer(c.server.id))).toMatchObject({ name: 'DomainError', code: 'Locked', detail: { code: 'protected', status: 423 } });
    const gone = await failure(client.deleteServer(999999));
    expect(gone).toMatchObject({ name: 'DomainError', code: 'NotFound', detail: { code: 'not_found' } });
    expect((gone as DomainError).detail.requestId).toBeTruthy();

    const limited = await setup({ rateLimit: { limit: 1, windowMs: 3_600_000 }, client: { maxRetries: 0 } });
    await limited.client.listServers();
    const rl = await failure(drive(limited.clock, limited.client.listServers(), 1000));
    expect(rl).toMatchObject({ code: 'RateLimited' });
    expect(rl.message).toContain("token '<redacted>'");
    expect(rl.message).not.toContain(TOKEN.slice(0, 4));
  });

  it('finds SSH keys by the MD5 fingerprint it computes itself', async () => {
    const { client } = await setup();
    expect(fingerprintMd5(ED25519)).toBe(ED25519_MD5);
    expect(() => fingerprintMd5('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIAX8trSGQoAF/Yd08cd8O/7TYffs8WbbP4mFaqZoambS')).toThrow();
    const key = await client.createSshKey({ name: 'ops', public_key: ED25519, labels: { team: 'ops' } });
    expect((await client.listSshKeys({ fingerprint: fingerprintMd5(ED25519) })).map((k) => k.id)).toEqual([key.id]);
    expect(await client.listSshKeys({ name: 'nobody' })).toEqual([]);
    expect((await client.listSshKeys({ labelSelector: 'team=ops' })).map((k) => k.name)).toEqual(['ops']);
    expect(await failure(client.createSshKey({ name: 'ops-2', public_key: ED25519 }))).toMatchObject({ code: 'Conflict', detail: { code: 'uniqueness_error' } });
    expect((await client.updateSshKey(key.id, { name: 'ops-3' })).name).toBe('ops-3');
    await client.deleteSshKey(key.id);
    expect(await client.listSshKeys()).toEqual([]);
  });

  it('bounds each request with a wall-clock timeout', async () => {
    const { server } = await setup();
    server.addFault({ route: 'GET /v1/servers', latencyMs: 300 });
    const client = new HetznerClient({ token: TOKEN, endpoint: server.baseUrl('hetzner'), timeoutMs: 50, maxRetries: 0 });
    const err = await failure(client.listServers());
    expect(err).toMatchObject({ name: 'DomainError', code: 'Unavailable' });
    expect(err.message).toContain('request timeout');
  });

  it('retries connection failures, even for POST, since nothing reached the server', async () => {
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const clock = new ManualClock(T0);
    const statuses: number[] = [];
    const client = new HetznerClient({ token: TOKEN, endpoint: `http://127.0.0.1:${port}/v1`, clock, maxRetries: 2, random: () => 0.5, onRequest: (_op, s) => statuses.push(s) });
    const err = await failure(drive(clock, client.createServer(cx23('nowhere')), 500));
    expect(err).toMatchObject({ name: 'DomainError', code: 'Unavailable' });
    expect(err.message).toContain('ECONNREFUSED');
    expect(statuses).toEqual([0, 0, 0]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The Server port's contract: the Hetzner client driven through the domain port (HetznerServers), like the Server
// controller drives it. Always against the simulator; against the live API with LIVCHAT_LIVE_HETZNER=1 and
// HCLOUD_TOKEN (it then creates and deletes one small server and one SSH key, labelled with the run id).

/** PortTarget is one backend the port contract runs against. */
interface PortTarget {
  kind: 'sim' | 'live';
  port(opts?: { token?: string }): HetznerServers;
  /** The raw client, for cleanup only. */
  client: HetznerClient;
  /** pass lets time go by while an operation runs: the simulator's clock moves, the live API is waited for. */
  pass(ms: number): Promise<void>;
  location: string;
  serverType: string;
  bigger: string;
  image: string;
  sim?: { server: SimServer; service: HetznerSim };
  close(): Promise<void>;
}

function runServerPortContract(kind: 'sim' | 'live', makeTarget: () => Promise<PortTarget>): void {
  const run = randomBytes(3).toString('hex');
  const label = { 'livchat.ai/contract': `run-${run}` };
  let t: PortTarget;
  let port: HetznerServers;
  const keyIds: number[] = [];

  /** settleOps polls operations (at the provider's pace) until none runs; bounded in polls, never in wall time. */
  async function settleOps(ids: number[], maxPolls = 400): Promise<OperationStatus[]> {
    for (let n = 0; n < maxPolls; n++) {
      const st = await port.operations(ids);
      const running = st.filter((o) => o.state === 'running');
      if (!running.length) return st;
      for (const o of running) {
        expect(o.pollAfterMs).toBeGreaterThanOrEqual(250);
        expect(o.pollAfterMs).toBeLessThanOrEqual(10_000);
      }
      await t.pass(Math.min(...running.map((o) => o.pollAfterMs ?? 2000)));
    }
    throw new Error(`operations ${ids.join(', ')} still running after ${maxPolls} polls`);
  }

  beforeAll(async () => { t = await makeTarget(); port = t.port(); });

  afterAll(async () => {
    // Live runs must leave the project as they found it: unprotect and delete what this run created.
    for (const s of await port.list(label).catch(() => [])) {
      await port.setProtection(s.id, false).then((o) => settleOps([o.id])).catch(() => undefined);
      await port.delete(s.id).then((o) => settleOps([o.id])).catch(() => undefined);
    }
    for (const id of keyIds) await t.client.deleteSshKey(id).catch(() => undefined);
    await t?.close();
  });

  it('reads servers by exact selector, a missing server, and server types in domain terms', async () => {
    expect(await port.list(label)).toEqual([]);
    expect(await port.get(987_654_321)).toBeUndefined();
    const type = await port.serverType(t.serverType);
    expect(type).toMatchObject({ name: t.serverType, architecture: 'x86', deprecated: expect.any(Boolean) });
    expect(type!.diskGb).toBeGreaterThan(0);
    expect(type!.memoryGb).toBeGreaterThan(0);
    expect(type!.locations?.some((l) => l.name === t.location)).toBe(true);
    expect(await port.serverType(`no-such-type-${run}`)).toBeUndefined();
  });

  it('refuses a selector value that would add terms, as Invalid, before any request', async () => {
    const before = t.sim?.server.requests().total;
    for (const bad of ['a,b', 'x in (y)', '', '!x']) {
      const err = await port.list({ 'livchat.ai/instance': bad }).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'Invalid' });
    }
    if (t.sim) expect(t.sim.server.requests().total).toBe(before);
  });

  it('registers an SSH key and finds it by its exact fingerprint; a duplicate is Conflict', async () => {
    const publicKey = generateEd25519KeyPair(`lc-${run}`).publicKey;
    const key = await port.createSshKey({ name: `lc-contract-${run}`, publicKey, labels: label });
    keyIds.push(key.id);
    expect(key).toMatchObject({ name: `lc-contract-${run}`, fingerprint: fingerprintMd5(publicKey), labels: label });
    expect(await port.findSshKey(fingerprintMd5(publicKey))).toEqual(key);
    expect(await port.findSshKey(fingerprintMd5(generateEd25519KeyPair('other').publicKey))).toBeUndefined();
    const dup = await port.createSshKey({ name: `lc-contract-${run}-2`, publicKey, labels: label }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(DomainError);
    expect(dup).toMatchObject({ code: 'Conflict' });
  });

  it('runs a server through its life: create, labels, power, resize keeping the disk, protection, delete', async () => {
    const keyId = keyIds[0] ?? (await port.createSshKey({ name: `lc-contract-${run}-s`, publicKey: generateEd25519KeyPair('s').publicKey, labels: label })).id;
    if (!keyIds.includes(keyId)) keyIds.push(keyId);
    const name = `lc-contract-${run}`;
    const created = await port.create({ name, serverType: t.serverType, image: t.image, location: t.location, sshKeyIds: [keyId], labels: label, userData: '#cloud-config\n{}\n' });
    expect(created.server).toMatchObject({ name, serverType: t.serverType, location: t.location, labels: label, architecture: 'x86' });
    expect(created.operations.length).toBeGreaterThanOrEqual(1);
    expect((await settleOps(created.operations.map((o) => o.id))).map((o) => o.state)).toEqual(created.operations.map(() => 'success'));
    const id = created.server.id;
    const running = (await port.get(id))!;
    expect(running).toMatchObject({ id, status: 'running', image: t.image, protection: { delete: false, rebuild: false } });
    expect(running.ipv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(running.ipv6).toMatch(/::1$/);
    // Exact selectors: the run's label finds it, a prefix of the value does not.
    expect((await port.list(label)).map((s) => s.id)).toEqual([id]);
    expect(await port.list({ 'livchat.ai/contract': `run-${run.slice(0, 4)}` })).toEqual([]);

    const relabelled = await port.setLabels(id, { ...label, role: 'contract' });
    expect(relabelled.labels).toEqual({ ...label, role: 'contract' });

    // A type change needs the server off: the port says so with a fact, not a string.
    const notOff = await port.resize(id, t.bigger, { keepDisk: true }).catch((e: unknown) => e);
    expect(notOff).toBeInstanceOf(DomainError);
    expect(notOff).toMatchObject({ code: 'Locked', fact: 'NotStopped' });

    expect((await settleOps([(await port.shutdown(id)).id]))[0]!.state).toBe('success');
    await settleOps([(await port.powerOff(id)).id]);
    expect((await port.get(id))!.status).toBe('off');
    await settleOps([(await port.resize(id, t.bigger, { keepDisk: true })).id]);
    const resized = (await port.get(id))!;
    expect(resized).toMatchObject({ serverType: t.bigger, status: 'off', diskGb: running.diskGb });
    await settleOps([(await port.powerOn(id)).id]);
    expect((await port.get(id))!.status).toBe('running');

    await settleOps([(await port.setProtection(id, true)).id]);
    expect((await port.get(id))!.protection).toEqual({ delete: true, rebuild: true });
    const protectedDelete = await port.delete(id).catch((e: unknown) => e);
    expect(protectedDelete).toMatchObject({ name: 'DomainError', code: 'Locked' });
    await settleOps([(await port.setProtection(id, false)).id]);
    await settleOps([(await port.delete(id)).id]);
    expect(await port.get(id)).toBeUndefined();
    expect(await port.list(label)).toEqual([]);
  }, 900_000);

  it('maps a bad token to Unauthorized scoped to the token, without leaking it', async () => {
    const secret = `bad-${randomBytes(12).toString('hex')}`;
    const err = await t.port({ token: secret }).list(label).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'Unauthorized', scope: 'hetzner-token' });
    expect(`${String(err)} ${(err as Error).stack} ${JSON.stringify(err)}`).not.toContain(secret);
  });

  describe.skipIf(kind !== 'sim')('simulator-only checks', () => {
    it('reads up to 25 operations per request; ids the API does not know are absent', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 15; i++) {
        const c = await port.create({ name: `ops-${run}-${i}`, serverType: t.serverType, image: t.image, location: t.location, sshKeyIds: [], labels: label, userData: '' });
        ids.push(...c.operations.map((o) => o.id));
      }
      expect(ids).toHaveLength(30);
      t.sim!.server.resetCounters();
      expect((await port.operations(ids.slice(0, 25))).map((o) => o.id)).toEqual(ids.slice(0, 25));
      expect(t.sim!.server.requests().byRoute['GET /v1/actions']).toBe(1);
      expect((await port.operations([...ids, 999_999])).map((o) => o.id)).toEqual(ids);
      expect(t.sim!.server.requests().byRoute['GET /v1/actions']).toBe(3);
      expect(await port.operations([])).toEqual([]);
      expect(t.sim!.server.requests().byRoute['GET /v1/actions']).toBe(3);
      await settleOps(ids);
    });

    it('reports a failed operation as error with a DomainError of fact ActionFailed', async () => {
      t.sim!.service.failNext('create_server', 'disk on fire');
      const c = await port.create({ name: `doomed-${run}`, serverType: t.serverType, image: t.image, location: t.location, sshKeyIds: [], labels: label, userData: '' });
      const [create] = await settleOps(c.operations.map((o) => o.id));
      expect(create).toMatchObject({ state: 'error' });
      expect(create!.error).toBeInstanceOf(DomainError);
      expect(create!.error).toMatchObject({ code: 'Unavailable', fact: 'ActionFailed' });
      expect(create!.error!.message).toContain('disk on fire');
    });

    it('maps a sold-out type to Unavailable with fact NoCapacity, and the legacy datacenter location', async () => {
      t.sim!.service.setCapacity({ location: t.location, serverType: t.serverType, available: false });
      const err = await port.create({ name: `cap-${run}`, serverType: t.serverType, image: t.image, location: t.location, sshKeyIds: [], labels: {}, userData: '' }).catch((e: unknown) => e);
      t.sim!.service.setCapacity({ location: t.location, serverType: t.serverType, available: true });
      expect(err).toMatchObject({ name: 'DomainError', code: 'Unavailable', fact: 'NoCapacity' });
      const wire = (await t.client.listServers())[0]!;
      const { location, ...legacy } = wire;
      expect(toServerInfo({ ...legacy, datacenter: { id: 1, name: 'fsn1-dc14', location: { ...location!, name: 'fsn1' } } }).location).toBe('fsn1');
    });
  });
}

async function simPortTarget(): Promise<PortTarget> {
  const env = await setup();
  const make = (token = TOKEN) => new HetznerClient({ token, endpoint: env.server.baseUrl('hetzner'), clock: env.clock, random: () => 0.5 });
  return {
    kind: 'sim', client: env.client, location: 'nbg1', serverType: 'cx23', bigger: 'cx33', image: 'ubuntu-24.04',
    sim: { server: env.server, service: env.sim },
    port: (opts = {}) => new HetznerServers(make(opts.token), { clock: env.clock }),
    pass: async (ms) => { env.clock.advance(ms); },
    // The per-test afterEach closes the server; the suite's own one outlives it.
    close: async () => { await env.server.close().catch(() => undefined); },
  };
}

describe('Server port contract: simulator', () => {
  // This describe's target outlives the afterEach cleanup of the client tests above.
  runServerPortContract('sim', async () => {
    const t = await simPortTarget();
    envs.splice(envs.findIndex((e) => e.server === t.sim!.server), 1);
    return t;
  });
});

describe.skipIf(!LIVE_HETZNER)('Server port contract: live Hetzner API', () => {
  runServerPortContract('live', async () => {
    const make = (token = process.env.HCLOUD_TOKEN!) => new HetznerClient({ token });
    return {
      kind: 'live', client: make(), location: 'nbg1', serverType: 'cx23', bigger: 'cx33', image: 'ubuntu-24.04',
      port: (opts = {}) => new HetznerServers(make(opts.token)),
      pass: (ms) => realClock.sleep(ms),
      close: async () => undefined,
    };
  });
});
