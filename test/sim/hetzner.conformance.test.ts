// Checks every response shape the Hetzner simulator produces against the official OpenAPI spec (and, opt-in, the live API).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createHetznerSim } from '../../src/sim/hetzner.js';
import { ResponseValidator } from '../helpers/openapi.js';

const TOKEN = 'conformance-token';
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAX8trSGQoAF/Yd08cd8O/7TYffs8WbbP4mFaqZoambS test@sim';
const LIVE = process.env.LIVCHAT_LIVE_HETZNER === '1' && Boolean(process.env.HCLOUD_TOKEN);

const validator = new ResponseValidator();

interface Target { base: string; token: string }

/** call performs a request and asserts its reply matches the spec for that route, method and status. */
async function call(t: Target, method: string, path: string, expectStatus: number, body?: unknown): Promise<any> {
  const headers: Record<string, string> = { authorization: `Bearer ${t.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(t.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(expectStatus);
  const v = validator.validate(method, path, res.status, json);
  expect(v.errors, `${method} ${path} → ${res.status} against ${v.template}`).toEqual([]);
  expect(res.headers.get('x-correlation-id'), `${method} ${path} correlation id`).toBeTruthy();
  return json;
}

/** readOnly checks listing and error shapes; it is safe against a real project. */
function readOnly(target: () => Target): void {
  it('lists servers, ssh keys and the catalog in spec shape', async () => {
    const t = target();
    for (const path of ['/servers?per_page=5', '/ssh_keys?per_page=5', '/locations', '/server_types', '/images?type=system&per_page=5']) {
      const body = await call(t, 'GET', path, 200);
      expect(body.meta.pagination.page).toBe(1);
    }
  });

  it('returns the error envelope for a missing action id, an unknown server and a bad token', async () => {
    const t = target();
    expect((await call(t, 'GET', '/actions', 400)).error.code).toBe('invalid_input');
    expect((await call(t, 'GET', '/servers/999999999', 404)).error.code).toBe('not_found');
    expect((await call({ ...t, token: 'not-a-valid-token' }, 'GET', '/servers', 401)).error.code).toBe('unauthorized');
  });
}

describe('openapi helper', () => {
  it('relaxes only the removed datacenter requirement of server objects', () => {
    const schema = validator.schemaFor('GET', '/servers/{id}', 200) as any;
    expect(schema.properties.server.required).not.toContain('datacenter');
    expect(schema.properties.server.required).toContain('server_type');
  });

  it('maps nullable fields and rejects wrong shapes', () => {
    const action = { id: 1, command: 'x', status: 'running', progress: 0, started: 's', finished: null, resources: [], error: null };
    expect(validator.validate('GET', '/actions/1', 200, { action }).ok).toBe(true);
    expect(validator.validate('GET', '/actions/1', 200, { action: { ...action, finished: 5 } }).ok).toBe(false);
    expect(validator.validate('GET', '/actions/1', 200, { action: { ...action, status: 'queued' } }).ok).toBe(false);
    expect(validator.validate('GET', '/servers/1/actions/2', 200, { action }).template).toBe('/servers/{id}/actions/{action_id}');
    expect(validator.validate('GET', '/actions', 400, { error: { code: 'x', message: 'y', details: null } }).ok).toBe(true);
    expect(validator.validate('GET', '/actions', 400, { message: 'no envelope' }).ok).toBe(false);
  });
});

describe('hetzner simulator conformance', () => {
  const clock = new SimClock(() => Date.UTC(2026, 2, 1));
  const sim = createHetznerSim({ clock, rateLimit: { limit: 1000, windowMs: 3_600_000 } });
  const server = new SimServer({ services: [sim], token: TOKEN, clock });
  let t: Target;
  beforeAll(async () => { await server.listen(); t = { base: server.baseUrl('hetzner'), token: TOKEN }; });
  afterAll(async () => { await server.close(); });

  readOnly(() => t);

  it('server create, get, list, update and delete match the spec', async () => {
    const key = (await call(t, 'POST', '/ssh_keys', 201, { name: 'conf', public_key: ED25519 })).ssh_key;
    const created = await call(t, 'POST', '/servers', 201, { name: 'conf-1', server_type: 'cpx11', image: 'ubuntu-24.04', location: 'ash', ssh_keys: [key.id], labels: { a: 'b' } });
    const id = created.server.id;
    // Validated against the fixture with `datacenter` no longer required, and really absent (removed 2026-07-01).
    expect(created.server).not.toHaveProperty('datacenter');
    expect(created.server.location.name).toBe('ash');
    await call(t, 'POST', '/servers', 201, { name: 'conf-v6only', server_type: 'cx23', image: 'docker-ce', public_net: { enable_ipv4: false, enable_ipv6: true } });
    await call(t, 'GET', `/servers/${id}`, 200);
    await call(t, 'GET', '/servers?label_selector=a=b', 200);
    await call(t, 'PUT', `/servers/${id}`, 200, { name: 'conf-1b', labels: { c: 'd' } });
    await call(t, 'GET', `/servers/${id}/actions`, 200);
    await call(t, 'GET', `/servers/${id}/actions/${created.action.id}`, 200);
    await call(t, 'GET', `/actions/${created.action.id}`, 200);
    await call(t, 'GET', `/actions?id=${created.action.id}&id=${created.next_actions[0].id}`, 200);
    clock.advance(4000);
    await call(t, 'GET', `/actions/${created.next_actions[0].id}`, 200);
    const del = await call(t, 'DELETE', `/servers/${id}`, 200);
    expect(del.action.command).toBe('delete_server');
  });

  it('each server action matches the spec', async () => {
    const id = (await call(t, 'POST', '/servers', 201, { name: 'conf-act', server_type: 'cx23', image: 'debian-13' })).server.id;
    const steps: Array<[string, unknown?]> = [
      ['poweroff'], ['change_type', { server_type: 'cx33', upgrade_disk: false }], ['poweron'], ['reboot'], ['reset'],
      ['rebuild', { image: 'ubuntu-22.04' }], ['shutdown'], ['change_protection', { delete: true, rebuild: true }],
    ];
    clock.advance(4000);
    for (const [name, body] of steps) {
      const r = await call(t, 'POST', `/servers/${id}/actions/${name}`, 201, body);
      expect(r.action.status).not.toBe('error');
      clock.advance(2000);
    }
  });

  it('answers the removed /datacenters with a 410 error envelope', async () => {
    expect((await call(t, 'GET', '/datacenters', 410)).error.code).toBe('deprecated_api_endpoint');
    expect((await call(t, 'POST', '/servers', 400, { name: 'conf-dc', server_type: 'cx23', image: 'debian-12', datacenter: 'fsn1-dc14' })).error.code).toBe('invalid_input');
  });

  it('server types with a sold-out location still match the spec', async () => {
    sim.setCapacity({ location: 'fsn1', serverType: 'cx33', available: false });
    const types = (await call(t, 'GET', '/server_types?name=cx33', 200)).server_types;
    expect(types[0].locations.find((l: any) => l.name === 'fsn1').available).toBe(false);
    sim.setCapacity({ location: 'fsn1', serverType: 'cx33', available: true });
    expect((await call(t, 'POST', '/servers', 501, { name: 'conf-net', server_type: 'cx23', image: 'debian-12', networks: [1] })).error.code).toBe('not_implemented');
  });

  it('catalog items by id match the spec', async () => {
    await call(t, 'GET', '/locations/1', 200);
    await call(t, 'GET', '/server_types/104', 200);
    await call(t, 'GET', '/images/161547269', 200);
  });

  it('ssh key CRUD matches the spec', async () => {
    const rsa = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCVNl+f8wVyCnIBeBQtGH7w4NG6kDN7J8Xj9b1afUcAuDk4H80/OYlTbQQVibCHCIDQuMQCcgMYDabHTuC+mcHtzOq/lO1ocq5kxP3ilJYgSfI4CHpuCjzPlmmcikowN2S4wswwQi11Ag1MAKs8cgt3qpz1HTp180MAX7jrPVbqbFD0Gq2CMhq+1RDOPbOqBPmDMLcURDk7nTEHVgZVmmOkLmCtW4aLWffHFQOBvrwBJNiIWXEQNOJMtOXvkxfKJ448sqXxUG7UomTFEJd2C22T4Ye5Nb8zhuxIeABgisdKLxFQjPXv1zVaQUd4QPFnWGGsszk8fBrJXf7pJWqW2aVp rsa@sim';
    const k = (await call(t, 'POST', '/ssh_keys', 201, { name: 'crud', public_key: rsa, labels: { x: 'y' } })).ssh_key;
    await call(t, 'GET', `/ssh_keys/${k.id}`, 200);
    await call(t, 'GET', `/ssh_keys?name=crud`, 200);
    await call(t, 'PUT', `/ssh_keys/${k.id}`, 200, { name: 'crud-2' });
    await call(t, 'DELETE', `/ssh_keys/${k.id}`, 204);
  });

  it('error replies use the documented envelope', async () => {
    await call(t, 'POST', '/servers', 400, { name: 'x', server_type: 'cx23', image: 'nope' });
    await call(t, 'POST', '/servers', 201, { name: 'err-dup', server_type: 'cx23', image: 'debian-12' });
    const dup = await call(t, 'POST', '/servers', 409, { name: 'err-dup', server_type: 'cx23', image: 'debian-12' });
    expect(dup.error.code).toBe('uniqueness_error');
    const busy = (await call(t, 'GET', '/servers?name=err-dup', 200)).servers[0].id;
    expect((await call(t, 'POST', `/servers/${busy}/actions/poweroff`, 423)).error.code).toBe('locked');
    sim.setCapacity({ location: 'hel1', available: false, serverType: 'cx23' });
    expect((await call(t, 'POST', '/servers', 412, { name: 'err-cap', server_type: 'cx23', image: 'debian-12', location: 'hel1' })).error.code).toBe('resource_unavailable');
    const limited = new SimServer({ services: [createHetznerSim({ clock, rateLimit: { limit: 1, windowMs: 3_600_000 } })], token: TOKEN, clock });
    await limited.listen();
    try {
      const lt = { base: limited.baseUrl('hetzner'), token: TOKEN };
      await call(lt, 'GET', '/servers', 200);
      expect((await call(lt, 'GET', '/servers', 429)).error.code).toBe('rate_limit_exceeded');
    } finally { await limited.close(); }
  });
});

describe.skipIf(!LIVE)('live Hetzner API conformance (read-only)', () => {
  readOnly(() => ({ base: 'https://api.hetzner.cloud/v1', token: process.env.HCLOUD_TOKEN ?? '' }));
});
