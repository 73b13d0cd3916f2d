// Stack renderer: deterministic bytes, Traefik labels, update settings by class, secrets as Docker secrets or Env, and `docker stack config`.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  dockerSecretName, envFingerprint, fingerprintEnv, renderStack, RenderError, stackName,
  type RenderContext, type RenderedStack,
} from '../../controllers/app-deployment/render.js';
import { resolveHosts, type AppDeploymentInput, type AppTemplate } from '../../controllers/app-deployment/template.js';
import { WHOAMI } from '../../controllers/app-deployment/catalog/whoami.js';

/** A test-only template: an input of each type, a file secret shared by two services, an env secret, a volume, a path route. */
function notes(): AppTemplate {
  return {
    name: 'notes',
    description: 'Test-only notes app.',
    image: 'example/notes',
    versions: { default: '2.1.0', allowed: ['2.0.0', '2.1.0'] },
    inputs: [
      { name: 'TITLE', type: 'string', default: 'Notes', pattern: '[A-Za-z ]{1,20}', description: 'Site title.' },
      { name: 'WORKERS', type: 'integer', default: 2, description: 'Worker count.' },
      { name: 'SIGNUP', type: 'boolean', default: false, description: 'Open signup.' },
      { name: 'ADMIN_EMAIL', type: 'email', required: true, description: 'Administrator email.' },
      { name: 'WEBHOOK', type: 'url', description: 'Outgoing webhook.' },
    ],
    secrets: [
      { name: 'db_password', length: 32, alphabet: 'alphanumeric', file: true },
      { name: 'api_token', length: 40, alphabet: 'hex', file: false, env: 'API_TOKEN' },
    ],
    services: {
      api: {
        image: '${image}:${version}',
        command: ['notes', 'serve', '--workers', '${input.WORKERS}'],
        environment: {
          TITLE: '${input.TITLE}', SIGNUP: '${input.SIGNUP}', ADMIN_EMAIL: '${input.ADMIN_EMAIL}', WEBHOOK: '${input.WEBHOOK}',
          PUBLIC_URL: '${url}/', HOST: '${host}', STACK: '${stack}', DB_HOST: 'db', DB_PASSWORD: '${secret.db_password}',
          API_TOKEN: '${secret.api_token}', PRICE: 'costs $5, literally $${HOME}', RETRIES: 3,
        },
        healthcheck: { test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:8080/healthz'], interval: '10s', timeout: '3s', retries: 3, start_period: '20s' },
        deploy: { placement: { constraints: ['node.role == manager'] }, labels: { 'app.tier': 'web', 'app.price': '$5' } },
      },
      hooks: {
        image: '${image}:${version}',
        command: 'notes hooks --token ${secret.api_token}',
      },
      db: {
        image: 'postgres:17.6-bookworm',
        environment: { POSTGRES_PASSWORD: '${secret.db_password}', POSTGRES_DB: 'notes' },
        volumes: ['data:/var/lib/postgresql/data'],
        healthcheck: { test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U postgres'], interval: '5s' },
      },
    },
    routes: [
      { hostPrefix: 'notes', service: 'api', port: 8080 },
      { hostPrefix: 'notes', service: 'hooks', port: 9000, pathPrefix: '/hooks/' },
    ],
    health: { service: 'api', port: 8080, path: '/healthz' },
    resources: { api: { memoryMB: 256, memoryLimitMB: 512, cpus: 0.5 }, db: { memoryMB: 512 } },
  };
}

const DB_PW = 'Q7rT2mXk9LpW4sVb8NcZ1yHd6FgJ3eAa';
const API_TOKEN = 'c0ffee00deadbeef0123456789abcdef01234567';
const NOTES_SPEC: AppDeploymentInput = { server: 'prod', app: 'notes', env: { ADMIN_EMAIL: 'ops@example.com', WEBHOOK: 'https://hooks.example.org/in?k=$v' } };

function notesCtx(over: Partial<RenderContext> = {}): RenderContext {
  return {
    app: 'notes', stack: 'notes', hosts: resolveHosts(notes(), NOTES_SPEC, 'prod.example.com'), resolver: 'le',
    secrets: { db_password: DB_PW, api_token: API_TOKEN }, tls: true, ...over,
  };
}

function whoami(over: Partial<AppDeploymentInput> = {}, ctx: Partial<RenderContext> = {}): RenderedStack {
  const input: AppDeploymentInput = { server: 'prod', app: 'whoami', ...over };
  return renderStack(WHOAMI, input, { app: 'whoami', stack: 'whoami', hosts: resolveHosts(WHOAMI, input, 'prod.example.com'), resolver: 'le', secrets: {}, tls: true, ...ctx });
}

type Doc = { services: Record<string, Record<string, any>>; networks: Record<string, any>; volumes?: Record<string, any>; secrets?: Record<string, any> };
const doc = (r: RenderedStack) => parse(r.file) as Doc;

/** keysDeep collects every mapping key in a parsed document. */
function keysDeep(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => keysDeep(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.add(k); keysDeep(x, out); }
  return out;
}

/** reversed deep-copies a value with every mapping's keys in reverse order. */
function reversed<T>(v: T): T {
  if (Array.isArray(v)) return v.map(reversed) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) as T;
  return v;
}

describe('determinism', () => {
  it('renders the same bytes and hash twice', () => {
    const a = renderStack(notes(), NOTES_SPEC, notesCtx());
    const b = renderStack(notes(), NOTES_SPEC, notesCtx());
    expect(a.file).toBe(b.file);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toEqual(b);
  });

  it('does not depend on the key order of the spec, the context or the template', () => {
    const a = renderStack(notes(), NOTES_SPEC, notesCtx());
    const spec = { ...NOTES_SPEC, env: reversed({ TITLE: 'My Notes', ...NOTES_SPEC.env }) };
    const b = renderStack(reversed(notes()), spec, { ...notesCtx(), secrets: reversed(notesCtx().secrets), hosts: reversed(notesCtx().hosts) });
    const c = renderStack(notes(), { ...NOTES_SPEC, env: { TITLE: 'My Notes', ...NOTES_SPEC.env } }, notesCtx());
    expect(b.file).toBe(c.file);
    expect(b.hash).toBe(c.hash);
    expect(a.file).not.toBe(c.file);
  });

  it('sorts keys in the file and the Env list by name', () => {
    const r = renderStack(notes(), NOTES_SPEC, notesCtx());
    const top = r.file.split('\n').filter((l) => /^[a-z]/.test(l)).map((l) => l.replace(/:.*/, ''));
    expect(top).toEqual([...top].sort());
    expect(r.env.map((e) => e.name)).toEqual([...r.env.map((e) => e.name)].sort());
  });
});

describe('whoami', () => {
  it('routes through Traefik on websecure with the one resolver, prefixed <stack>-<svc>', () => {
    const r = whoami();
    const svc = doc(r).services.whoami!;
    expect(svc.image).toBe('traefik/whoami:v1.11.0');
    expect(svc.deploy.labels).toEqual({
      'livchat.ai/app': 'whoami',
      'livchat.ai/managed-by': 'livchat',
      'traefik.enable': 'true',
      'traefik.swarm.network': 'traefik-public',
      'traefik.http.routers.whoami-whoami.rule': 'Host(`whoami.prod.example.com`)',
      'traefik.http.routers.whoami-whoami.entrypoints': 'websecure',
      'traefik.http.routers.whoami-whoami.tls.certresolver': 'le',
      'traefik.http.routers.whoami-whoami.service': 'whoami-whoami',
      'traefik.http.services.whoami-whoami.loadbalancer.server.port': '80',
    });
    expect(svc.networks).toEqual(['default', 'traefik-public']);
    expect(doc(r).networks).toEqual({ default: { driver: 'overlay', attachable: true }, 'traefik-public': { external: true } });
    expect(r.hosts).toEqual(['whoami.prod.example.com']);
    expect(r.health).toEqual({ service: 'whoami_whoami', fqdn: 'whoami.prod.example.com', port: 80, path: '/health', url: 'https://whoami.prod.example.com/health' });
    expect(r.deadlineMs).toBe(600_000);
  });

  it('updates start-first with rollback, rolls back with pause, and publishes no port', () => {
    const r = whoami();
    const d = doc(r).services.whoami!.deploy;
    expect(d.update_config).toEqual({ order: 'start-first', failure_action: 'rollback', monitor: '30s', parallelism: 1 });
    expect(d.rollback_config).toEqual({ order: 'start-first', failure_action: 'pause', monitor: '30s', parallelism: 1 });
    expect(d.resources).toEqual({ reservations: { memory: '16M' }, limits: { memory: '64M' } });
    expect(keysDeep(doc(r)).has('ports')).toBe(false);
    expect(r.file).not.toMatch(/published|ports:/);
  });

  it('follows spec.version, host, domain, replicas and env', () => {
    const r = whoami({ version: '1.10.3', host: 'hello', replicas: 3, env: { NAME: 'edge one' } });
    const svc = doc(r).services.whoami!;
    expect(svc.image).toBe('traefik/whoami:v1.10.3');
    expect(svc.deploy.replicas).toBe(3);
    expect(svc.environment).toEqual({ WHOAMI_NAME: 'edge one' });
    expect(svc.deploy.labels['traefik.http.routers.whoami-whoami.rule']).toBe('Host(`hello.prod.example.com`)');
    expect(r.services[0]).toMatchObject({ name: 'whoami_whoami', image: 'traefik/whoami:v1.10.3', replicas: 3, envKeys: ['WHOAMI_NAME'], hasVolumes: false });
    expect(whoami({ domain: 'who.example.org' }).hosts).toEqual(['who.example.org']);
  });

  it('leaves the router out until TLS is enabled, without changing the task template', () => {
    const on = whoami();
    const off = whoami({}, { tls: false });
    const labels = doc(off).services.whoami!.deploy.labels;
    expect(labels).toEqual({ 'livchat.ai/app': 'whoami', 'livchat.ai/managed-by': 'livchat', 'traefik.enable': 'false' });
    // The network stays: joining it later would be a task-template change, hence a restart.
    expect(doc(off).services.whoami!.networks).toEqual(['default', 'traefik-public']);
    expect(off.routes).toEqual([{ router: 'whoami-whoami', service: 'whoami_whoami', fqdn: 'whoami.prod.example.com', port: 80, tls: false }]);
    expect(off.services[0]!.taskHash).toBe(on.services[0]!.taskHash);
    expect(off.hash).not.toBe(on.hash);
    expect(whoami({}, { tls: { 'whoami.prod.example.com': true } }).file).toBe(on.file);
    expect(whoami({}, { tls: { 'other.prod.example.com': true } }).file).toBe(off.file);
  });

  it('refuses an invalid spec with JSON paths, and an unnormalised stack name', () => {
    let err: unknown;
    try { whoami({ env: { FOO: 'x' }, version: '2.0.0' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).problems.map((p) => p.path)).toEqual(['/spec/version', '/spec/env/FOO']);
    expect(() => whoami({}, { stack: 'Who.Ami' })).toThrow(/not normalised \(want "whoami"\)/);
    expect(stackName('My.App_1')).toBe('myapp_1');
  });
});

describe('secrets and the mechanism template', () => {
  it('mounts a file secret as an external Docker secret and sets <VAR>_FILE, never the value', () => {
    const r = renderStack(notes(), NOTES_SPEC, notesCtx());
    const d = doc(r);
    const name = dockerSecretName('notes', 'db_password', DB_PW);
    expect(name).toMatch(/^notes_db_password_[0-9a-f]{10}$/);
    expect(d.secrets).toEqual({ db_password: { external: true, name } });
    expect(r.dockerSecrets).toEqual([{ name, secret: 'db_password', labels: { 'livchat.ai/app': 'notes', 'livchat.ai/managed-by': 'livchat' } }]);
    expect(d.services.api!.secrets).toEqual([{ source: 'db_password', target: 'db_password' }]);
    expect(d.services.db!.secrets).toEqual([{ source: 'db_password', target: 'db_password' }]);
    expect(d.services.hooks!.secrets).toBeUndefined();
    expect(d.services.api!.environment.DB_PASSWORD_FILE).toBe('/run/secrets/db_password');
    expect(d.services.api!.environment.DB_PASSWORD).toBeUndefined();
    expect(d.services.db!.environment.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/db_password');
    expect(r.file).not.toContain(DB_PW);
    expect(JSON.stringify(r.env)).not.toContain(DB_PW);
    expect(JSON.stringify({ ...r, file: undefined, env: undefined })).not.toContain(DB_PW);
  });

  it('passes an env secret only in the stack Env, referenced as ${VAR} in the file', () => {
    const r = renderStack(notes(), NOTES_SPEC, notesCtx());
    expect(r.env).toEqual([{ name: 'API_TOKEN', value: API_TOKEN }]);
    expect(r.file).not.toContain(API_TOKEN);
    expect(doc(r).services.api!.environment.API_TOKEN).toBe('${API_TOKEN}');
    expect(doc(r).services.hooks!.command).toBe('notes hooks --token ${API_TOKEN}');
    expect(JSON.stringify({ ...r, env: undefined })).not.toContain(API_TOKEN);
    expect(r.services.find((s) => s.service === 'api')!.envDigests.API_TOKEN).toBe(envFingerprint(API_TOKEN));
  });

  it('changes the hash on rotation: a file secret gets a new Docker name, an env secret a new Env value', () => {
    const base = renderStack(notes(), NOTES_SPEC, notesCtx());
    const file = renderStack(notes(), NOTES_SPEC, notesCtx({ secrets: { db_password: DB_PW.replace('Q', 'R'), api_token: API_TOKEN } }));
    const env = renderStack(notes(), NOTES_SPEC, notesCtx({ secrets: { db_password: DB_PW, api_token: API_TOKEN.replace('c', 'd') } }));
    expect(file.file).not.toBe(base.file);
    expect(file.dockerSecrets[0]!.name).not.toBe(base.dockerSecrets[0]!.name);
    expect(file.hash).not.toBe(base.hash);
    expect(env.file).toBe(base.file);
    expect(env.hash).not.toBe(base.hash);
    const task = (r: RenderedStack, s: string) => r.services.find((x) => x.service === s)!.taskHash;
    expect(task(file, 'db')).not.toBe(task(base, 'db'));
    expect(task(env, 'api')).not.toBe(task(base, 'api'));
    expect(task(env, 'db')).toBe(task(base, 'db'));
  });

  it('escapes literal $ for compose interpolation, from the template and from inputs', () => {
    const env = doc(renderStack(notes(), NOTES_SPEC, notesCtx())).services.api!.environment;
    expect(env.PRICE).toBe('costs $$5, literally $${HOME}');
    expect(env.WEBHOOK).toBe('https://hooks.example.org/in?k=$$v');
    expect(env.RETRIES).toBe('3');
    expect(env.SIGNUP).toBe('false');
    expect(env.PUBLIC_URL).toBe('https://notes.prod.example.com/');
    expect(env.STACK).toBe('notes');
  });

  it('renders stateful services stop-first, unscaled, with labelled volumes; stateless ones scale', () => {
    const r = renderStack(notes(), { ...NOTES_SPEC, replicas: 3 }, notesCtx());
    const d = doc(r);
    expect(d.services.db!.deploy.update_config).toEqual({ order: 'stop-first', failure_action: 'rollback', monitor: '30s', parallelism: 1 });
    expect(d.services.db!.deploy.rollback_config).toEqual({ order: 'stop-first', failure_action: 'pause', monitor: '30s', parallelism: 1 });
    expect(d.services.db!.deploy.replicas).toBe(1);
    expect(d.services.api!.deploy.replicas).toBe(3);
    expect(d.services.db!.volumes).toEqual([{ type: 'volume', source: 'data', target: '/var/lib/postgresql/data' }]);
    expect(d.volumes).toEqual({ data: { labels: { 'livchat.ai/app': 'notes', 'livchat.ai/managed-by': 'livchat' } } });
    expect(r.volumes).toEqual(['notes_data']);
    expect(d.services.db!.networks).toEqual(['default']);
    expect(d.services.db!.deploy.labels['traefik.enable']).toBeUndefined();
    expect(r.services.map((s) => [s.service, s.hasVolumes])).toEqual([['api', false], ['db', true], ['hooks', false]]);
  });

  it('carries healthchecks, placement, template labels and resources; routes a path prefix', () => {
    const d = doc(renderStack(notes(), NOTES_SPEC, notesCtx()));
    expect(d.services.api!.healthcheck).toEqual({ test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:8080/healthz'], interval: '10s', timeout: '3s', retries: 3, start_period: '20s' });
    expect(d.services.api!.command).toEqual(['notes', 'serve', '--workers', '2']);
    expect(d.services.api!.deploy.placement).toEqual({ constraints: ['node.role == manager'] });
    expect(d.services.api!.deploy.labels['app.tier']).toBe('web');
    expect(d.services.api!.deploy.labels['app.price']).toBe('$$5');
    // The expectation holds the label as Docker will after interpolation.
    expect(renderStack(notes(), NOTES_SPEC, notesCtx()).services.find((x) => x.service === 'api')!.labels['app.price']).toBe('$5');
    expect(d.services.api!.deploy.resources).toEqual({ reservations: { memory: '256M' }, limits: { memory: '512M', cpus: '0.5' } });
    expect(d.services.hooks!.deploy.labels['traefik.http.routers.notes-hooks.rule']).toBe('Host(`notes.prod.example.com`) && PathPrefix(`/hooks/`)');
    expect(d.services.hooks!.deploy.labels['traefik.http.services.notes-hooks.loadbalancer.server.port']).toBe('9000');
  });

  it('names a missing secret or host without revealing any value', () => {
    expect(() => renderStack(notes(), NOTES_SPEC, notesCtx({ secrets: { api_token: API_TOKEN } }))).toThrow(/no value was given for secret db_password/);
    let msg = '';
    try { renderStack(notes(), NOTES_SPEC, notesCtx({ secrets: { api_token: API_TOKEN }, hosts: {} })); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/no FQDN was given for host prefix notes/);
    expect(msg).not.toContain(API_TOKEN);
  });

  it('keeps Docker secret names within 64 characters', () => {
    const long = 'a'.repeat(63);
    expect(dockerSecretName(long, 'encryption_key_for_workers_xyz', DB_PW).length).toBeLessThanOrEqual(64);
  });

  it('fingerprints observed Docker env lists like rendered ones', () => {
    const r = renderStack(notes(), NOTES_SPEC, notesCtx());
    const api = r.services.find((s) => s.service === 'api')!;
    const observed = fingerprintEnv([`API_TOKEN=${API_TOKEN}`, 'DB_PASSWORD_FILE=/run/secrets/db_password', 'PRICE=costs $5, literally ${HOME}']);
    expect(observed.API_TOKEN).toBe(api.envDigests.API_TOKEN);
    expect(observed.DB_PASSWORD_FILE).toBe(api.envDigests.DB_PASSWORD_FILE);
    expect(observed.PRICE).toBe(api.envDigests.PRICE);
  });
});

// `docker stack config` validates and interpolates a stack file without an engine.
function findDocker(): string | undefined {
  for (const dir of ['/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter)]) {
    const p = join(dir, 'docker');
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}
const DOCKER = findDocker();
if (!DOCKER) console.log('skipping docker stack config checks: no docker CLI found in /usr/local/bin or PATH');

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

/** stackConfig runs `docker stack config -c FILE` with the stack Env, as Portainer would interpolate it. */
async function stackConfig(r: { file: string; env: Array<{ name: string; value: string }> }): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'livchat-stack-'));
  dirs.push(dir);
  const file = join(dir, 'stack.yml');
  await writeFile(file, r.file);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: dir, DOCKER_CONFIG: dir };
  for (const e of r.env) env[e.name] = e.value;
  return new Promise((resolve) => {
    execFile(DOCKER!, ['stack', 'config', '-c', file], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!DOCKER)('docker stack config', () => {
  const rendered: Array<[string, () => RenderedStack]> = [
    ['whoami', () => whoami()],
    ['whoami without TLS', () => whoami({}, { tls: false })],
    ['whoami with host, replicas and env', () => whoami({ host: 'hi', replicas: 2, env: { NAME: 'x y' }, version: '1.10.3' })],
    ['the mechanism template', () => renderStack(notes(), { ...NOTES_SPEC, replicas: 2 }, notesCtx())],
  ];
  for (const [name, render] of rendered) {
    it(`accepts the rendered file: ${name}`, async () => {
      const out = await stackConfig(render());
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(parse(out.stdout).services).toBeTruthy();
    });
  }

  it('interpolates the Env secret and the escaped text as the container will see them', async () => {
    const out = await stackConfig(renderStack(notes(), NOTES_SPEC, notesCtx()));
    expect(out.code).toBe(0);
    const env = parse(out.stdout).services.api.environment;
    expect(env.API_TOKEN).toBe(API_TOKEN);
    expect(env.PRICE).toBe('costs $5, literally ${HOME}');
    expect(env.WEBHOOK).toBe('https://hooks.example.org/in?k=$v');
    expect(env.DB_PASSWORD_FILE).toBe('/run/secrets/db_password');
  });

  it('rejects a file Docker would reject, so the check has teeth', async () => {
    const r = whoami();
    const out = await stackConfig({ file: r.file.replace('    image: traefik/whoami:v1.11.0\n', '    image: traefik/whoami:v1.11.0\n    bogus: 1\n'), env: [] });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/bogus/);
  });
});
