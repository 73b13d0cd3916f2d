// Portainer contract suite through the AppPlatform port: always against the simulator, against a real Portainer when asked.
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppPlatform, Stack } from '../../controllers/app-deployment/port.js';
import { DomainError } from '../../src/engine/errors.js';
import { TokenBucket } from '../../src/providers/limiter.js';
import { PortainerClient, type PortainerClientOptions } from '../../src/providers/portainer.js';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createPortainerSim, type PortainerSim } from '../../src/sim/portainer.js';

/** ContractTarget is one backend the suite runs against. */
interface ContractTarget {
  kind: 'sim' | 'live';
  platform(opts?: Partial<PortainerClientOptions>): AppPlatform;
  /** White-box access, simulator only. */
  sim?: { server: SimServer; service: PortainerSim; clock: SimClock; instanceId: number; baseUrl: string };
  /** eventually repeats `check` until it passes: the simulator moves its clock, a live run polls against a deadline. */
  eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T>;
  close(): Promise<void>;
}

const ADMIN_PW = 'contract-admin-password-0123';
const JOB_IMAGE = 'alpine:3.20';

function stackFile(image: string, extra = ''): string {
  return `version: "3.8"
services:
  web:
    image: ${image}
    environment:
      GREETING: \${GREETING:-none}
    deploy:
      replicas: 1
      labels:
        - livchat.ai/managed-by=livchat
        - livchat.ai/app=contract
      update_config: {order: start-first, failure_action: rollback, monitor: 10s}
      rollback_config: {failure_action: pause}
${extra}`;
}

const codeOf = (e: unknown) => (e instanceof DomainError ? e.code : `not a DomainError: ${String(e)}`);

