// Portainer simulator's Swarm over loopback HTTP: task states on the sim clock, healthchecks, rejected pulls, updates, rollbacks, jobs, delete.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createPortainerSim, type PortainerSim } from '../../src/sim/portainer.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const PW = 'correct-horse-battery-staple';

let clock: SimClock;
let sim: PortainerSim;
let server: SimServer;
let base: string;
let key: string;

interface Reply { status: number; body: any; text: string }

async function call(method: string, path: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { 'x-api-key': key };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, body: parsed, text };
}

const q = (f: unknown) => encodeURIComponent(JSON.stringify(f));

function file(svc: string, image: string, deploy = '', extra = ''): string {
  return `version: "3.8"
services:
  ${svc}:
    image: ${image}
    networks: [traefik-public]
${extra}    deploy:
      labels: [livchat.ai/managed-by=livchat]
${deploy}networks:
  traefik-public:
    external: true
`;
}

const START_FIRST_ROLLBACK = `      update_config: {order: start-first, failure_action: rollback, monitor: 30s, parallelism: 1}
      rollback_config: {order: start-first, failure_action: pause}
`;

async function createStack(name: string, content: string, env: Array<{ name: string; value: string }> = []): Promise<number> {
  const r = await call('POST', '/api/stacks/create/swarm/string?endpointId=1', { Name: name, SwarmID: sim.instance(3)!.swarmId, StackFileContent: content, Env: env });
  expect(r.status).toBe(200);
  clock.advance(2000);
  const st = (await call('GET', `/api/stacks/${r.body.Id}`)).body;
  expect(st.DeploymentStatus.at(-1).Message).toBe('');
  expect(st.Status).toBe(1);
  return r.body.Id as number;
}

async function updateStack(id: number, content: string, env: Array<{ name: string; value: string }> = []): Promise<void> {
  const r = await call('PUT', `/api/stacks/${id}?endpointId=1`, { StackFileContent: content, Env: env, Prune: true });
  expect(r.status).toBe(200);
  clock.advance(2000);
}

async function service(name: string): Promise<any> {
  const list = (await call('GET', `/api/endpoints/1/docker/services?status=true&filters=${q({ name: [name] })}`)).body as any[];
  return list.find((s) => s.Spec.Name === name);
}

async function tasks(name: string, desired?: string): Promise<any[]> {
  const f: Record<string, string[]> = { service: [name] };
  if (desired) f['desired-state'] = [desired];
  return (await call('GET', `/api/endpoints/1/docker/tasks?filters=${q(f)}`)).body as any[];
}

function demux(raw: Buffer): Array<{ stream: number; text: string }> {
  const out: Array<{ stream: number; text: string }> = [];
  for (let i = 0; i + 8 <= raw.length;) {
    const len = raw.readUInt32BE(i + 4);
    out.push({ stream: raw[i]!, text: raw.subarray(i + 8, i + 8 + len).toString('utf8') });
    i += 8 + len;
  }
  return out;
}

beforeEach(async () => {
  clock = new SimClock(() => T0);
  sim = createPortainerSim({ clock, deployDelayMs: 2000 });
  server = new SimServer({ services: [sim], clock });
  await server.listen();
  sim.addInstance(3, { adminPassword: PW, traefikPublic: true });
  base = `${server.baseUrl('portainer')}/3`;
  const auth = await fetch(`${base}/api/auth`, { method: 'POST', body: JSON.stringify({ Username: 'admin', Password: PW }) });
  const { jwt } = (await auth.json()) as { jwt: string };
  const tok = await fetch(`${base}/api/users/1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` }, body: JSON.stringify({ password: PW, description: 't' }) });
  key = ((await tok.json()) as { rawAPIKey: string }).rawAPIKey;
});
afterEach(async () => { await server.close(); });

