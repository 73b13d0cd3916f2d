// Hetzner simulator behaviour over real loopback HTTP: lifecycle, locking, validation, listing, control verbs, limits, state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createHetznerSim, type HetznerSim } from '../../src/sim/hetzner.js';

const TOKEN = 'sim-token-0123456789';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
// Generated once with ssh-keygen; fingerprints from `ssh-keygen -l -E md5`.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAX8trSGQoAF/Yd08cd8O/7TYffs8WbbP4mFaqZoambS test@sim';
const ED25519_MD5 = '38:d4:83:f1:64:d2:42:65:17:4a:c9:48:28:3e:17:44';
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCVNl+f8wVyCnIBeBQtGH7w4NG6kDN7J8Xj9b1afUcAuDk4H80/OYlTbQQVibCHCIDQuMQCcgMYDabHTuC+mcHtzOq/lO1ocq5kxP3ilJYgSfI4CHpuCjzPlmmcikowN2S4wswwQi11Ag1MAKs8cgt3qpz1HTp180MAX7jrPVbqbFD0Gq2CMhq+1RDOPbOqBPmDMLcURDk7nTEHVgZVmmOkLmCtW4aLWffHFQOBvrwBJNiIWXEQNOJMtOXvkxfKJ448sqXxUG7UomTFEJd2C22T4Ye5Nb8zhuxIeABgisdKLxFQjPXv1zVaQUd4QPFnWGGsszk8fBrJXf7pJWqW2aVp rsa@sim';
const RSA_MD5 = '7b:7d:95:b2:88:c1:c4:27:6b:7b:28:a8:4a:72:00:cc';

interface Reply { status: number; body: any; headers: Headers }

let clock: SimClock;
let sim: HetznerSim;
let server: SimServer;
let base: string;

async function start(opts: { rateLimit?: { limit: number; windowMs: number } } = {}): Promise<void> {
  clock = new SimClock(() => T0);
  sim = createHetznerSim({ clock, actionDurationMs: 2000, ...opts });
  server = new SimServer({ services: [sim], token: TOKEN, clock });
  await server.listen();
  base = server.baseUrl('hetzner');
}