/** runPortainerContract defines the port's contract for one backend. */
function runPortainerContract(kind: 'sim' | 'live', makeTarget: () => Promise<ContractTarget>): void {
  const simOnly = kind !== 'sim';
  const run = randomBytes(3).toString('hex');
  const name = (n: string) => `lc${run}-${n}`;
  let t: ContractTarget;
  let p: AppPlatform;
  const created: number[] = [];
  const secrets: string[] = [];
  const track = (s: Stack) => { created.push(s.id); return s; };

  beforeAll(async () => {
    t = await makeTarget();
    p = t.platform();
  });

  afterAll(async () => {
    // A live run leaves the server as it found it.
    for (const id of created) await p?.deleteStack(id).catch(() => undefined);
    for (const id of secrets) await p?.deleteSecret(id).catch(() => undefined);
    await t?.close();
  });

  const active = (id: number) => t.eventually(async () => {
    const s = (await p.listStacks()).find((x) => x.id === id);
    return s && s.status !== 'deploying' ? s : undefined;
  }, `stack ${id} to finish deploying`);

  it('reports the admin as initialised and finds the swarm environment', async () => {
    expect(await p.adminInitialised()).toBe(true);
    // Not part of the port: the Server side reads the running version against the pin.
    expect((await (p as PortainerClient).systemStatus()).version).toMatch(/^\d+\.\d+\.\d+/);
    const env = await p.environment();
    expect(env.endpointId).toBeGreaterThan(0);
    expect(env.swarmId).toMatch(/^[a-z0-9]{25}$/);
  });

  it('creates a stack asynchronously, then shows it with its env, file, service and tasks', async () => {
    const file = stackFile('traefik/whoami:v1.11.0');
    const s = track(await p.createStack({ name: name('web'), file, env: { GREETING: 'hello' } }));
    expect(s).toMatchObject({ name: name('web'), env: { GREETING: 'hello' } });
    expect(['deploying', 'active']).toContain(s.status);
    const done = await active(s.id);
    expect(done.status).toBe('active');
    expect(await p.stackFile(s.id)).toBe(file);
    const svc = await t.eventually(async () => {
      const x = (await p.listServices()).find((v) => v.name === `${name('web')}_web`);
      return x && x.running === 1 ? x : undefined;
    }, 'the service to run');
    expect(svc).toMatchObject({ stack: name('web'), image: 'traefik/whoami:v1.11.0', replicas: 1, desired: 1, mode: 'replicated', env: { GREETING: 'hello' } });
    expect(svc.labels).toMatchObject({ 'livchat.ai/app': 'contract', 'com.docker.stack.namespace': name('web') });
    const tasks = (await p.listTasks()).filter((x) => x.serviceId === svc.id);
    expect(tasks.some((x) => x.state === 'running' && x.desiredState === 'running' && x.image === 'traefik/whoami:v1.11.0')).toBe(true);
    expect(await p.serviceLogs(svc.id, 50)).toBeInstanceOf(Array);
  });

  it('maps a name clash to Conflict and a missing stack to NotFound', async () => {
    const s = track(await p.createStack({ name: name('dup'), file: stackFile('traefik/whoami:v1.11.0'), env: {} }));
    const clash = await p.createStack({ name: name('DUP'), file: stackFile('traefik/whoami:v1.11.0'), env: {} }).catch((e: unknown) => e);
    expect(codeOf(clash)).toBe('Conflict');
    expect((clash as DomainError).detail).toMatchObject({ provider: 'portainer', status: 409 });
    expect((clash as Error).message).toContain(`A stack with the normalized name '${name('dup')}' already exists`);
    expect(codeOf(await p.stackFile(987_654).catch((e: unknown) => e))).toBe('NotFound');
    await active(s.id);
  });

  it('replaces Env whole on update and keeps the new file', async () => {
    const s = track(await p.createStack({ name: name('env'), file: stackFile('traefik/whoami:v1.11.0'), env: { A: '1', B: '2' } }));
    await active(s.id);
    const file2 = stackFile('traefik/whoami:v1.11.0').replace('replicas: 1', 'replicas: 2');
    const u = await p.updateStack(s.id, { file: file2, env: { C: '3' } });
    expect(u.env).toEqual({ C: '3' });
    const done = await active(s.id);
    expect(done.env).toEqual({ C: '3' });
    expect(done.updatedAt).toBeGreaterThanOrEqual(done.createdAt);
    expect(await p.stackFile(s.id)).toBe(file2);
  });

  it('reports a failed deploy as error with Docker\'s message and keeps the previous file', async () => {
    const good = stackFile('traefik/whoami:v1.11.0');
    const s = track(await p.createStack({ name: name('bad'), file: good, env: {} }));
    await active(s.id);
    const missing = name('missing-net');
    const broken = `${good}    networks: [${missing}]\nnetworks:\n  ${missing}:\n    external: true\n`;
    await p.updateStack(s.id, { file: broken, env: {} });
    const failed = await active(s.id);
    expect(failed.status).toBe('error');
    expect(failed.message).toContain(`network "${missing}" is declared as external, but could not be found`);
    expect(await p.stackFile(s.id)).toBe(good);
  });

  it('creates, lists and deletes Docker secrets, and a duplicate is a Conflict', async () => {
    const value = `v-${randomBytes(12).toString('hex')}`;
    const sec = await p.createSecret(name('pw'), value, { 'livchat.ai/app': 'contract' });
    secrets.push(sec.id);
    const listed = (await p.listSecrets()).find((x) => x.id === sec.id);
    expect(listed).toMatchObject({ name: name('pw'), labels: { 'livchat.ai/app': 'contract' } });
    expect(JSON.stringify(await p.listSecrets())).not.toContain(value);
    const dup = await p.createSecret(name('pw'), value, {}).catch((e: unknown) => e);
    expect(codeOf(dup)).toBe('Conflict');
    expect(`${String(dup)} ${JSON.stringify(dup)}`).not.toContain(value);
    await p.deleteSecret(sec.id);
    secrets.pop();
    expect((await p.listSecrets()).some((x) => x.id === sec.id)).toBe(false);
    expect(codeOf(await p.deleteSecret(sec.id).catch((e: unknown) => e))).toBe('NotFound');
  });

  it('runs a one-shot job to its exit code and output, then removes it', async () => {
    const job = await p.runJob({ name: name('job'), image: JOB_IMAGE, command: ['sh', '-c', 'echo livchat-job-output; exit 3'], env: { X: '1' }, labels: { 'livchat.ai/managed-by': 'livchat' } });
    const st = await t.eventually(async () => { const x = await p.jobStatus(job); return x.state === 'complete' || x.state === 'failed' ? x : undefined; }, 'the job to end');
    expect(st).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(st.output).toContain('livchat-job-output');
    await p.removeJob(job);
    await p.removeJob(job);
  });

  it('deletes a stack once its tasks are gone', async () => {
    const s = await p.createStack({ name: name('del'), file: stackFile('traefik/whoami:v1.11.0'), env: {} });
    await active(s.id);
    const svc = await t.eventually(async () => (await p.listServices()).find((v) => v.stack === name('del')), 'the service');
    await p.deleteStack(s.id);
    expect((await p.listStacks()).some((x) => x.id === s.id)).toBe(false);
    expect((await p.listServices()).some((x) => x.id === svc.id)).toBe(false);
    expect((await p.listTasks()).filter((x) => x.serviceId === svc.id && !['shutdown', 'complete', 'failed', 'rejected', 'remove', 'orphaned'].includes(x.state))).toEqual([]);
  });

  it('maps a bad API key to Unauthorized scoped to the token, without leaking it', async () => {
    const secret = `ptr_${randomBytes(24).toString('base64')}`;
    const err = await t.platform({ apiKey: secret }).listStacks().catch((e: unknown) => e);
    expect(codeOf(err)).toBe('Unauthorized');
    expect(err).toMatchObject({ scope: 'portainer-token', detail: { status: 401 } });
    expect(`${String(err)} ${(err as Error).stack} ${JSON.stringify(err)}`).not.toContain(secret);
  });

  describe.skipIf(simOnly)('simulator-only checks', () => {
    it('bootstraps through the port: login gives a JWT and its user id, createToken needs the JWT and the password', async () => {
      const boot = t.platform({ apiKey: undefined });
      const bad = await boot.login('admin', 'not-the-password').catch((e: unknown) => e);
      expect(codeOf(bad)).toBe('Invalid');
      expect(`${String(bad)} ${JSON.stringify(bad)}`).not.toContain('not-the-password');
      const { jwt, userId } = await boot.login('admin', ADMIN_PW);
      expect(userId).toBe(1);
      const wrong = await boot.createToken(jwt, userId, 'wrong-password-here', 'x').catch((e: unknown) => e);
      expect(codeOf(wrong)).toBe('Unauthorized');
      const key = await boot.createToken(jwt, userId, ADMIN_PW, 'contract second key');
      expect(key).toMatch(/^ptr_/);
      expect(await t.platform({ apiKey: key }).listStacks()).toBeInstanceOf(Array);
    });

    it('maps a PUT during an asynchronous deploy to Locked', async () => {
      const s = track(await p.createStack({ name: name('busy'), file: stackFile('traefik/whoami:v1.11.0'), env: {} }));
      expect(s.status).toBe('deploying');
      const err = await p.updateStack(s.id, { file: stackFile('traefik/whoami:v1.11.0'), env: {} }).catch((e: unknown) => e);
      expect(codeOf(err)).toBe('Locked');
      expect((err as Error).message).toContain('Stack deployment is already in progress');
      await active(s.id);
    });

    it('shows an image that fails to pull as rejected tasks and a completed rollback', async () => {
      t.sim!.service.setImage('traefik/whoami:v0.0.0-missing', { pullFails: true });
      const s = track(await p.createStack({ name: name('rb'), file: stackFile('traefik/whoami:v1.11.0'), env: {} }));
      await active(s.id);
      await t.eventually(async () => ((await p.listServices()).find((v) => v.stack === name('rb'))?.running === 1 ? true : undefined), 'first version running');
      await p.updateStack(s.id, { file: stackFile('traefik/whoami:v0.0.0-missing'), env: {} });
      await active(s.id);
      const svc = await t.eventually(async () => {
        const v = (await p.listServices()).find((x) => x.stack === name('rb'));
        return v?.update?.state === 'rollback_completed' ? v : undefined;
      }, 'the rollback to complete');
      expect(svc.update!.message).toBe('rollback completed');
      expect(svc.image).toBe('traefik/whoami:v1.11.0');
      const rejected = (await p.listTasks()).find((x) => x.serviceId === svc.id && x.state === 'rejected');
      expect(rejected).toMatchObject({ err: 'No such image: traefik/whoami:v0.0.0-missing', image: 'traefik/whoami:v0.0.0-missing' });
    });

    it('observes a server with 10 apps in at most 3 requests', async () => {
      const env = await p.environment();
      const ids: number[] = [];
      for (let i = 0; i < 10; i++) ids.push(track(await p.createStack({ name: name(`app${i}`), file: stackFile('traefik/whoami:v1.11.0'), env: { I: String(i) } })).id);
      for (const id of ids) await active(id);
      // A client built from the Server's status knows its environment: no lookups.
      const ops: string[] = [];
      const steady = t.platform({ endpointId: env.endpointId, swarmId: env.swarmId, onRequest: (op) => ops.push(op) });
      t.sim!.server.resetCounters();
      const [stacks, services, tasks] = [await steady.listStacks(), await steady.listServices(), await steady.listTasks()];
      expect(t.sim!.server.requests().total).toBe(3);
      expect(ops).toEqual(['stacks.list', 'docker.services.list', 'docker.tasks.list']);
      expect(stacks.filter((s) => s.name.startsWith(name('app')))).toHaveLength(10);
      expect(services.filter((s) => s.stack?.startsWith(name('app')))).toHaveLength(10);
      expect(tasks.length).toBeGreaterThanOrEqual(10);
      // A client that has to find the environment pays two requests once.
      const cold = t.platform({ onRequest: (op) => ops.push(op) });
      ops.length = 0;
      await cold.listServices();
      await cold.listServices();
      expect(ops).toEqual(['endpoints.list', 'docker.swarm', 'docker.services.list', 'docker.services.list']);
    });

    it('maps the /api/auth IP ban to RateLimited for an hour', async () => {
      const boot = t.platform({ apiKey: undefined });
      let err: unknown;
      for (let i = 0; i < 12 && !err; i++) err = await boot.login('admin', 'wrong-password-x').then(() => undefined, (e: unknown) => (codeOf(e) === 'RateLimited' ? e : undefined));
      expect(codeOf(err)).toBe('RateLimited');
      expect(err).toMatchObject({ retryAfterMs: 3_600_000, detail: { status: 403, message: 'Access denied' } });
      t.sim!.clock.advance(3_600_001);
    });

    it('maps transport failures to Unavailable, retries reads on a gateway error, and scrubs echoed secrets', async () => {
      const { server, baseUrl } = t.sim!;
      const noHost = new PortainerClient({ baseUrl: baseUrl.replace(/\/\d+$/, '/999'), apiKey: 'ptr_whatever-key-000', maxRetries: 0 });
      expect(codeOf(await noHost.listStacks().catch((e: unknown) => e))).toBe('Unavailable');
      const ops: string[] = [];
      const c = t.platform({ onRequest: (op, status) => ops.push(`${op} ${status}`), maxRetries: 1, random: () => 0 });
      server.addFault({ route: 'GET /portainer/{inst}/api/stacks', status: 502, times: 1 });
      expect(await c.listStacks()).toBeInstanceOf(Array);
      expect(ops).toEqual(['stacks.list 502', 'stacks.list 200']);
      server.addFault({ route: 'POST /portainer/{inst}/api/stacks/create/swarm/string', reset: 'before' });
      const reset = await c.createStack({ name: name('reset'), file: stackFile('x:1'), env: {} }).catch((e: unknown) => e);
      expect(codeOf(reset)).toBe('Unavailable');
      expect((reset as Error).message).toContain('outcome unknown, not retried');
      const canary = `canary-${randomBytes(8).toString('hex')}`;
      server.addFault({ route: 'PUT /portainer/{inst}/api/stacks/{id}', status: 500, body: { message: `deploy failed near ${canary}` } });
      const s = track(await c.createStack({ name: name('echo'), file: stackFile('traefik/whoami:v1.11.0'), env: {} }));
      await active(s.id);
      const echoed = await c.updateStack(s.id, { file: stackFile('traefik/whoami:v1.11.0'), env: { TOKEN: canary } }).catch((e: unknown) => e);
      expect(codeOf(echoed)).toBe('Unavailable');
      expect(`${String(echoed)} ${JSON.stringify(echoed)}`).not.toContain(canary);
      // A plain keep-alive Agent is what an injected tunnel agent looks like to the client.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      expect(await t.platform({ agent }).listStacks()).toBeInstanceOf(Array);
      agent.destroy();
    });
  });
}

