// Service-level plan diff: image, replicas, env keys with masked values, labels, and which changes restart tasks.
import { describe, expect, it } from 'vitest';
import { diffStack, planChanges, SENSITIVE, type ServiceState } from '../../controllers/app-deployment/service-diff.js';
import { fingerprintEnv, renderStack, type RenderContext, type RenderedStack } from '../../controllers/app-deployment/render.js';
import { resolveHosts, type AppDeploymentInput, type AppTemplate } from '../../controllers/app-deployment/template.js';
import { WHOAMI } from '../../controllers/app-deployment/catalog/whoami.js';

const CANARY = 'canary0secret0value0do0not0show0xx';

/** A test-only template with an env secret, so rotation shows up as a changed env value. */
const TOKENED: AppTemplate = {
  ...WHOAMI,
  name: 'tokened',
  secrets: [{ name: 'token', length: 34, alphabet: 'alphanumeric', file: false, env: 'TOKEN' }],
  services: { whoami: { image: '${image}:v${version}', environment: { WHOAMI_NAME: '${input.NAME}', TOKEN: '${secret.token}' } } },
};

function render(t: AppTemplate, over: Partial<AppDeploymentInput> = {}, ctx: Partial<RenderContext> = {}): RenderedStack {
  const input: AppDeploymentInput = { server: 'prod', app: t.name, ...over };
  return renderStack(t, input, { app: t.name, stack: t.name, hosts: resolveHosts(t, input, 'prod.example.com'), resolver: 'le', secrets: {}, tls: true, ...ctx });
}

const side = (r: RenderedStack) => ({ hash: r.hash, services: r.services });
const text = (v: unknown) => JSON.stringify(v);

