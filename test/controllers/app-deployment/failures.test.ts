// AppDeployment when things go wrong: a failed pull rolls the whole stack back once, 409s wait, drift is corrected, deletions keep volumes.
import { afterEach, describe, expect, it } from 'vitest';
import { getCondition, READY, SYNCED } from '../../../src/engine/conditions.js';
import { appWorld, type World } from './world.js';

let w: World | undefined;
afterEach(async () => { await w?.close(); w = undefined; });

const SERVER_SPEC = { location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04', dns: { zone: 'example.com', name: 'prod' }, infrastructure: { acmeEmail: 'ops@example.com' } };
const cond = (w: World, key: string, type: string) => getCondition(w.t.store.get(key)?.status.conditions ?? [], type);
const events = (w: World, key: string) => w.t.store.get(key)!.status.events.map((e) => e.reason);

async function deployed(spec: Record<string, unknown> = {}): Promise<World> {
  const world = await appWorld();
  world.t.source.put('Server', 'prod', SERVER_SPEC);
  world.t.source.put('AppDeployment', 'whoami', { server: 'prod', app: 'whoami', version: '1.11.0', ...spec });
  world.t.mgr.start();
  await world.settle();
  expect(cond(world, 'AppDeployment/whoami', READY)?.status).toBe('True');
  return world;
}

const stackOf = (w: World) => w.portainer.instance(7)!;

describe('AppDeployment failures', () => {
  it('an image that fails to pull rolls the whole stack back, reports RolledBack while Ready, and does not loop', async () => {
    w = await deployed();
    w.portainer.setImage('traefik/whoami:v1.10.3', { pullFails: true });
    w.t.source.put('AppDeployment', 'whoami', { server: 'prod', app: 'whoami', version: '1.10.3' });
    w.t.mgr.enqueue('AppDeployment/whoami');
    await w.settle(400);
    const synced = cond(w, 'AppDeployment/whoami', SYNCED)!;
    expect(synced).toMatchObject({ status: 'False', reason: 'RolledBack' });
    expect(synced.message).toContain('1.10.3');
    expect(cond(w, 'AppDeployment/whoami', READY)?.status).toBe('True');
    expect(events(w, 'AppDeployment/whoami')).toEqual(expect.arrayContaining(['RollingBack', 'RolledBack']));
    // The last good version runs again.
    const svc = Object.values(stackOf(w).services).find((s) => s.name === 'whoami_whoami')!;
    expect(JSON.stringify(svc.spec)).toContain('traefik/whoami:v1.11.0');
    // No redeploy loop: more passes write nothing until the spec changes.
    const writes = w.portainerWrites();
    for (let i = 0; i < 3; i++) { w.t.clock.advance(700_000); w.simClock.advance(700_000); await w.t.mgr.idle(); }
    expect(w.portainerWrites()).toBe(writes);
    // Going back to the good version is a spec change that needs nothing deployed.
    w.t.source.put('AppDeployment', 'whoami', { server: 'prod', app: 'whoami', version: '1.11.0' });
    w.t.mgr.enqueue('AppDeployment/whoami');
    await w.settle();
    expect(cond(w, 'AppDeployment/whoami', SYNCED)?.status).toBe('True');
    expect(w.portainerWrites()).toBe(writes);
  });

  it('a PUT answered 409 (someone else\'s deploy in progress) waits, then deploys the change', async () => {
    w = await deployed();
    // Someone redeploys from Portainer's UI; it takes a while, and our cached view still says active.
    w.portainer.setDeployDelay(30_000);
    const stack = (await w.platform.listStacks())[0]!;
    await w.platform.updateStack(stack.id, { file: await w.platform.stackFile(stack.id), env: stack.env });
    w.t.source.put('AppDeployment', 'whoami', { server: 'prod', app: 'whoami', version: '1.11.0', env: { NAME: 'two' } });
    w.t.mgr.enqueue('AppDeployment/whoami');
    await w.t.mgr.idle();
    expect(w.sim.requests().byStatus['409']).toBe(1);
    expect(cond(w, 'AppDeployment/whoami', READY)?.status).toBe('True');
    expect(cond(w, 'AppDeployment/whoami', SYNCED)?.status).toBe('True');
    await w.settle(100, 5000);
    expect(cond(w, 'AppDeployment/whoami', READY)?.status).toBe('True');
    expect(cond(w, 'AppDeployment/whoami', SYNCED)?.status).toBe('True');
    const svc = Object.values(stackOf(w).services).find((s) => s.name === 'whoami_whoami')!;
    expect(JSON.stringify(svc.spec)).toContain('WHOAMI_NAME=two');
  });

  it('drift of the env and of the file is redeployed with DriftCorrected; a deleted stack is recreated', async () => {
    w = await deployed({ env: { NAME: 'mine' } });
    const resync = async (): Promise<void> => { w!.t.clock.advance(700_000); w!.simClock.advance(700_000); await w!.settle(); };
    // Someone adds a variable in Portainer's UI: the desired env goes back whole, values masked in the event.
    const stack = Object.values(stackOf(w).stacks)[0]!;
    stack.env = [...stack.env, { name: 'SNEAKY', value: 'theirs-value' }];
    await resync();
    let drift = w.t.store.get('AppDeployment/whoami')!.status.events.filter((e) => e.reason === 'DriftCorrected');
    expect(drift).toHaveLength(1);
    expect(drift[0]!.message).toContain('SNEAKY');
    expect(drift[0]!.message).not.toContain('theirs-value');
    expect((await w.platform.listStacks())[0]!.env).not.toHaveProperty('SNEAKY');

    // Someone edits the file and redeploys it: the newer UpdateDate makes us read the file once, and put ours back.
    const s2 = Object.values(stackOf(w).stacks)[0]!;
    s2.file = s2.file.replace('WHOAMI_NAME: mine', 'WHOAMI_NAME: edited');
    s2.updateDate += 60;
    await resync();
    drift = w.t.store.get('AppDeployment/whoami')!.status.events.filter((e) => e.reason === 'DriftCorrected');
    expect(drift.map((e) => e.message).join('\n')).toContain('stack file');
    expect(await w.platform.stackFile(s2.id)).toContain('WHOAMI_NAME: mine');
    expect(cond(w, 'AppDeployment/whoami', READY)?.status).toBe('True');
    // A quiet resync after that reads no file and writes nothing.
    const writes = w.portainerWrites();
    const files = w.sim.requests().byRoute['GET /portainer/{inst}/api/stacks/{id}/file'] ?? 0;
    await resync();
    expect(w.portainerWrites()).toBe(writes);
    expect(w.sim.requests().byRoute['GET /portainer/{inst}/api/stacks/{id}/file'] ?? 0).toBe(files);

    // The stack is deleted outside livchat (Portainer's UI removes it with its services): it comes back.
    await w.platform.deleteStack(s2.id);
    await resync();
    expect(events(w, 'AppDeployment/whoami')).toContain('StackMissing');
    expect(Object.values(stackOf(w).stacks)).toHaveLength(1);
    expect(cond(w, 'AppDeployment/whoami', READY)?.status).toBe('True');
  });

  it('deleting removes the stack and its DNS record, keeps volumes, and a Server is not deleted while its apps exist', async () => {
    w = await deployed();
    w.t.source.remove('Server/prod');
    w.t.mgr.enqueue('Server/prod');
    await w.settle(5);
    expect(cond(w, 'Server/prod', SYNCED)).toMatchObject({ status: 'False', reason: 'DependentsExist' });
    expect(w.t.store.get('Server/prod')).toBeDefined();

    w.t.source.remove('AppDeployment/whoami');
    w.t.mgr.enqueue('AppDeployment/whoami');
    await w.settle(50);
    expect(w.t.store.get('AppDeployment/whoami')).toBeUndefined();
    expect(Object.values(stackOf(w).stacks)).toHaveLength(0);
    const records = [...w.cloudflare.state.records.values()].flatMap((m) => [...m.values()]);
    expect(records.some((r) => r.name === 'whoami.prod.example.com')).toBe(false);
    w.t.mgr.enqueue('Server/prod');
    await w.settle(5);
    expect(w.t.store.get('Server/prod')).toBeUndefined();
  });
});
