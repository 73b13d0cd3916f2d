// App template mechanism: template self-checks, AppDeployment input checks with JSON paths, secrets, versions, hosts, catalog.
import { describe, expect, it } from 'vitest';
import {
  checkInputValue, compareVersions, generateSecret, isDowngrade, isMajorChange, resolveHosts, resolveInputs,
  scalableServices, secretMatchesSpec, statefulServices, validateDeployment, validateTemplate,
  type AppDeploymentInput, type AppTemplate,
} from '../../controllers/app-deployment/template.js';
import { parseTemplateString } from '../../controllers/app-deployment/render-placeholders.js';
import { isPinnedImage } from '../../controllers/app-deployment/render-fragment.js';
import { BUILTIN_TEMPLATES, findTemplate, templateNames } from '../../controllers/app-deployment/catalog/index.js';
import { WHOAMI } from '../../controllers/app-deployment/catalog/whoami.js';

/** A test-only template exercising inputs of every type, a file secret, an env secret and a stateful service. */
function notes(): AppTemplate {
  return {
    name: 'notes',
    description: 'Test-only notes app.',
    image: 'example/notes',
    versions: { default: '2.1.0', allowed: ['2.0.0', '2.1.0', '3.0.0'], major: [{ from: '2.*', to: '3.*' }] },
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
        command: ['notes', 'serve', '--workers', '${input.WORKERS}', '--token', '${secret.api_token}'],
        environment: { TITLE: '${input.TITLE}', DB_PASSWORD: '${secret.db_password}', PUBLIC_URL: '${url}/' },
      },
      db: {
        image: 'postgres:17.6-bookworm',
        environment: { POSTGRES_PASSWORD: '${secret.db_password}' },
        volumes: ['data:/var/lib/postgresql/data'],
      },
    },
    routes: [{ hostPrefix: 'notes', service: 'api', port: 8080 }],
    health: { service: 'api', port: 8080, path: '/healthz' },
  };
}

const spec = (over: Partial<AppDeploymentInput> = {}): AppDeploymentInput => ({ server: 'prod', app: 'notes', env: { ADMIN_EMAIL: 'ops@example.com' }, ...over });
const paths = (issues: Array<{ path: string }>) => issues.map((i) => i.path);
const find = (issues: Array<{ path: string; message: string }>, path: string) => issues.find((i) => i.path === path)?.message;