async function api(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function control(method: string, verb: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${server.url}/_sim/hetzner/${verb}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function createServer(name: string, extra: Record<string, unknown> = {}): Promise<Reply> {
  return api('POST', '/servers', { name, server_type: 'cx23', image: 'ubuntu-24.04', location: 'fsn1', ...extra });
}

/** createRunning creates a server and lets both create_server and start_server finish. */
async function createRunning(name: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await createServer(name, extra);
  expect(r.status).toBe(201);
  clock.advance(4000);
  return r.body.server.id as number;
}

async function status(id: number): Promise<string> {
  return (await api('GET', `/servers/${id}`)).body.server.status;
}

describe('hetzner simulator', () => {
  beforeEach(async () => { await start(); });
  afterEach(async () => { await server.close(); });

  it('creates a server whose status follows its actions on the sim clock', async () => {
    const key = await api('POST', '/ssh_keys', { name: 'admin', public_key: ED25519 });
    const r = await createServer('web-1', { ssh_keys: ['admin'], labels: { role: 'web' } });
    expect(r.status).toBe(201);
    const { server: s, action, next_actions, root_password } = r.body;
    expect(s.status).toBe('initializing');
    expect(s.public_net.ipv4.ip).toMatch(/^203\.0\.113\.\d+$/);
    expect(s.public_net.ipv6.ip).toMatch(/^2001:db8:[0-9a-f]+:[0-9a-f]+::\/64$/);
    expect(s.location.name).toBe('fsn1');
    // `datacenter` was removed from the API on 2026-07-01.
    expect(s.datacenter).toBeUndefined();
    expect(s.locked).toBe(true);
    expect(root_password).toBeNull();
    expect(action).toMatchObject({ command: 'create_server', status: 'running', progress: 0, finished: null, error: null });
    expect(next_actions).toHaveLength(1);
    expect(next_actions[0]).toMatchObject({ command: 'start_server', status: 'running' });
    expect(sim.servers.get(s.id)!.sshKeys).toEqual([key.body.ssh_key.id]);

    clock.advance(1000);
    expect((await api('GET', `/actions/${action.id}`)).body.action.progress).toBe(50);
    expect(await status(s.id)).toBe('initializing');
    clock.advance(1000);
    const done = (await api('GET', `/servers/${s.id}/actions/${action.id}`)).body.action;
    expect(done).toMatchObject({ status: 'success', progress: 100 });
    expect(done.finished).toMatch(/\+00:00$/);
    expect(await status(s.id)).toBe('starting');
    clock.advance(2000);
    expect(await status(s.id)).toBe('running');
    expect((await api('GET', `/servers/${s.id}`)).body.server.locked).toBe(false);

    const noKey = await createServer('web-2');
    expect(typeof noKey.body.root_password).toBe('string');
    const noStart = await createServer('web-3', { start_after_create: false });
    expect(noStart.body.next_actions).toEqual([]);
    clock.advance(2000);
    expect(await status(noStart.body.server.id)).toBe('off');
  });

  it('runs power, type change, rebuild and delete through their intermediate states', async () => {
    const id = await createRunning('app-1');
    const off = await api('POST', `/servers/${id}/actions/poweroff`);
    expect(off.status).toBe(201);
    expect(off.body.action.command).toBe('stop_server');
    expect(await status(id)).toBe('stopping');
    clock.advance(2000);
    expect(await status(id)).toBe('off');

    const tooBig = await api('POST', `/servers/${id}/actions/change_type`, { server_type: 'cax11', upgrade_disk: false });
    // A different architecture is the API's invalid_server_type (it was invalid_input before).
    expect(tooBig.body.error.code).toBe('invalid_server_type');
    const resize = await api('POST', `/servers/${id}/actions/change_type`, { server_type: 'cx33', upgrade_disk: true });
    expect(resize.status).toBe(201);
    expect(await status(id)).toBe('migrating');
    clock.advance(2000);
    const resized = (await api('GET', `/servers/${id}`)).body.server;
    expect(resized).toMatchObject({ status: 'off', primary_disk_size: 80 });
    expect(resized.server_type.name).toBe('cx33');

    await api('POST', `/servers/${id}/actions/poweron`);
    expect(await status(id)).toBe('starting');
    clock.advance(2000);
    expect(await status(id)).toBe('running');
    const notStopped = await api('POST', `/servers/${id}/actions/change_type`, { server_type: 'cx43', upgrade_disk: false });
    expect(notStopped.status).toBe(412);
    expect(notStopped.body.error.code).toBe('server_not_stopped');

    const rebuild = await api('POST', `/servers/${id}/actions/rebuild`, { image: 'debian-12' });
    expect(rebuild.status).toBe(201);
    expect(rebuild.body.action.command).toBe('rebuild_server');
    expect(await status(id)).toBe('rebuilding');
    clock.advance(2000);
    const rebuilt = (await api('GET', `/servers/${id}`)).body.server;
    expect(rebuilt.status).toBe('running');
    expect(rebuilt.image.name).toBe('debian-12');

    for (const verb of ['reboot', 'shutdown']) {
      expect((await api('POST', `/servers/${id}/actions/${verb}`)).status).toBe(201);
      clock.advance(2000);
    }
    expect(await status(id)).toBe('off');

    const del = await api('DELETE', `/servers/${id}`);
    expect(del.status).toBe(200);
    expect(del.body.action.command).toBe('delete_server');
    expect(await status(id)).toBe('deleting');
    clock.advance(2000);
    const gone = await api('GET', `/servers/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('not_found');
    expect((await api('GET', `/actions/${del.body.action.id}`)).body.action.status).toBe('success');
  });

  it('answers 423 locked while another action on the server runs', async () => {
    const r = await createServer('busy-1');
    const id = r.body.server.id;
    for (const [method, path] of [['POST', `/servers/${id}/actions/poweroff`], ['DELETE', `/servers/${id}`]] as const) {
      const locked = await api(method, path);
      expect(locked.status).toBe(423);
      expect(locked.body.error.code).toBe('locked');
    }
    clock.advance(4000);
    expect((await api('POST', `/servers/${id}/actions/poweroff`)).status).toBe(201);
  });

  it('fails injected actions, and the actions queued behind them', async () => {
    expect((await control('POST', 'fail-action', { command: 'create_server', message: 'host exploded' })).status).toBe(200);
    const r = await createServer('doomed');
    clock.advance(2000);
    const [create, start] = (await api('GET', `/actions?id=${r.body.action.id}&id=${r.body.next_actions[0].id}`)).body.actions;
    expect(create).toMatchObject({ status: 'error', error: { code: 'action_failed', message: 'host exploded' } });
    expect(start).toMatchObject({ status: 'error', error: { code: 'action_failed' } });
    expect(await status(r.body.server.id)).toBe('off');

    const id = await createRunning('later');
    const off = await api('POST', `/servers/${id}/actions/poweroff`);
    expect((await control('POST', 'fail-action', { actionId: off.body.action.id })).status).toBe(200);
    clock.advance(2000);
    expect((await api('GET', `/actions/${off.body.action.id}`)).body.action.status).toBe('error');
    expect(await status(id)).toBe('running');
  });

  it('enforces unique server names on create and rename', async () => {
    await createServer('dup');
    const again = await createServer('dup');
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'uniqueness_error', message: 'server name is already used' });
    const other = await createServer('other');
    const rename = await api('PUT', `/servers/${other.body.server.id}`, { name: 'dup' });
    expect(rename.status).toBe(409);
    expect(rename.body.error.details.fields[0].name).toBe('name');
  });

  it('validates create input with field details', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ name: 'bad_name!' }, 'name', "invalid input in field 'name'"],
      [{ image: 'windows-95' }, 'image', 'image not found'],
      [{ server_type: 'cx9000' }, 'server_type', 'server type not found'],
      [{ location: 'ash' }, 'server_type', 'unsupported location for server type'],
      [{ location: 'mars1' }, 'location', 'location not found'],
      [{ labels: [] }, 'labels', "invalid input in field 'labels'"],
      [{ labels: { 'hetzner.cloud/owner': 'me' } }, 'labels', "invalid input in field 'labels'"],
      [{ labels: { env: '-bad-' } }, 'labels', "invalid input in field 'labels'"],
      [{ ssh_keys: ['nobody'] }, 'ssh_keys', "SSH key 'nobody' not found"],
    ];
    for (const [override, field, message] of cases) {
      const r = await createServer('valid-name', override);
      expect(r.status, JSON.stringify(override)).toBe(400);
      expect(r.body.error.code).toBe('invalid_input');
      expect(r.body.error.message).toBe(message);
      expect(r.body.error.details.fields[0].name).toBe(field);
    }
    const arm = await createServer('arm-1', { server_type: 'cax11' });
    expect(arm.body.server.image.architecture).toBe('arm');
    const malformed = await fetch(`${base}/servers`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{nope' });
    expect(((await malformed.json()) as any).error.code).toBe('json_error');
  });

  it('replaces labels as a whole on PUT', async () => {
    const r = await createServer('lab', { labels: { a: '1', b: '2' } });
    const put = await api('PUT', `/servers/${r.body.server.id}`, { labels: { c: '3' } });
    expect(put.status).toBe(200);
    expect(put.body.server.labels).toEqual({ c: '3' });
  });

  it('supports the full label selector grammar', async () => {
    await createServer('s1', { labels: { env: 'prod', team: 'a' } });
    await createServer('s2', { labels: { env: 'staging', team: 'b' } });
    await createServer('s3', { labels: { env: 'dev' } });
    await createServer('s4', { labels: { 'example.com/tier': 'gold' } });
    const names = async (sel: string) => (await api('GET', `/servers?label_selector=${encodeURIComponent(sel)}`)).body.servers.map((s: any) => s.name);
    expect(await names('env=prod')).toEqual(['s1']);
    expect(await names('env==prod')).toEqual(['s1']);
    expect(await names('env!=prod')).toEqual(['s2', 's3', 's4']);
    expect(await names('team')).toEqual(['s1', 's2']);
    expect(await names('!team')).toEqual(['s3', 's4']);
    expect(await names('env in (prod,staging)')).toEqual(['s1', 's2']);
    expect(await names('env notin (prod, staging)')).toEqual(['s3', 's4']);
    expect(await names('env in (prod,staging),team=b')).toEqual(['s2']);
    expect(await names('example.com/tier=gold')).toEqual(['s4']);
    const bad = await api('GET', `/servers?label_selector=${encodeURIComponent('env in prod')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
  });

  it('paginates lists with meta.pagination and a Link header', async () => {
    for (let i = 0; i < 60; i++) await createServer(`p-${String(i).padStart(2, '0')}`, { start_after_create: false });
    const first = await api('GET', '/servers');
    expect(first.body.servers).toHaveLength(25);
    expect(first.body.meta.pagination).toEqual({ page: 1, per_page: 25, previous_page: null, next_page: 2, last_page: 3, total_entries: 60 });
    expect(first.headers.get('link')).toContain('rel="next"');
    expect(first.headers.get('link')).toContain('rel="last"');
    const capped = await api('GET', '/servers?per_page=100&page=2');
    expect(capped.body.servers).toHaveLength(10);
    expect(capped.body.meta.pagination).toMatchObject({ page: 2, per_page: 50, previous_page: 1, next_page: null, last_page: 2 });
    expect(capped.headers.get('link')).toContain('rel="prev"');
    expect(capped.headers.get('link')).not.toContain('rel="next"');
    const named = await api('GET', '/servers?name=p-07');
    expect(named.body.servers.map((s: any) => s.name)).toEqual(['p-07']);
    expect((await api('GET', '/servers?name=p-7')).body.servers).toEqual([]);
    const sorted = await api('GET', '/servers?sort=name:desc&per_page=2');
    expect(sorted.body.servers.map((s: any) => s.name)).toEqual(['p-59', 'p-58']);
    expect((await api('GET', '/servers?status=initializing&per_page=1')).body.meta.pagination.total_entries).toBe(60);
    expect((await api('GET', '/servers?sort=size')).status).toBe(400);
  });

  it('requires an id for GET /actions', async () => {
    const r = await api('GET', '/actions');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    const created = await createServer('acts');
    const ids = [created.body.action.id, created.body.next_actions[0].id];
    const list = await api('GET', `/actions?id=${ids[0]}&id=${ids[1]}&id=999`);
    expect(list.body.actions.map((a: any) => a.id)).toEqual(ids);
  });

  it('hands out loopback addresses through next-address and lists their ssh endpoints', async () => {
    expect((await control('POST', 'next-address', { ipv4: '10.0.0.1', sshPort: 2222 })).status).toBe(400);
    expect((await control('POST', 'next-address', { ipv4: '127.0.0.1', sshPort: 2222 })).status).toBe(200);
    const a = await createServer('ssh-a');
    const b = await createServer('ssh-b');
    expect(a.body.server.public_net.ipv4.ip).toBe('127.0.0.1');
    expect(b.body.server.public_net.ipv4.ip).toMatch(/^203\.0\.113\./);
    const eps = await control('GET', 'ssh-endpoints');
    expect(eps.body).toEqual({ [String(a.body.server.id)]: { host: '127.0.0.1', port: 2222 } });
  });

  it('never hands out an IPv4 address a live server holds', async () => {
    const ips = new Set<string>();
    for (let i = 0; i < 5; i++) ips.add((await createServer(`ip-${i}`)).body.server.public_net.ipv4.ip);
    expect(ips.size).toBe(5);
  });

  it('fails creates with 412 when capacity is switched off', async () => {
    expect((await control('POST', 'capacity', { location: 'fsn1', serverType: 'cx23', available: false })).status).toBe(200);
    const r = await createServer('cap-1');
    expect(r.status).toBe(412);
    expect(r.body.error).toEqual({ code: 'resource_unavailable', message: 'error during placement', details: null });
    expect((await createServer('cap-2', { location: 'nbg1' })).status).toBe(201);
    await control('POST', 'capacity', { location: 'fsn1', serverType: 'cx23', available: true });
    expect((await createServer('cap-3')).status).toBe(201);
    expect((await control('POST', 'capacity', { location: 'moon', available: false })).status).toBe(400);
  });

  it('refuses delete and rebuild on a protected server', async () => {
    const id = await createRunning('prot');
    const uneven = await api('POST', `/servers/${id}/actions/change_protection`, { delete: true });
    expect(uneven.status).toBe(400);
    const protect = await api('POST', `/servers/${id}/actions/change_protection`, { delete: true, rebuild: true });
    expect(protect.status).toBe(201);
    expect(protect.body.action).toMatchObject({ command: 'change_protection', status: 'success', progress: 100 });
    const del = await api('DELETE', `/servers/${id}`);
    expect(del.status).toBe(423);
    expect(del.body.error.code).toBe('protected');
    expect((await api('POST', `/servers/${id}/actions/rebuild`, { image: 'debian-12' })).body.error.code).toBe('protected');
    expect((await api('GET', `/servers/${id}`)).body.server.protection).toEqual({ delete: true, rebuild: true });
    await api('POST', `/servers/${id}/actions/change_protection`, { delete: false, rebuild: false });
    expect((await api('DELETE', `/servers/${id}`)).status).toBe(200);
  });

  it('keeps SSH keys unique by name and by MD5 fingerprint', async () => {
    const created = await api('POST', '/ssh_keys', { name: 'k1', public_key: ED25519, labels: { owner: 'ops' } });
    expect(created.status).toBe(201);
    expect(created.body.ssh_key.fingerprint).toBe(ED25519_MD5);
    const sameKey = await api('POST', '/ssh_keys', { name: 'k2', public_key: ED25519 });
    expect(sameKey.status).toBe(409);
    expect(sameKey.body.error).toMatchObject({ code: 'uniqueness_error', message: 'SSH key with the same fingerprint already exists' });
    expect(sameKey.body.error.details.fields[0].name).toBe('public_key');
    const sameName = await api('POST', '/ssh_keys', { name: 'k1', public_key: RSA });
    expect(sameName.body.error).toMatchObject({ code: 'uniqueness_error', message: 'SSH key name is already used' });
    const rsa = await api('POST', '/ssh_keys', { name: 'k-rsa', public_key: RSA });
    expect(rsa.body.ssh_key.fingerprint).toBe(RSA_MD5);
    const broken = await api('POST', '/ssh_keys', { name: 'bad', public_key: 'ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB' });
    expect(broken.body.error.details.fields[0].name).toBe('public_key');

    const byFp = await api('GET', `/ssh_keys?fingerprint=${RSA_MD5}`);
    expect(byFp.body.ssh_keys.map((k: any) => k.name)).toEqual(['k-rsa']);
    expect((await api('GET', '/ssh_keys?label_selector=owner=ops')).body.ssh_keys.map((k: any) => k.name)).toEqual(['k1']);
    const id = created.body.ssh_key.id;
    expect((await api('PUT', `/ssh_keys/${id}`, { labels: { x: 'y' } })).body.ssh_key.labels).toEqual({ x: 'y' });
    const del = await api('DELETE', `/ssh_keys/${id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    expect((await api('GET', `/ssh_keys/${id}`)).status).toBe(404);
  });

  it('answers 401 unauthorized without a valid token and tags replies with a correlation id', async () => {
    for (const token of [null, 'wrong']) {
      const r = await api('GET', '/servers', undefined, token);
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({ code: 'unauthorized', message: 'unable to authenticate' });
      expect(r.headers.get('x-correlation-id')).toMatch(/^[0-9a-f]{16}$/);
    }
    const ok = await api('GET', '/locations?name=hel1');
    expect(ok.body.locations[0].network_zone).toBe('eu-central');
    expect(ok.headers.get('x-correlation-id')).toMatch(/^[0-9a-f]{16}$/);
    expect((await api('GET', '/nope')).body.error.code).toBe('not_found');
  });

  it('round-trips all state, counters included, through snapshot and restore', async () => {
    await api('POST', '/ssh_keys', { name: 'k', public_key: ED25519 });
    const r = await createServer('snap', { ssh_keys: ['k'] });
    clock.advance(1000);
    const snap = JSON.parse(JSON.stringify(sim.snapshot()));

    const clock2 = new SimClock(() => T0 + 1000);
    const copy = createHetznerSim({ clock: clock2, actionDurationMs: 2000 });
    copy.restore(snap);
    expect(copy.snapshot()).toEqual(snap);
    expect([...copy.servers.values()].map((s) => s.name)).toEqual(['snap']);
    clock2.advance(3000);
    copy.settle();
    expect(copy.servers.get(r.body.server.id)!.status).toBe('running');

    sim.reset();
    expect(sim.servers.size).toBe(0);
    sim.restore(snap);
    const next = await createServer('after-restore');
    expect(next.body.server.id).toBe(r.body.server.id + 1);
    expect(next.body.action.id).toBe(r.body.next_actions[0].id + 1);
  });
});

describe('hetzner simulator fidelity', () => {
  beforeEach(async () => { await start(); });
  afterEach(async () => { await server.close(); });

  it('treats shutdown as an ACPI request: the action succeeds, the guest powers off later or never', async () => {
    const slow = await createRunning('acpi-slow');
    expect((await control('POST', 'acpi', { serverId: slow, delayMs: 5000 })).status).toBe(200);
    const sd = await api('POST', `/servers/${slow}/actions/shutdown`);
    expect(sd.body.action.command).toBe('shutdown_server');
    clock.advance(2000);
    expect((await api('GET', `/actions/${sd.body.action.id}`)).body.action.status).toBe('success');
    expect(await status(slow)).toBe('running');
    const early = await api('POST', `/servers/${slow}/actions/change_type`, { server_type: 'cx33', upgrade_disk: false });
    expect(early.body.error.code).toBe('server_not_stopped');
    clock.advance(5000);
    expect(await status(slow)).toBe('off');

    const deaf = await createRunning('acpi-deaf');
    expect((await control('POST', 'acpi', { serverId: deaf, ignore: true })).status).toBe(200);
    await api('POST', `/servers/${deaf}/actions/shutdown`);
    clock.advance(60_000);
    expect(await status(deaf)).toBe('running');
    await api('POST', `/servers/${deaf}/actions/poweroff`);
    clock.advance(2000);
    expect(await status(deaf)).toBe('off');
    expect((await control('POST', 'acpi', { serverId: 999, ignore: true })).status).toBe(404);
    expect((await control('POST', 'acpi', { delayMs: -1 })).status).toBe(400);
  });

  it('has no datacenter: create with one is invalid input, /datacenters is gone (410)', async () => {
    const r = await createServer('dc-1', { datacenter: 'fsn1-dc14', location: 'nbg1' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(r.body.error.details.fields[0].name).toBe('datacenter');
    expect((await createServer('dc-2', { location: 'fsn1-dc14' })).body.error.message).toBe('location not found');
    for (const path of ['/datacenters', '/datacenters/4']) {
      const gone = await api('GET', path);
      expect(gone.status).toBe(410);
      expect(gone.body.error.code).toBe('deprecated_api_endpoint');
    }
  });

  it('never shrinks a disk and answers invalid_server_type like the API', async () => {
    const id = await createRunning('disk-1', { server_type: 'cx33' });
    await api('POST', `/servers/${id}/actions/poweroff`);
    clock.advance(2000);
    for (const upgrade_disk of [true, false]) {
      const shrink = await api('POST', `/servers/${id}/actions/change_type`, { server_type: 'cx23', upgrade_disk });
      expect(shrink.status).toBe(400);
      expect(shrink.body.error.code).toBe('invalid_server_type');
      expect(shrink.body.error.message).toMatch(/disk/);
    }
    // Growing the CPU but keeping the disk, then going back down to a type with that disk, is allowed.
    const keep = await api('POST', `/servers/${id}/actions/change_type`, { server_type: 'cx43', upgrade_disk: false });
    expect(keep.status).toBe(201);
    clock.advance(2000);
    expect((await api('POST', `/servers/${id}/actions/change_type`, { server_type: 'cx33', upgrade_disk: false })).status).toBe(201);
  });

  it('checks the architecture of an image chosen by id', async () => {
    const armUbuntu = 161547269 + 1000;
    const r = await createServer('arch-1', { image: armUbuntu });
    expect(r.status).toBe(400);
    expect(r.body.error.details.fields[0].name).toBe('image');
    expect((await createServer('arch-2', { image: armUbuntu, server_type: 'cax11' })).status).toBe(201);
    const id = await createRunning('arch-3');
    expect((await api('POST', `/servers/${id}/actions/rebuild`, { image: armUbuntu })).body.error.details.fields[0].name).toBe('image');
  });

  it('refuses create fields it does not model instead of ignoring them', async () => {
    for (const [f, v] of [['networks', [1]], ['firewalls', [{ firewall: 38 }]], ['volumes', [7]], ['placement_group', 3]] as const) {
      const r = await createServer(`unsup-${f.replace('_', '-')}`, { [f]: v });
      expect(r.status, f).toBe(501);
      expect(r.body.error.code).toBe('not_implemented');
      expect(r.body.error.message).toContain(`'${f}'`);
    }
    expect((await createServer('unsup-empty', { networks: [], firewalls: [], volumes: [], placement_group: null })).status).toBe(201);
    expect(sim.servers.size).toBe(1);
  });

  it('reports per-location availability of server types', async () => {
    const avail = async () => (await api('GET', '/server_types?name=cx23')).body.server_types[0].locations.map((l: any) => [l.name, l.available]);
    expect(await avail()).toEqual([['fsn1', true], ['nbg1', true], ['hel1', true]]);
    await control('POST', 'capacity', { location: 'nbg1', serverType: 'cx23', available: false });
    expect(await avail()).toEqual([['fsn1', true], ['nbg1', false], ['hel1', true]]);
    expect((await createServer('avail-1', { location: 'nbg1' })).body.error.code).toBe('resource_unavailable');
    const byId = await api('GET', '/server_types/104');
    expect(byId.body.server_type.locations.find((l: any) => l.name === 'nbg1').available).toBe(false);
  });
});

describe('hetzner simulator rate limit', () => {
  beforeEach(async () => { await start({ rateLimit: { limit: 3, windowMs: 3000 } }); });
  afterEach(async () => { await server.close(); });

  it('sends RateLimit headers on every reply and 429 when the bucket is empty', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api('GET', '/servers');
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit-limit')).toBe('3');
      remaining.push(r.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await api('GET', '/servers');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBe(Math.ceil((T0 + 3000) / 1000));
    expect(limited.headers.get('x-correlation-id')).toBeTruthy();
    clock.advance(1000);
    expect((await api('GET', '/servers')).status).toBe(200);
  });
});