async function simTarget(): Promise<ContractTarget> {
  const clock = new SimClock();
  const service = createPortainerSim({ clock, deployDelayMs: 2000 });
  const server = new SimServer({ services: [service], clock });
  await server.listen();
  const instanceId = 42;
  service.addInstance(instanceId, { adminPassword: ADMIN_PW, traefikPublic: true });
  // The job image's behaviour, as the real alpine image would run the contract's command.
  service.setImage(JOB_IMAGE, { exitCode: 3, output: 'livchat-job-output' });
  const baseUrl = `${server.baseUrl('portainer')}/${instanceId}`;
  const limiter = new TokenBucket({ limit: 100_000, windowMs: 1000 });
  const boot = new PortainerClient({ baseUrl, limiter });
  const { jwt, userId } = await boot.login('admin', ADMIN_PW);
  const apiKey = await boot.createToken(jwt, userId, ADMIN_PW, 'contract');
  return {
    kind: 'sim',
    sim: { server, service, clock, instanceId, baseUrl },
    platform: (opts = {}) => new PortainerClient({ baseUrl, apiKey, limiter, ...opts }),
    async eventually(check, what) {
      for (let i = 0; i < 900; i++) {
        const v = await check();
        if (v !== undefined) return v;
        clock.advance(1000);
      }
      throw new Error(`simulator never reached: ${what}`);
    },
    close: () => server.close(),
  };
}

const liveUrl = process.env.LIVCHAT_LIVE_PORTAINER_URL;
const liveToken = process.env.LIVCHAT_LIVE_PORTAINER_TOKEN;
const live = !!liveUrl && !!liveToken;
if (!live) console.log('portainer contract: live run skipped (set LIVCHAT_LIVE_PORTAINER_URL, the base URL before /api, and LIVCHAT_LIVE_PORTAINER_TOKEN)');

describe('Portainer contract: simulator', () => {
  runPortainerContract('sim', simTarget);
});

describe.skipIf(!live)('Portainer contract: live Portainer', () => {
  runPortainerContract('live', async () => ({
    kind: 'live',
    platform: (opts = {}) => new PortainerClient({ baseUrl: liveUrl!, apiKey: liveToken!, ...opts }),
    async eventually(check, what) {
      // A real server converges in real time: poll against a deadline.
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const v = await check();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`live Portainer never reached: ${what}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    },
    close: async () => undefined,
  }));
});