describe('diffStack', () => {
  it('plans a create with every service and its env names only', () => {
    const next = render(TOKENED, {}, { secrets: { token: CANARY } });
    const d = diffStack(undefined, side(next));
    expect(d.action).toBe('create');
    expect(d.restarts).toBe(false);
    expect(d.lines).toEqual([
      '+ stack: create with 1 service',
      '+ service tokened_whoami: create (traefik/whoami:v1.11.0, 1 replica)',
      `    env + TOKEN=${SENSITIVE}`,
      `    env + WHOAMI_NAME=${SENSITIVE}`,
    ]);
    expect(text(d)).not.toContain(CANARY);
  });

  it('plans no change for the same rendering', () => {
    const r = render(WHOAMI);
    const d = diffStack(side(r), side(render(WHOAMI)));
    expect(d.action).toBe('none');
    expect(d.lines).toEqual(['= stack: no change']);
    expect(d.services.map((s) => s.change)).toEqual(['none']);
  });

  it('shows an image change, which restarts tasks', () => {
    const d = diffStack(side(render(WHOAMI, { version: '1.10.3' })), side(render(WHOAMI)));
    expect(d.action).toBe('update');
    expect(d.restarts).toBe(true);
    expect(d.services[0]).toMatchObject({ change: 'update', image: { from: 'traefik/whoami:v1.10.3', to: 'traefik/whoami:v1.11.0' }, restarts: true });
    expect(d.lines).toContain('    image: traefik/whoami:v1.10.3 → traefik/whoami:v1.11.0');
    expect(d.lines[0]).toBe('~ stack: update, restarts services');
  });

  it('treats replicas alone as no restart', () => {
    const d = diffStack(side(render(WHOAMI)), side(render(WHOAMI, { replicas: 3 })));
    expect(d.action).toBe('update');
    expect(d.restarts).toBe(false);
    expect(d.services[0]).toMatchObject({ replicas: { from: 1, to: 3 }, restarts: false });
    expect(d.lines).toEqual(['~ stack: update, no service restarts', '~ service whoami_whoami: update (no restart)', '    replicas: 1 → 3']);
  });

  it('treats a TLS router appearing (labels only) as no restart', () => {
    const d = diffStack(side(render(WHOAMI, {}, { tls: false })), side(render(WHOAMI)));
    expect(d.restarts).toBe(false);
    const keys = d.services[0]!.labels.map((l) => l.key);
    expect(keys).toContain('traefik.http.routers.whoami-whoami.rule');
    expect(d.lines).toContain('    label ~ traefik.enable: false → true');
    expect(d.lines).toContain('    label + traefik.http.routers.whoami-whoami.rule=Host(`whoami.prod.example.com`)');
  });

  it('masks a changed input value and restarts', () => {
    const d = diffStack(side(render(WHOAMI)), side(render(WHOAMI, { env: { NAME: 'brandnewname' } })));
    expect(d.services[0]!.env).toEqual({ added: [], removed: [], changed: ['WHOAMI_NAME'] });
    expect(d.restarts).toBe(true);
    expect(d.lines).toContain(`    env ~ WHOAMI_NAME=${SENSITIVE}`);
    expect(text(d)).not.toContain('brandnewname');
    expect(text(planChanges(d))).not.toContain('brandnewname');
  });

  it('masks a rotated secret everywhere: lines, structure and plan changes', () => {
    const before = render(TOKENED, {}, { secrets: { token: CANARY } });
    const after = render(TOKENED, {}, { secrets: { token: CANARY.replace('canary', 'rotate') } });
    const d = diffStack(side(before), side(after));
    expect(d.services[0]!.env.changed).toEqual(['TOKEN']);
    expect(d.restarts).toBe(true);
    const changes = planChanges(d);
    expect(changes).toEqual([{ field: 'services.tokened_whoami.env.TOKEN', from: SENSITIVE, to: SENSITIVE }]);
    for (const out of [text(d), text(changes), d.lines.join('\n')]) {
      expect(out).not.toContain(CANARY);
      expect(out).not.toContain(CANARY.replace('canary', 'rotate'));
    }
  });

  it('lists env keys added and removed', () => {
    const d = diffStack(side(render(WHOAMI)), side(render(TOKENED, {}, { secrets: { token: CANARY } })));
    // Different stacks, different service names: one service goes, one comes.
    expect(d.services.map((s) => [s.name, s.change])).toEqual([['tokened_whoami', 'create'], ['whoami_whoami', 'remove']]);
    const prev: ServiceState = { name: 's_a', image: 'i:1', replicas: 1, labels: {}, envKeys: ['A', 'B'] };
    const next: ServiceState = { name: 's_a', image: 'i:1', replicas: 1, labels: {}, envKeys: ['B', 'C'] };
    const e = diffStack({ services: [prev] }, { services: [next] });
    expect(e.services[0]!.env).toEqual({ added: ['C'], removed: ['A'], changed: [] });
    expect(e.lines).toEqual(['~ stack: update, restarts services', '~ service s_a: update (restarts its tasks)', `    env + C=${SENSITIVE}`, '    env - A']);
  });

  it('compares observed services, ignoring the labels Docker adds', () => {
    const r = render(TOKENED, {}, { secrets: { token: CANARY } });
    const svc = r.services[0]!;
    const observed: ServiceState = {
      name: svc.name, image: svc.image, replicas: svc.replicas,
      labels: { ...svc.labels, 'com.docker.stack.namespace': 'tokened', 'com.docker.stack.image': svc.image },
      envDigests: fingerprintEnv([`TOKEN=${CANARY}`, 'WHOAMI_NAME=whoami']),
    };
    expect(diffStack({ services: [observed] }, side(r)).action).toBe('none');
    const drifted = { ...observed, envDigests: fingerprintEnv([`TOKEN=${CANARY}x`, 'WHOAMI_NAME=whoami']) };
    const d = diffStack({ services: [drifted] }, side(r));
    expect(d.services[0]!.env.changed).toEqual(['TOKEN']);
    expect(text(d)).not.toContain(CANARY);
  });

  it('reports a task-template change outside image and env, and a stack-only change', () => {
    const a: ServiceState = { name: 's_a', image: 'i:1', replicas: 1, labels: {}, envDigests: {}, taskHash: 'h1' };
    const d = diffStack({ services: [a] }, { services: [{ ...a, taskHash: 'h2' }] });
    expect(d.services[0]).toMatchObject({ restarts: true, otherTaskChange: true });
    expect(d.lines).toContain('    task settings change (mounts, command, healthcheck, resources or secrets)');
    expect(planChanges(d)).toEqual([{ field: 'services.s_a.task', to: 'changed' }]);
    const s = diffStack({ hash: 'x', services: [a] }, { hash: 'y', services: [a] });
    expect(s).toMatchObject({ action: 'update', stackOnly: true, restarts: false });
  });
});