describe('portainer simulator: tasks converge on the sim clock', () => {
  it('walks new → … → running, with ServiceStatus and no UpdateStatus before the first update', async () => {
    // Even steps make every state visible at a 50 ms sampling.
    const timing = await fetch(`${server.url}/_sim/portainer/timing`, { method: 'POST', body: JSON.stringify({ scheduleStepMs: 100, pullMs: 100, startMs: 100 }) });
    expect(await timing.json()).toMatchObject({ scheduleStepMs: 100, pullMs: 100, startMs: 100 });
    const r = await call('POST', '/api/stacks/create/swarm/string?endpointId=1', { Name: 'w', SwarmID: 'x', StackFileContent: file('web', 'traefik/whoami:v1.11.0') });
    clock.advance(2000);
    let t = (await tasks('w_web'))[0];
    expect(t.Status.State).toBe('new');
    expect(t.DesiredState).toBe('running');
    const seen = new Set<string>([t.Status.State]);
    for (let i = 0; i < 20; i++) { clock.advance(50); seen.add((await tasks('w_web'))[0].Status.State); }
    expect([...seen]).toEqual(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);
    t = (await tasks('w_web'))[0];
    expect(t).toMatchObject({ Slot: 1, Status: { State: 'running', Message: 'started', ContainerStatus: { ExitCode: 0 } } });
    const s = await service('w_web');
    expect(s.ServiceStatus).toEqual({ RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 });
    expect(s.UpdateStatus).toBeUndefined();
    expect(s.Spec.TaskTemplate.ContainerSpec.Image).toMatch(/^traefik\/whoami:v1\.11\.0@sha256:[0-9a-f]{64}$/);
    expect(s.Spec.UpdateConfig).toMatchObject({ Parallelism: 1, FailureAction: 'pause', Order: 'stop-first' });
    expect(r.body.Status).toBe(3);
  });

  it('keeps a task starting through its healthcheck start period until it is healthy', async () => {
    sim.setImage('slow/app:1', { readyAfterMs: 40_000 });
    const hc = '    healthcheck: {test: ["CMD", "wget", "-qO-", "http://127.0.0.1/health"], interval: 10s, retries: 3, start_period: 60s, start_interval: 5s}\n';
    await createStack('slow', file('app', 'slow/app:1', '', hc));
    clock.advance(2000);
    expect((await tasks('slow_app'))[0].Status.State).toBe('starting');
    clock.advance(35_000);
    expect((await tasks('slow_app'))[0].Status.State).toBe('starting');
    expect((await service('slow_app')).ServiceStatus.RunningTasks).toBe(0);
    clock.advance(10_000);
    expect((await tasks('slow_app'))[0].Status.State).toBe('running');
    expect(sim.edgeRoutes()).toEqual([expect.objectContaining({ serviceName: 'slow_app', runningHealthyTasks: 1, image: 'slow/app:1' })]);
  });

  it('fails an unhealthy task once its retries are spent after the start period', async () => {
    sim.setImage('sick/app:1', { unhealthy: true });
    const hc = '    healthcheck: {test: ["CMD", "true"], interval: 10s, retries: 3, start_period: 20s}\n';
    await createStack('sick', file('app', 'sick/app:1', '', hc));
    clock.advance(40_000);
    expect((await tasks('sick_app'))[0].Status.State).toBe('starting');
    clock.advance(15_000);
    const t = (await tasks('sick_app'))[0];
    expect(t.Status).toMatchObject({ State: 'failed', Err: 'task: non-zero exit (137): dockerexec: unhealthy container' });
  });

  it('rejects tasks of an image that does not exist and keeps retrying them under the restart policy', async () => {
    sim.setImage('ghcr.io/acme/missing:9.9', { pullFails: true });
    await createStack('ghost', file('app', 'ghcr.io/acme/missing:9.9'));
    clock.advance(2000);
    const [t] = await tasks('ghost_app');
    expect(t.Status).toMatchObject({ State: 'rejected', Err: 'No such image: ghcr.io/acme/missing:9.9' });
    expect((await service('ghost_app')).ServiceStatus).toMatchObject({ RunningTasks: 0, DesiredTasks: 1 });
    clock.advance(5000);
    const all = await tasks('ghost_app');
    expect(all).toHaveLength(2);
    expect(all[0].DesiredState).toBe('shutdown');
    // Unpinned: the registry could not give a digest.
    expect((await service('ghost_app')).Spec.TaskTemplate.ContainerSpec.Image).toBe('ghcr.io/acme/missing:9.9');
  });

  it('keeps a crash loop going and at most five tasks per slot', async () => {
    sim.setImage('crash/app:1', { crashAfterMs: 1000 });
    await createStack('loop', file('app', 'crash/app:1'));
    clock.advance(120_000);
    const all = await tasks('loop_app');
    expect(all).toHaveLength(5);
    expect(all.filter((t) => t.Status.State === 'failed').length).toBeGreaterThanOrEqual(4);
    expect(all.every((t) => t.Slot === 1)).toBe(true);
    expect(all.filter((t) => t.Status.State === 'failed')[0].Status.Err).toBe('task: non-zero exit (1)');
  });
});

