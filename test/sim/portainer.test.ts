// Portainer simulator over real loopback HTTP: instances, auth and the IP ban, environments, async stacks, 409s, docker proxy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createPortainerSim, type PortainerSim } from '../../src/sim/portainer.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const PW = 'correct-horse-battery-staple';
const STACK = `services:
  web:
    image: traefik/whoami:v1.11.0
    networks: [traefik-public]
    deploy:
      labels:
        - traefik.enable=true
        - livchat.ai/managed-by=livchat
networks:
  traefik-public:
    external: true
`;

interface Reply { status: number; body: any; text: string; headers: Headers }

let clock: SimClock;
let sim: PortainerSim;
let server: SimServer;
let base: string;
let apiKey: string;

async function call(method: string, path: string, opts: { body?: unknown; key?: string | null; jwt?: string; raw?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  const key = opts.key === undefined ? apiKey : opts.key;
  if (key) headers['x-api-key'] = key;
  if (opts.jwt) headers.authorization = `Bearer ${opts.jwt}`;
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)), redirect: 'manual' });
  const text = await res.text();
  let body: unknown;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
  return { status: res.status, body, text, headers: res.headers };
}

async function control(verb: string, body: unknown): Promise<Reply> {
  const res = await fetch(`${server.url}/_sim/portainer/${verb}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), text: '', headers: res.headers };
}

async function bootstrap(): Promise<string> {
  const jwt = (await call('POST', '/api/auth', { body: { Username: 'admin', Password: PW }, key: null })).body.jwt as string;
  const tok = await call('POST', '/api/users/1/tokens', { body: { password: PW, description: 'livchat' }, key: null, jwt });
  return tok.body.rawAPIKey as string;
}

async function start(o: { deployDelayMs?: number; authLimit?: { maxRequests: number; windowMs: number; banMs: number } } = {}): Promise<void> {
  clock = new SimClock(() => T0);
  sim = createPortainerSim({ clock, deployDelayMs: o.deployDelayMs ?? 2000, ...(o.authLimit ? { authLimit: o.authLimit } : {}) });
  // A cloud token on the server must not get in the way: Portainer's auth is per instance.
  server = new SimServer({ services: [sim], clock, token: 'cloud-token' });
  await server.listen();
  sim.addInstance(7, { adminPassword: PW, traefikPublic: true, nodeAddress: '127.0.0.7' });
  base = `${server.baseUrl('portainer')}/7`;
  apiKey = await bootstrap();
}

function createStack(name: string, file = STACK, env: Array<{ name: string; value: string }> = []): Promise<Reply> {
  return call('POST', '/api/stacks/create/swarm/string?endpointId=1', { body: { Name: name, SwarmID: sim.instance(7)!.swarmId, StackFileContent: file, Env: env } });
}

describe('portainer simulator: instances and auth', () => {
  beforeEach(async () => { await start(); });
  afterEach(async () => { await server.close(); });

  it('serves one instance per server id and answers an unknown id like a dead upstream', async () => {
    expect((await call('GET', '/api/system/status', { key: null })).body).toMatchObject({ Version: '2.45.0' });
    const other = await fetch(`${server.baseUrl('portainer')}/8/api/system/status`);
    expect(other.status).toBe(502);
    expect(await other.text()).toContain('502 Bad Gateway');
    sim.addInstance(8, {});
    expect((await fetch(`${server.baseUrl('portainer')}/8/api/users/admin/check`)).status).toBe(404);
    expect(sim.removeInstance(8)).toBe(true);
    expect((await fetch(`${server.baseUrl('portainer')}/8/api/users/admin/check`)).status).toBe(502);
    expect((await call('GET', '/api/nope')).text).toBe('404 page not found\n');
  });

  it('checks and initialises the admin once, with the password rule', async () => {
    expect((await call('GET', '/api/users/admin/check', { key: null })).status).toBe(204);
    const again = await call('POST', '/api/users/admin/init', { body: { Username: 'admin', Password: 'another-long-password' }, key: null });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ message: 'Unable to create administrator user', details: 'An administrator user already exists' });
    sim.addInstance(9, {});
    const fresh = `${server.baseUrl('portainer')}/9`;
    const post = (body: unknown) => fetch(`${fresh}/api/users/admin/init`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ Username: 'admin', Password: 'short' })).status).toBe(400);
    const ok = await post({ username: 'admin', password: 'a-long-enough-password' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ Id: 1, Username: 'admin', Role: 1 });
    expect((await post({ Username: 'admin', Password: 'a-long-enough-password' })).status).toBe(409);
  });

  it('locks an instance without an admin after the init window with 303 AdminInitTimeout', async () => {
    sim.addInstance(9, {});
    clock.advance(5 * 60_000 + 1);
    const res = await fetch(`${server.baseUrl('portainer')}/9/api/users/admin/check`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('redirect-reason')).toBe('AdminInitTimeout');
    expect((await fetch(`${server.baseUrl('portainer')}/9/api/system/status`)).status).toBe(200);
  });

  it('logs in with 422 on bad credentials and accepts the JWT as a bearer token', async () => {
    const bad = await call('POST', '/api/auth', { body: { Username: 'admin', Password: 'wrong-password' }, key: null });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({ message: 'Invalid credentials', details: 'Unauthorized' });
    const jwt = (await call('POST', '/api/auth', { body: { username: 'ADMIN', password: PW }, key: null })).body.jwt as string;
    expect(jwt.split('.')).toHaveLength(3);
    expect(JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString())).toMatchObject({ id: 1, username: 'admin', role: 1 });
    expect((await call('GET', '/api/endpoints', { key: null, jwt })).status).toBe(200);
    clock.advance(8 * 3_600_000 + 1000);
    expect((await call('GET', '/api/endpoints', { key: null, jwt })).body).toEqual({ message: 'Invalid JWT token', details: 'Unauthorized' });
  });

  it('creates API keys only with a JWT and the current password; keys work on every other route', async () => {
    expect(apiKey).toMatch(/^ptr_[A-Za-z0-9+/=]{40,}$/);
    expect((await call('GET', '/api/stacks')).status).toBe(200);
    const viaKey = await call('POST', '/api/users/1/tokens', { body: { password: PW, description: 'x' } });
    expect(viaKey.status).toBe(401);
    expect(viaKey.body).toEqual({ message: 'Auth not supported', details: 'JWT Authentication required' });
    const jwt = (await call('POST', '/api/auth', { body: { Username: 'admin', Password: PW }, key: null })).body.jwt as string;
    expect((await call('POST', '/api/users/1/tokens', { body: { description: 'x' }, key: null, jwt })).status).toBe(400);
    expect((await call('POST', '/api/users/1/tokens', { body: { password: 'not-it', description: 'x' }, key: null, jwt })).status).toBe(403);
    expect((await call('POST', '/api/users/2/tokens', { body: { password: PW, description: 'x' }, key: null, jwt })).status).toBe(403);
    expect((await call('GET', '/api/stacks', { key: null })).body).toEqual({ message: 'A valid authorization token is missing', details: 'Unauthorized' });
    expect((await call('GET', '/api/stacks', { key: 'ptr_not-a-key-at-all' })).status).toBe(401);
    // The sim state never holds a raw key or a password.
    expect(JSON.stringify(server.state())).not.toContain(apiKey);
    expect(JSON.stringify(server.state())).not.toContain(PW);
  });

  it('bans an IP for an hour after more than 10 /api/auth requests in a second, good ones included', async () => {
    let last: Reply | undefined;
    // The bootstrap login was the first of the ten allowed.
    for (let i = 0; i < 9; i++) last = await call('POST', '/api/auth', { body: { Username: 'admin', Password: i % 2 ? PW : 'bad-password' }, key: null });
    expect([200, 422]).toContain(last!.status);
    const banned = await call('POST', '/api/auth', { body: { Username: 'admin', Password: PW }, key: null });
    expect(banned.status).toBe(403);
    expect(banned.body).toEqual({ message: 'Access denied', details: 'Access denied to resource' });
    clock.advance(30 * 60_000);
    expect((await call('POST', '/api/auth', { body: { Username: 'admin', Password: PW }, key: null })).status).toBe(403);
    // Other routes are not limited.
    expect((await call('GET', '/api/stacks')).status).toBe(200);
    clock.advance(30 * 60_000);
    expect((await call('POST', '/api/auth', { body: { Username: 'admin', Password: PW }, key: null })).status).toBe(200);
  });
});

describe('portainer simulator: environments and the docker proxy', () => {
  beforeEach(async () => { await start(); });
  afterEach(async () => { await server.close(); });

  it('lists one swarm environment whose Swarm id the proxy reports', async () => {
    const eps = await call('GET', '/api/endpoints');
    expect(eps.body).toHaveLength(1);
    expect(eps.body[0]).toMatchObject({ Id: 1, Type: 2, URL: 'tcp://tasks.agent:9001', Status: 1 });
    const swarm = await call('GET', '/api/endpoints/1/docker/swarm');
    expect(swarm.body.ID).toBe(sim.instance(7)!.swarmId);
    const info = await call('GET', '/api/endpoints/1/docker/info');
    expect(info.body.Swarm).toMatchObject({ LocalNodeState: 'active', ControlAvailable: true, NodeAddr: '127.0.0.7', Cluster: { ID: swarm.body.ID } });
    expect((await call('GET', '/api/endpoints/2/docker/info')).status).toBe(404);
  });

  it('serves unversioned paths, refuses /v1.41/ as Engine 29 does, and accepts /v1.44/', async () => {
    const pinned = await call('GET', '/api/endpoints/1/docker/v1.41/info');
    expect(pinned.status).toBe(400);
    expect(pinned.body.message).toBe('client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version');
    expect((await call('GET', '/api/endpoints/1/docker/v1.44/info')).status).toBe(200);
    expect((await call('GET', '/api/endpoints/1/docker/v1.44/services')).status).toBe(200);
  });

  it('lists and creates networks; traefik-public is an attachable swarm overlay', async () => {
    const nets = await call('GET', `/api/endpoints/1/docker/networks?filters=${encodeURIComponent(JSON.stringify({ name: ['traefik-public'] }))}`);
    expect(nets.body).toHaveLength(1);
    expect(nets.body[0]).toMatchObject({ Name: 'traefik-public', Driver: 'overlay', Scope: 'swarm', Attachable: true });
    const made = await call('POST', '/api/endpoints/1/docker/networks/create', { body: { Name: 'backend', Driver: 'overlay', Attachable: true } });
    expect(made.status).toBe(201);
    expect(made.body.Id).toMatch(/^[a-z0-9]{25}$/);
    expect((await call('POST', '/api/endpoints/1/docker/networks/create', { body: { Name: 'backend', Driver: 'overlay' } })).status).toBe(409);
  });

  it('creates, lists and deletes secrets without ever returning the data', async () => {
    const data = Buffer.from('s3cr3t-value-for-test').toString('base64');
    const made = await call('POST', '/api/endpoints/1/docker/secrets/create', { body: { Name: 'app_db_pw', Labels: { 'livchat.ai/app': 'app' }, Data: data } });
    expect(made.status).toBe(201);
    const dup = await call('POST', '/api/endpoints/1/docker/secrets/create', { body: { Name: 'app_db_pw', Data: data } });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toBe('rpc error: code = AlreadyExists desc = secret app_db_pw already exists');
    const list = await call('GET', `/api/endpoints/1/docker/secrets?filters=${encodeURIComponent(JSON.stringify({ label: ['livchat.ai/app=app'] }))}`);
    expect(list.body).toEqual([expect.objectContaining({ ID: made.body.ID, Spec: { Name: 'app_db_pw', Labels: { 'livchat.ai/app': 'app' } } })]);
    expect(list.text).not.toContain(data);
    expect(JSON.stringify(server.state())).not.toContain(data);
    expect((await call('DELETE', `/api/endpoints/1/docker/secrets/${made.body.ID}`)).status).toBe(204);
    expect((await call('DELETE', `/api/endpoints/1/docker/secrets/${made.body.ID}`)).status).toBe(404);
  });
});

describe('portainer simulator: stacks', () => {
  beforeEach(async () => { await start(); });
  afterEach(async () => { await server.close(); });

  it('validates create exactly as Portainer: endpointId, name, Swarm id, file content', async () => {
    const url = '/api/stacks/create/swarm/string';
    const body = { Name: 'a', SwarmID: 'x', StackFileContent: STACK };
    expect((await call('POST', url, { body })).body).toEqual({ message: 'Invalid query parameter: endpointId', details: 'Missing query parameter' });
    expect((await call('POST', `${url}?endpointId=5`, { body })).status).toBe(404);
    expect((await call('POST', `${url}?endpointId=1`, { body: { ...body, Name: '' } })).body).toEqual({ message: 'Invalid request payload', details: 'Invalid stack name' });
    expect((await call('POST', `${url}?endpointId=1`, { body: { ...body, SwarmID: '' } })).body).toEqual({ message: 'Invalid request payload', details: 'Invalid Swarm ID' });
    expect((await call('POST', `${url}?endpointId=1`, { body: { ...body, StackFileContent: '' } })).body).toEqual({ message: 'Invalid request payload', details: 'Invalid stack file content' });
    expect((await call('POST', `${url}?endpointId=1`, { raw: '{not json' })).status).toBe(400);
  });

  it('deploys asynchronously: 200 Deploying at once, then Active after the deploy delay', async () => {
    const res = await createStack('My.App', STACK, [{ name: 'TAG', value: '1' }]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ Name: 'myapp', Type: 1, EndpointId: 1, Status: 3, Env: [{ name: 'TAG', value: '1' }], UpdateDate: 0, CreatedBy: 'admin' });
    expect((await call('GET', '/api/endpoints/1/docker/services')).body).toEqual([]);
    clock.advance(2000);
    const st = await call('GET', `/api/stacks/${res.body.Id}`);
    expect(st.body.Status).toBe(1);
    expect(st.body.DeploymentStatus.map((d: { Status: number }) => d.Status)).toEqual([3, 1]);
    const svcs = await call('GET', '/api/endpoints/1/docker/services');
    expect(svcs.body.map((s: { Spec: { Name: string } }) => s.Spec.Name)).toEqual(['myapp_web']);
    expect(svcs.body[0].Spec.Labels).toMatchObject({ 'com.docker.stack.namespace': 'myapp', 'traefik.enable': 'true' });
    expect((await call('GET', `/api/stacks/${res.body.Id}/file`)).body).toEqual({ StackFileContent: STACK });
  });

  it('refuses a second stack with the same normalized name, from the DB or a live namespace', async () => {
    expect((await createStack('web-app')).body.Name).toBe('web-app');
    await createStack('webapp');
    const dup = await createStack('Web.App');
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ message: "A stack with the normalized name 'webapp' already exists", details: "A stack with the normalized name 'webapp' already exists" });
    // A service labelled with the namespace (a CLI-deployed stack) blocks the name too.
    await call('POST', '/api/endpoints/1/docker/services/create', { body: { Name: 'cli_web', Labels: { 'com.docker.stack.namespace': 'cli' }, TaskTemplate: { ContainerSpec: { Image: 'nginx:1' } } } });
    expect((await createStack('cli')).status).toBe(409);
  });

  it('answers 409 on a PUT while deploying, replaces Env whole, and leaving Env out wipes it', async () => {
    const id = (await createStack('envs', STACK, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }])).body.Id as number;
    const put = (body: unknown) => call('PUT', `/api/stacks/${id}?endpointId=1`, { body });
    const busy = await put({ StackFileContent: STACK, Env: [{ name: 'A', value: '9' }] });
    expect(busy.status).toBe(409);
    expect(busy.body.message).toBe('Stack deployment is already in progress');
    clock.advance(2000);
    expect((await put({ StackFileContent: STACK, Env: [{ name: 'C', value: '3' }] })).body).toMatchObject({ Status: 3, Env: [{ name: 'C', value: '3' }], UpdatedBy: 'admin' });
    clock.advance(2000);
    const wiped = await put({ StackFileContent: STACK });
    expect(wiped.body.Env).toEqual([]);
    expect(wiped.body.UpdateDate).toBe(Math.floor((T0 + 4000) / 1000));
    expect((await call('PUT', `/api/stacks/${id}`, { body: { StackFileContent: STACK } })).status).toBe(400);
  });

  it('puts the Docker error in the last DeploymentStatus and restores the previous file on a failed update', async () => {
    const id = (await createStack('fails')).body.Id as number;
    clock.advance(2000);
    const broken = STACK.replace('external: true', 'external: true\n    foo: 1');
    await call('PUT', `/api/stacks/${id}?endpointId=1`, { body: { StackFileContent: broken } });
    expect((await call('GET', `/api/stacks/${id}/file`)).body.StackFileContent).toBe(broken);
    clock.advance(2000);
    const st = (await call('GET', `/api/stacks/${id}`)).body;
    expect(st.Status).toBe(4);
    expect(st.DeploymentStatus.at(-1).Message).toBe('networks.traefik-public Additional property foo is not allowed');
    expect((await call('GET', `/api/stacks/${id}/file`)).body.StackFileContent).toBe(STACK);
  });

  it('fails a deploy on a missing external network with Docker\'s message', async () => {
    const file = STACK.replaceAll('traefik-public', 'nope-net');
    const id = (await createStack('nonet', file)).body.Id as number;
    clock.advance(2000);
    const st = (await call('GET', `/api/stacks/${id}`)).body;
    expect(st.Status).toBe(4);
    expect(st.DeploymentStatus.at(-1).Message).toBe('network "nope-net" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed');
    expect((await call('GET', '/api/endpoints/1/docker/services')).body).toEqual([]);
  });

  it('keeps the deprecated create route working and filters the list by SwarmID and EndpointID', async () => {
    const swarmId = sim.instance(7)!.swarmId;
    const old = await call('POST', '/api/stacks?type=1&method=string&endpointId=1', { body: { name: 'legacy', swarmID: swarmId, stackFileContent: STACK } });
    expect(old.status).toBe(200);
    await call('POST', '/api/stacks/create/swarm/string?endpointId=1', { body: { Name: 'other', SwarmID: 'someotherswarm', StackFileContent: STACK } });
    const q = (f: unknown) => call('GET', `/api/stacks?filters=${encodeURIComponent(JSON.stringify(f))}`);
    expect((await q({ SwarmID: swarmId })).body.map((s: { Name: string }) => s.Name)).toEqual(['legacy']);
    expect((await q({ EndpointID: 1 })).body).toHaveLength(2);
    expect((await call('GET', '/api/stacks?filters=%7Bbad')).status).toBe(400);
    expect((await call('GET', '/api/stacks/999')).status).toBe(404);
  });

  it('counts requests per route so tests can hold a request budget', async () => {
    server.resetCounters();
    await call('GET', '/api/stacks');
    await call('GET', '/api/endpoints/1/docker/services?status=true');
    await call('GET', '/api/endpoints/1/docker/tasks');
    const r = server.requests();
    expect(r.total).toBe(3);
    expect(r.byRoute).toEqual({
      'GET /portainer/{inst}/api/stacks': 1,
      'GET /portainer/{inst}/api/endpoints/{eid}/docker/services': 1,
      'GET /portainer/{inst}/api/endpoints/{eid}/docker/tasks': 1,
    });
  });

  it('has control verbs for instances, images and the deploy delay', async () => {
    expect((await control('instance', { id: 12, adminPassword: PW, traefikPublic: true })).status).toBe(201);
    expect(sim.instance(12)).toBeDefined();
    expect((await control('deploy-delay', { ms: 10 })).body).toEqual({ deployDelayMs: 10 });
    expect((await control('image', { image: 'bad/img:1', pullFails: true })).body.behaviour).toEqual({ pullFails: true });
    expect((await control('image', { image: 'bad/img:1', crashAfterMs: -1 })).status).toBe(400);
    expect((await control('remove-instance', { id: 12 })).status).toBe(200);
  });
});

describe('portainer simulator: persisted world', () => {
  it('keeps instances, keys, stacks and running services across a restart on the same state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'psim-'));
    try {
      const file = join(dir, 'state.json');
      clock = new SimClock(() => T0);
      sim = createPortainerSim({ clock });
      server = new SimServer({ services: [sim], clock, stateFile: file });
      await server.listen();
      sim.addInstance(7, { adminPassword: PW, traefikPublic: true });
      base = `${server.baseUrl('portainer')}/7`;
      apiKey = await bootstrap();
      const id = (await createStack('kept')).body.Id as number;
      clock.advance(5000);
      expect((await call('GET', '/api/endpoints/1/docker/services?status=true')).body[0].ServiceStatus.RunningTasks).toBe(1);
      server.save();
      await server.close();

      const clock2 = new SimClock(() => T0);
      clock2.advance(5000);
      const sim2 = createPortainerSim({ clock: clock2 });
      server = new SimServer({ services: [sim2], clock: clock2, stateFile: file });
      await server.listen();
      base = `${server.baseUrl('portainer')}/7`;
      expect((await call('GET', `/api/stacks/${id}`)).body).toMatchObject({ Name: 'kept', Status: 1 });
      expect((await call('GET', '/api/endpoints/1/docker/services?status=true')).body[0].ServiceStatus.RunningTasks).toBe(1);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
