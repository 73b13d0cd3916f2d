// The Portainer simulator's stack-file checks: docker/cli's messages for schema, version, interpolation, ignored keys and references.
import { describe, expect, it } from 'vitest';
import { ComposeError, interpolate, loadCompose, shellList } from '../../src/sim/portainer-compose.js';

const load = (text: string, env: Record<string, string> = {}) => loadCompose(text, env, '/data/compose/4');
const fails = (text: string, env: Record<string, string> = {}) => {
  try { load(text, env); } catch (err) { expect(err).toBeInstanceOf(ComposeError); return (err as Error).message; }
  throw new Error('expected the file to be refused');
};

describe('compose loader', () => {
  it('accepts compose 3.x with or without version and normalises a service', () => {
    const p = load(`services:
  web:
    image: \${IMAGE}:\${TAG:-1.0}
    command: ["--port", "80"]
    environment: {B: "2", A: 1}
    healthcheck: {test: "wget -qO- http://127.0.0.1/health", interval: 10s, start_period: 1m30s}
    deploy:
      replicas: \${N}
      update_config: {order: start-first, failure_action: rollback, monitor: 30s}
      resources: {limits: {cpus: "0.5", memory: 256M}}
    x-note: anything
x-common: {a: 1}
`, { IMAGE: 'traefik/whoami', N: '2' });
    const s = p.services[0]!;
    expect(s).toMatchObject({
      name: 'web', image: 'traefik/whoami:1.0', command: ['--port', '80'], environment: { A: '1', B: '2' },
      healthcheck: { test: ['CMD-SHELL', 'wget -qO- http://127.0.0.1/health'], intervalMs: 10_000, startPeriodMs: 90_000, retries: 3 },
      deploy: { replicas: 2, updateConfig: { order: 'start-first', failureAction: 'rollback', monitorMs: 30_000 }, limits: { nanoCpus: 500_000_000, memoryBytes: 256 * 1024 ** 2 } },
    });
    expect(load('version: "3.8"\nservices: {a: {image: x}}\n').services).toHaveLength(1);
    expect(fails('version: "2.4"\nservices: {a: {image: x}}\n')).toBe('unsupported Compose file version: 2.4');
  });

  it('rejects unknown keys with docker/cli\'s messages', () => {
    expect(fails('services:\n  web:\n    image: x\n    foo: 1\n')).toBe('services.web Additional property foo is not allowed');
    expect(fails('services: {}\nextras: 1\n')).toBe('(root) Additional property extras is not allowed');
    expect(fails('services:\n  web:\n    image: x\n    deploy: {replicas: "two"}\n')).toBe('services.web.deploy.replicas must be a integer');
    expect(fails('services:\n  web:\n    image: x\n    deploy: {update_config: {order: sideways}}\n')).toBe('services.web.deploy.update_config.order must be one of the following: "start-first", "stop-first"');
    expect(fails('services:\n  web:\n    image: x\n    healthcheck: {interval: soon}\n')).toBe("services.web.healthcheck.interval Does not match format 'duration'");
    expect(fails('services:\n  web:\n    image: x\n    environment: 5\n')).toBe('services.web.environment must be a mapping or list');
    expect(fails('- a\n- b\n')).toBe('Top-level object must be a mapping');
    expect(fails('services: [\n')).toMatch(/^yaml: /);
  });

  it('accepts the keys Swarm ignores and records what the deploy logs', () => {
    const p = load(`services:
  web:
    image: x
    build: .
    restart: always
    container_name: web
    depends_on: [db]
  db:
    image: y
`);
    expect(p.services.map((s) => s.name)).toEqual(['db', 'web']);
    expect(p.warnings).toContain('Ignoring unsupported options: build, restart');
    expect(p.warnings.find((w) => w.startsWith('Ignoring deprecated options'))).toContain('container_name: Setting the container name is not supported.');
    expect(p.warnings).toContain('ignoring unsupported compose properties: build, container_name, depends_on, restart');
    expect(fails('services:\n  web:\n    image: x\n    mem_limit: 1g\n')).toBe('Compose file contains unsupported options:\n\nmem_limit: Set resource limits using deploy.resources\n');
  });

  it('requires declared networks, secrets and volumes, and has no files beside the stack file', () => {
    expect(fails('services:\n  web:\n    image: x\n    networks: [front]\n')).toBe('service web: undefined network "front"');
    expect(fails('services:\n  web:\n    image: x\n    secrets: [pw]\n')).toBe('service web: undefined secret "pw"');
    expect(fails('services:\n  web:\n    image: x\n    volumes: ["data:/data"]\n')).toBe('service web: undefined volume "data"');
    expect(fails('services:\n  web:\n    image: x\n    env_file: .env\n')).toBe("Couldn't find env file: /data/compose/4/.env");
    expect(fails('services:\n  web:\n    image: x\n    secrets: [pw]\nsecrets:\n  pw: {file: ./pw.txt}\n')).toBe('open /data/compose/4/pw.txt: no such file or directory');
    const p = load('services:\n  web:\n    image: x\n    volumes: ["data:/data:ro", "/srv:/srv"]\nvolumes: {data: {}}\n');
    expect(p.services[0]!.volumes).toEqual([{ type: 'volume', source: 'data', target: '/data', readOnly: true }, { type: 'bind', source: '/srv', target: '/srv', readOnly: false }]);
  });

  it('interpolates like docker/cli, warning about unset variables', () => {
    const unset = new Set<string>();
    expect(interpolate('$A-${B}-${C:-d}-${D-e}-$$F', 'p', { A: 'a', B: 'b', C: '', D: '' }, unset)).toBe('a-b-d--$F');
    expect(interpolate('${MISSING}', 'p', {}, unset)).toBe('');
    expect([...unset]).toEqual(['MISSING']);
    expect(() => interpolate('${X:?must be set}', 'p', {}, unset)).toThrow('required variable X is missing a value: must be set');
    expect(() => interpolate('cost $5', 'services.web.image', {}, unset)).toThrow('invalid interpolation format for services.web.image');
    expect(load('services: {web: {image: "x:${T}"}}\n').warnings).toEqual(['The "T" variable is not set. Defaulting to a blank string.']);
  });

  it('splits command strings as a shell would', () => {
    expect(shellList('sh -c "echo hi there" \'a b\'')).toEqual(['sh', '-c', 'echo hi there', 'a b']);
    expect(shellList(['a', 'b'])).toEqual(['a', 'b']);
    expect(shellList(undefined)).toBeUndefined();
  });
});