describe('portainer simulator: rolling updates and rollbacks', () => {
  it('rolls a changed image start-first to completed, keeping the old task until the new one runs', async () => {
    const id = await createStack('roll', file('web', 'traefik/whoami:v1.10.0', START_FIRST_ROLLBACK));
    clock.advance(2000);
    await call('PUT', `/api/stacks/${id}?endpointId=1`, { StackFileContent: file('web', 'traefik/whoami:v1.11.0', START_FIRST_ROLLBACK) });
    clock.advance(2000);
    let s = await service('roll_web');
    expect(s.UpdateStatus).toMatchObject({ State: 'updating', Message: 'update in progress' });
    expect(s.PreviousSpec.TaskTemplate.ContainerSpec.Image).toContain('v1.10.0');
    let running = (await tasks('roll_web')).filter((t) => t.Status.State === 'running');
    expect(running).toHaveLength(1);
    clock.advance(1600);
    running = (await tasks('roll_web', 'running')).filter((t) => t.Status.State === 'running');
    expect(running).toHaveLength(1);
    expect(running[0].Spec.ContainerSpec.Image).toContain('v1.11.0');
    s = await service('roll_web');
    expect(s.UpdateStatus.State).toBe('updating');
    clock.advance(30_000);
    s = await service('roll_web');
    expect(s.UpdateStatus).toMatchObject({ State: 'completed', Message: 'update completed' });
    expect(s.UpdateStatus.CompletedAt).toBeDefined();
    // A redeploy of the same file resets UpdateStatus, as swarmkit's UpdateService does.
    await call('PUT', `/api/stacks/${id}?endpointId=1`, { StackFileContent: file('web', 'traefik/whoami:v1.11.0', START_FIRST_ROLLBACK) });
    clock.advance(2000);
    expect((await service('roll_web')).UpdateStatus).toBeUndefined();
  });

  it('rolls back an image that fails to pull: rollback_started, then rollback_completed on the old spec', async () => {
    sim.setImage('traefik/whoami:v9.9.9', { pullFails: true });
    const id = await createStack('rb', file('web', 'traefik/whoami:v1.11.0', START_FIRST_ROLLBACK));
    clock.advance(2000);
    await updateStack(id, file('web', 'traefik/whoami:v9.9.9', START_FIRST_ROLLBACK));
    let s = await service('rb_web');
    expect(s.UpdateStatus.State).toBe('updating');
    clock.advance(1100);
    s = await service('rb_web');
    expect(s.UpdateStatus.State).toBe('rollback_started');
    const rejected = (await tasks('rb_web')).find((t) => t.Status.State === 'rejected');
    expect(rejected.Status.Err).toBe('No such image: traefik/whoami:v9.9.9');
    expect(s.UpdateStatus.Message).toBe(`update rolled back due to failure or early termination of task ${rejected.ID}`);
    expect(s.Spec.TaskTemplate.ContainerSpec.Image).toContain('v1.11.0');
    // start-first kept the old task serving all along.
    expect(s.ServiceStatus.RunningTasks).toBe(1);
    clock.advance(10_000);
    s = await service('rb_web');
    expect(s.UpdateStatus).toMatchObject({ State: 'rollback_completed', Message: 'rollback completed' });
    expect(s.ServiceStatus).toMatchObject({ RunningTasks: 1, DesiredTasks: 1 });
  });

  it('pauses an update whose new task crashes within the monitor window', async () => {
    sim.setImage('crash/app:2', { crashAfterMs: 3000 });
    const cfg = '      update_config: {order: stop-first, failure_action: pause, monitor: 10s}\n';
    const id = await createStack('pz', file('app', 'crash/app:1', cfg));
    clock.advance(2000);
    await updateStack(id, file('app', 'crash/app:2', cfg));
    clock.advance(5000);
    const s = await service('pz_app');
    const failed = (await tasks('pz_app')).find((t) => t.Status.State === 'failed');
    expect(s.UpdateStatus).toMatchObject({ State: 'paused', Message: `update paused due to failure or early termination of task ${failed.ID}` });
    // stop-first shut the old task down first; the spec stays the new one.
    expect(s.Spec.TaskTemplate.ContainerSpec.Image).toContain('crash/app:2');
    expect((await tasks('pz_app')).find((t) => t.Spec.ContainerSpec.Image.includes('crash/app:1')).Status.State).toBe('shutdown');
  });

  it('pauses a rollback that fails too (rollback_paused), never rolling back a rollback', async () => {
    sim.setImage('bad/one:1', { crashAfterMs: 20_000 });
    sim.setImage('bad/two:1', { pullFails: true });
    const cfg = '      update_config: {failure_action: rollback, monitor: 5s}\n      rollback_config: {failure_action: pause, monitor: 30s}\n';
    const id = await createStack('rr', file('app', 'bad/one:1', cfg));
    clock.advance(2000);
    await updateStack(id, file('app', 'bad/two:1', cfg));
    clock.advance(30_000);
    const s = await service('rr_app');
    expect(s.UpdateStatus.State).toBe('rollback_paused');
    expect(s.UpdateStatus.Message).toMatch(/^rollback paused due to failure or early termination of task [a-z0-9]{25}$/);
  });

  it('rolls back on request through services/{id}/update?rollback=previous', async () => {
    const id = await createStack('man', file('web', 'traefik/whoami:v1.10.0'));
    clock.advance(2000);
    await updateStack(id, file('web', 'traefik/whoami:v1.11.0'));
    clock.advance(10_000);
    const s = await service('man_web');
    expect(s.UpdateStatus.State).toBe('completed');
    const bad = await call('POST', `/api/endpoints/1/docker/services/${s.ID}/update?version=1`, {});
    expect(bad.body.message).toBe('rpc error: code = Unknown desc = update out of sequence');
    expect((await call('POST', `/api/endpoints/1/docker/services/${s.ID}/update?version=${s.Version.Index}&rollback=previous`, {})).status).toBe(200);
    expect((await service('man_web')).UpdateStatus).toMatchObject({ State: 'rollback_started', Message: 'manually requested rollback' });
    clock.advance(10_000);
    const after = await service('man_web');
    expect(after.UpdateStatus.State).toBe('rollback_completed');
    expect(after.Spec.TaskTemplate.ContainerSpec.Image).toContain('v1.10.0');
  });

  it('scales without an update, prunes removed services, and keeps named volumes on stack removal', async () => {
    const two = `services:
  a:
    image: nginx:1.27
    volumes: [data:/data]
    deploy: {replicas: 1}
  b:
    image: nginx:1.27
volumes:
  data: {}
`;
    const id = await createStack('sc', two);
    await updateStack(id, two.replace('replicas: 1', 'replicas: 3').replace(/ {2}b:\n {4}image: nginx:1.27\n/, ''));
    clock.advance(5000);
    const a = await service('sc_a');
    expect(a.ServiceStatus).toMatchObject({ RunningTasks: 3, DesiredTasks: 3 });
    expect(a.UpdateStatus).toBeUndefined();
    expect(await service('sc_b')).toBeUndefined();
    expect(sim.instance(3)!.volumes.sc_data).toBeDefined();
    expect((await call('DELETE', `/api/stacks/${id}?endpointId=1`)).status).toBe(204);
    expect(sim.instance(3)!.volumes.sc_data).toBeDefined();
    expect((await call('GET', '/api/endpoints/1/docker/services')).body).toEqual([]);
  });
});