describe('template validation', () => {
  it('accepts the built-in whoami and the test template', () => {
    expect(validateTemplate(WHOAMI)).toEqual([]);
    expect(validateTemplate(notes())).toEqual([]);
  });

  it('rejects a template that publishes ports, with the reason', () => {
    const t = notes();
    t.services.api!.ports = ['8080:8080'];
    const issues = validateTemplate(t, '/spec');
    expect(find(issues, '/spec/services/api/ports')).toMatch(/never publish ports/);
  });

  it('names an unknown placeholder and an undeclared input or secret', () => {
    const t = notes();
    t.services.api!.environment = { A: '${inputs.TITLE}', B: '${input.NOPE}', C: '${secret.nope}', D: '${HOME}', E: '${host.other}' };
    const issues = validateTemplate(t);
    expect(find(issues, '/services/api/environment/A')).toMatch(/unknown placeholder \$\{inputs\.TITLE\}/);
    expect(find(issues, '/services/api/environment/B')).toMatch(/undeclared input NOPE/);
    expect(find(issues, '/services/api/environment/C')).toMatch(/undeclared secret nope/);
    expect(find(issues, '/services/api/environment/D')).toMatch(/malformed placeholder \$\{HOME\}/);
    expect(find(issues, '/services/api/environment/E')).toMatch(/no route host prefix; known: notes/);
  });

  it('keeps secrets out of labels and images, and file secrets whole inside environment', () => {
    const t = notes();
    t.services.api!.deploy = { labels: { 'x.token': '${secret.api_token}', 'traefik.enable': 'true' } };
    t.services.api!.image = '${image}:${input.TITLE}';
    t.services.db!.command = ['postgres', '-c', 'password=${secret.db_password}'];
    t.services.db!.environment = { POSTGRES_PASSWORD: 'x${secret.db_password}' };
    const issues = validateTemplate(t);
    expect(find(issues, '/services/api/deploy/labels/x.token')).toMatch(/may only appear in environment/);
    expect(find(issues, '/services/api/deploy/labels/traefik.enable')).toMatch(/set by the renderer/);
    expect(find(issues, '/services/api/image')).toMatch(/not allowed in an image/);
    expect(find(issues, '/services/db/command/2')).toMatch(/whole value of an environment variable/);
    expect(find(issues, '/services/db/environment/POSTGRES_PASSWORD')).toMatch(/whole value/);
  });

  it('refuses a file secret whose _FILE variable the service already sets', () => {
    const t = notes();
    t.services.db!.environment = { POSTGRES_PASSWORD: '${secret.db_password}', POSTGRES_PASSWORD_FILE: '/x' };
    expect(find(validateTemplate(t), '/services/db/environment/POSTGRES_PASSWORD')).toMatch(/POSTGRES_PASSWORD_FILE/);
  });

  it('refuses bind mounts, renderer-owned keys, unpinned images and Swarm-ignored keys', () => {
    const t = notes();
    t.services.db!.volumes = ['/srv/data:/var/lib/postgresql/data'];
    t.services.db!.networks = ['x'];
    t.services.db!.restart = 'always';
    t.services.db!.image = 'postgres:latest';
    t.services.api!.deploy = { update_config: { order: 'stop-first' }, resources: {} };
    const issues = validateTemplate(t);
    expect(find(issues, '/services/db/volumes/0')).toMatch(/bind mounts/);
    expect(find(issues, '/services/db/networks')).toMatch(/set by the renderer/);
    expect(find(issues, '/services/db/restart')).toMatch(/ignored by Swarm/);
    expect(find(issues, '/services/db/image')).toMatch(/pin a tag other than latest/);
    expect(find(issues, '/services/api/deploy/update_config')).toMatch(/set by the renderer/);
    expect(find(issues, '/services/api/deploy/resources')).toMatch(/template's resources/);
  });

  it('checks versions, inputs, secrets, routes and health', () => {
    const t = notes();
    t.versions = { default: '9.9.9', allowed: ['2.0.0', '2.0.0'] };
    t.inputs![0]!.default = 'has_digits_1';
    t.inputs![1]!.pattern = '(';
    t.secrets![0]!.length = 8;
    t.secrets![1]!.alphabet = 'emoji' as never;
    t.routes = [{ hostPrefix: 'Notes', service: 'web', port: 0 }];
    t.health = { service: 'db', port: 5432, path: 'healthz' };
    t.deadlineSeconds = 5;
    const got = paths(validateTemplate(t));
    for (const p of ['/versions/default', '/versions/allowed/1', '/inputs/0/default', '/inputs/1/pattern', '/secrets/0/length', '/secrets/1/alphabet',
      '/routes/0/hostPrefix', '/routes/0/service', '/routes/0/port', '/health/path', '/health/service', '/deadlineSeconds']) {
      expect(got).toContain(p);
    }
  });

  it('parses placeholders with an explicit escape for a literal ${', () => {
    expect(parseTemplateString('a $${HOME} $5 ${input.X}').parts).toEqual([{ text: 'a ${HOME} $5 ' }, { placeholder: { kind: 'input', arg: 'X', raw: '${input.X}' } }]);
    expect(parseTemplateString('${version.x}').error).toMatch(/takes no name/);
    expect(parseTemplateString('${input}').error).toMatch(/needs a name/);
    expect(parseTemplateString('${host').error).toMatch(/unterminated/);
  });

  it('tells pinned images from floating ones', () => {
    expect(isPinnedImage('traefik/whoami:v1.11.0')).toBe(true);
    expect(isPinnedImage('registry.example.com:5000/app:1.2')).toBe(true);
    expect(isPinnedImage(`app@sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isPinnedImage('registry.example.com:5000/app')).toBe(false);
    expect(isPinnedImage('traefik/whoami')).toBe(false);
    expect(isPinnedImage('traefik/whoami:latest')).toBe(false);
  });

  it('classifies services: volumes make a service stateful and unscaled', () => {
    expect(statefulServices(notes())).toEqual(['db']);
    expect(scalableServices(notes())).toEqual(['api']);
    expect(scalableServices(WHOAMI)).toEqual(['whoami']);
  });
});

describe('AppDeployment input validation', () => {
  it('accepts a minimal spec and fills defaults', () => {
    expect(validateDeployment(notes(), spec())).toEqual([]);
    expect(resolveInputs(notes(), spec())).toEqual({ TITLE: 'Notes', WORKERS: 2, SIGNUP: false, ADMIN_EMAIL: 'ops@example.com', WEBHOOK: '' });
    expect(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', version: '1.11.0', host: 'whoami', env: {}, replicas: 1, deletionPolicy: 'Delete' })).toEqual([]);
  });

  it('reports an unknown env key at its path, naming the key and what is accepted', () => {
    const issues = validateDeployment(notes(), spec({ env: { ADMIN_EMAIL: 'ops@example.com', FOO: 'x' } }));
    expect(issues).toEqual([{ path: '/spec/env/FOO', message: 'unknown input FOO; notes accepts ADMIN_EMAIL, SIGNUP, TITLE, WEBHOOK, WORKERS' }]);
    expect(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', env: { BAR: 1 } })[0]).toEqual({ path: '/spec/env/BAR', message: 'unknown input BAR; whoami accepts NAME' });
  });

  it('checks types, patterns and required inputs', () => {
    const issues = validateDeployment(notes(), spec({ env: { TITLE: 'bad_title!', WORKERS: 2.5, SIGNUP: 'yes', WEBHOOK: 'ftp://x.example.com' } }));
    expect(find(issues, '/spec/env/TITLE')).toMatch(/must match/);
    expect(find(issues, '/spec/env/WORKERS')).toMatch(/whole number/);
    expect(find(issues, '/spec/env/SIGNUP')).toMatch(/true or false/);
    expect(find(issues, '/spec/env/WEBHOOK')).toMatch(/http or https URL/);
    expect(find(issues, '/spec/env/ADMIN_EMAIL')).toMatch(/is required: Administrator email/);
    expect(find(validateDeployment(notes(), spec({ env: { ADMIN_EMAIL: 'nope' } })), '/spec/env/ADMIN_EMAIL')).toMatch(/email address/);
  });

  it('coerces what YAML gives loosely: numbers for strings, digit strings for integers', () => {
    expect(checkInputValue({ name: 'X', type: 'string', description: 'x' }, 42)).toEqual({ value: '42' });
    expect(checkInputValue({ name: 'X', type: 'integer', description: 'x' }, '7')).toEqual({ value: 7 });
    expect(checkInputValue({ name: 'X', type: 'string', description: 'x' }, 'a\u0000b').error).toMatch(/control characters/);
  });

  it('only allows the template versions, with a hint for a v prefix', () => {
    expect(find(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', version: 'v1.11.0' }), '/spec/version')).toBe(
      'must be one of 1.10.3, 1.11.0 (got "v1.11.0"); write "1.11.0" (versions are written without the "v")',
    );
    expect(find(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', version: '1.0.0' }), '/spec/version')).toMatch(/must be one of/);
  });

  it('makes host and domain exclusive and checks their shape', () => {
    expect(find(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', host: 'a', domain: 'a.example.com' }), '/spec/domain')).toBe('set host or domain, not both');
    expect(find(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', host: 'Bad_Host' }), '/spec/host')).toMatch(/RFC 1123/);
    expect(find(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', domain: 'localhost' }), '/spec/domain')).toMatch(/fully qualified/);
  });

  it('checks replicas, deletionPolicy, server and app', () => {
    const issues = validateDeployment(WHOAMI, { server: 'Prod!', app: 'notes', replicas: -1, deletionPolicy: 'Keep' as never });
    expect(paths(issues).sort()).toEqual(['/spec/app', '/spec/deletionPolicy', '/spec/replicas', '/spec/server']);
  });

  it('honours a base path for callers that nest the spec', () => {
    expect(paths(validateDeployment(WHOAMI, { server: 'prod', app: 'whoami', env: { X: 1 } }, '/spec/apps/0'))).toEqual(['/spec/apps/0/env/X']);
  });
});

describe('hosts, versions and secrets', () => {
  it('derives the FQDN from the template prefix, spec.host or spec.domain', () => {
    expect(resolveHosts(WHOAMI, {}, 'prod.example.com')).toEqual({ whoami: 'whoami.prod.example.com' });
    expect(resolveHosts(WHOAMI, { host: 'hello' }, 'Prod.Example.com.')).toEqual({ whoami: 'hello.prod.example.com' });
    expect(resolveHosts(WHOAMI, { domain: 'app.example.org' }, 'prod.example.com')).toEqual({ whoami: 'app.example.org' });
  });

  it('orders versions numerically and applies major rules', () => {
    expect(compareVersions('1.10.3', '1.9.0')).toBe(1);
    expect(compareVersions('2.0.0', '2.0.0')).toBe(0);
    expect(isDowngrade('1.11.0', '1.10.3')).toBe(true);
    expect(isDowngrade('1.10.3', '1.11.0')).toBe(false);
    expect(isMajorChange(notes(), '2.1.0', '3.0.0')).toBe(true);
    expect(isMajorChange(notes(), '2.0.0', '2.1.0')).toBe(false);
    expect(isMajorChange(WHOAMI, '1.10.3', '1.11.0')).toBe(false);
  });

  it('generates secrets from the alphabet at the length, with an injectable random source', () => {
    const a = generateSecret({ length: 32, alphabet: 'alphanumeric' });
    const b = generateSecret({ length: 32, alphabet: 'alphanumeric' });
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(a).not.toBe(b);
    expect(generateSecret({ length: 40, alphabet: 'hex' })).toMatch(/^[0-9a-f]{40}$/);
    expect(generateSecret({ length: 20, alphabet: 'urlsafe' })).toMatch(/^[A-Za-z0-9_-]{20}$/);
    // Bytes at or above the largest multiple of the alphabet size are skipped, so no character is favoured.
    let calls = 0;
    const fixed = (n: number) => { calls++; return Uint8Array.from({ length: n }, (_, i) => (calls === 1 ? 250 : i)); };
    expect(generateSecret({ length: 16, alphabet: 'alphanumeric' }, fixed)).toBe('ABCDEFGHIJKLMNOP');
    expect(calls).toBe(2);
    expect(secretMatchesSpec({ length: 16, alphabet: 'hex' }, '0123456789abcdef')).toBe(true);
    expect(secretMatchesSpec({ length: 16, alphabet: 'hex' }, '0123456789ABCDEF')).toBe(false);
  });
});

describe('built-in catalog', () => {
  it('holds whoami, pinned to 1.11.0, routed on port 80 with /health', () => {
    expect(templateNames()).toEqual(['whoami']);
    const t = findTemplate('whoami')!;
    expect(t.image).toBe('traefik/whoami');
    expect(t.versions.default).toBe('1.11.0');
    expect(t.routes).toEqual([{ hostPrefix: 'whoami', service: 'whoami', port: 80 }]);
    expect(t.health).toEqual({ service: 'whoami', port: 80, path: '/health' });
    expect(findTemplate('n8n')).toBeUndefined();
  });

  it('every built-in template passes its own validation', () => {
    for (const [name, t] of BUILTIN_TEMPLATES) expect({ name, issues: validateTemplate(t) }).toEqual({ name, issues: [] });
  });
});