describe('portainer simulator: delete, jobs and logs', () => {
  it('answers DELETE only once the stack\'s tasks have stopped (waitOnTasks)', async () => {
    sim.setImage('slowstop/app:1', { stopMs: 8000 });
    const id = await createStack('ds', file('app', 'slowstop/app:1'));
    clock.advance(3000);
    expect((await tasks('ds_app'))[0].Status.State).toBe('running');
    let done = false;
    const pending = call('DELETE', `/api/stacks/${id}?endpointId=1`).then((r) => { done = true; return r; });
    await until(() => sim.instance(3)!.tasks[Object.keys(sim.instance(3)!.tasks)[0]!]?.desiredState === 'remove');
    expect(done).toBe(false);
    expect((await call('GET', '/api/endpoints/1/docker/services')).body).toEqual([]);
    const lingering = (await call('GET', '/api/endpoints/1/docker/tasks')).body;
    expect(lingering).toEqual([expect.objectContaining({ DesiredState: 'remove', Status: expect.objectContaining({ State: 'running' }) })]);
    expect((await call('GET', `/api/stacks/${id}`)).status).toBe(200);
    clock.advance(8000);
    const res = await pending;
    expect(res.status).toBe(204);
    expect((await call('GET', '/api/endpoints/1/docker/tasks')).body).toEqual([]);
    expect((await call('GET', `/api/stacks/${id}`)).status).toBe(404);
  });

  it('runs a one-shot job to its exit code and serves its output as multiplexed logs', async () => {
    sim.setImage('migrate/tool:2', { exitCode: 3, output: 'applying 0001\nerror: relation exists' });
    const spec = {
      Name: 'job_migrate_1', Labels: { 'livchat.ai/managed-by': 'livchat' },
      TaskTemplate: { ContainerSpec: { Image: 'migrate/tool:2', Args: ['migrate'] }, RestartPolicy: { Condition: 'none' }, Networks: [{ Target: 'traefik-public' }] },
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
    };
    const made = await call('POST', '/api/endpoints/1/docker/services/create', spec);
    expect(made.status).toBe(201);
    clock.advance(1000);
    expect((await tasks('job_migrate_1'))[0].Status.State).not.toBe('failed');
    clock.advance(5000);
    const [t] = await tasks(made.body.ID);
    expect(t.Status).toMatchObject({ State: 'failed', Err: 'task: non-zero exit (3)', ContainerStatus: { ExitCode: 3 } });
    expect(t.DesiredState).toBe('complete');
    clock.advance(60_000);
    expect(await tasks(made.body.ID)).toHaveLength(1);
    const logs = await fetch(`${base}/api/endpoints/1/docker/services/${made.body.ID}/logs?stdout=1&stderr=1&tail=1`, { headers: { 'x-api-key': key } });
    expect(logs.headers.get('content-type')).toBe('application/vnd.docker.multiplexed-stream');
    expect(demux(Buffer.from(await logs.arrayBuffer()))).toEqual([{ stream: 1, text: 'error: relation exists\n' }]);
    expect((await call('GET', `/api/endpoints/1/docker/services/${made.body.ID}/logs`)).status).toBe(400);
    expect((await call('DELETE', `/api/endpoints/1/docker/services/${made.body.ID}`)).status).toBe(200);
    expect((await call('GET', `/api/endpoints/1/docker/services/${made.body.ID}`)).status).toBe(404);

    sim.setImage('migrate/tool:3', { output: 'x'.repeat(300) });
    const ok = await call('POST', '/api/endpoints/1/docker/services/create', { ...spec, Name: 'job_ok', TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { Image: 'migrate/tool:3' } } });
    clock.advance(5000);
    expect((await tasks(ok.body.ID))[0].Status).toMatchObject({ State: 'complete', ContainerStatus: { ExitCode: 0 } });
    const svc = (await call('GET', `/api/endpoints/1/docker/services?status=true&filters=${q({ id: [ok.body.ID] })}`)).body[0];
    expect(svc.ServiceStatus).toMatchObject({ CompletedTasks: 1, DesiredTasks: 0 });
    const long = await fetch(`${base}/api/endpoints/1/docker/services/${ok.body.ID}/logs?stdout=1`, { headers: { 'x-api-key': key } });
    const parts = demux(Buffer.from(await long.arrayBuffer()));
    expect(parts.map((p) => p.text).join('')).toBe(`${'x'.repeat(300)}\n`);
  });

  it('runs a replicated one-shot with restart_policy none to its exit code, without restarting it', async () => {
    sim.setImage('oneshot/tool:1', { exitCode: 5, runMs: 500 });
    const made = await call('POST', '/api/endpoints/1/docker/services/create', {
      Name: 'oneshot', TaskTemplate: { ContainerSpec: { Image: 'oneshot/tool:1' }, RestartPolicy: { Condition: 'none' } }, Mode: { Replicated: { Replicas: 1 } },
    });
    clock.advance(60_000);
    const all = await tasks(made.body.ID);
    expect(all).toHaveLength(1);
    expect(all[0].Status).toMatchObject({ State: 'failed', Err: 'task: non-zero exit (5)', ContainerStatus: { ExitCode: 5 } });
    expect((await service('oneshot')).ServiceStatus).toMatchObject({ RunningTasks: 0, DesiredTasks: 1 });
  });

  it('checks external secrets and referenced secrets at deploy time', async () => {
    const withSecret = (ext: string) => `services:
  app:
    image: nginx:1.27
    secrets: [db_pw]
secrets:
  db_pw:
    ${ext}
`;
    const r = await call('POST', '/api/stacks/create/swarm/string?endpointId=1', { Name: 'sec', SwarmID: 'x', StackFileContent: withSecret('external: true\n    name: sec_db_pw_v1') });
    clock.advance(2000);
    expect((await call('GET', `/api/stacks/${r.body.Id}`)).body.DeploymentStatus.at(-1).Message).toBe('service app: secret not found: sec_db_pw_v1');
    await call('POST', '/api/endpoints/1/docker/secrets/create', { Name: 'sec_db_pw_v1', Data: Buffer.from('pw-value').toString('base64') });
    await call('PUT', `/api/stacks/${r.body.Id}?endpointId=1`, { StackFileContent: withSecret('external: true\n    name: sec_db_pw_v1') });
    clock.advance(2000);
    expect((await call('GET', `/api/stacks/${r.body.Id}`)).body.Status).toBe(1);
    const s = await service('sec_app');
    expect(s.Spec.TaskTemplate.ContainerSpec.Secrets[0]).toMatchObject({ SecretName: 'sec_db_pw_v1', File: { Name: 'db_pw' } });
    const inUse = await call('DELETE', `/api/endpoints/1/docker/secrets/sec_db_pw_v1`);
    expect(inUse.status).toBe(400);
    expect(inUse.body.message).toBe("rpc error: code = InvalidArgument desc = secret 'sec_db_pw_v1' is in use by the following service: sec_app");
  });
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached before the deadline');
    await new Promise((r) => setImmediate(r));
  }
}
