// AppDeployment lifecycle against the simulated Portainer and Cloudflare: create, converge, a quiet second pass, the request budget.
import { afterEach, describe, expect, it } from 'vitest';
import { getCondition, READY, SYNCED } from '../../../src/engine/conditions.js';
import { appWorld, SERVER_IP, type World } from './world.js';

let w: World | undefined;
afterEach(async () => { await w?.close(); w = undefined; });

const SERVER_SPEC = { location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04', dns: { zone: 'example.com', name: 'prod' }, infrastructure: { acmeEmail: 'ops@example.com' } };
const cond = (w: World, key: string, type: string) => getCondition(w.t.store.get(key)?.status.conditions ?? [], type);

describe('AppDeployment', () => {
  it('creates the stack, its DNS record and router, reaches Ready from outside, and a second pass writes nothing', async () => {
    w = await appWorld();
    w.t.source.put('Server', 'prod', SERVER_SPEC);
    w.t.source.put('AppDeployment', 'whoami', { server: 'prod', app: 'whoami', version: '1.11.0' });
    w.t.mgr.start();
    await w.settle();
    expect(cond(w, 'AppDeployment/whoami', READY)).toMatchObject({ status: 'True', reason: 'Available' });
    expect(cond(w, 'AppDeployment/whoami', SYNCED)).toMatchObject({ status: 'True' });
    // The owned record is named by the engine's scheme and points at the server.
    expect(cond(w, 'DNSRecord/appdeployment.whoami.dns', READY)?.status).toBe('True');
    const records = [...w.cloudflare.state.records.values()].flatMap((m) => [...m.values()]);
    expect(records.filter((r) => r.name === 'whoami.prod.example.com').map((r) => [r.type, r.content])).toEqual([['A', SERVER_IP]]);
    const obs = w.t.store.get('AppDeployment/whoami')!.status.observed as Record<string, unknown>;
    expect(obs).toMatchObject({ url: 'https://whoami.prod.example.com', version: '1.11.0' });
    expect(typeof obs.renderHash).toBe('string');
    // One create, then a PUT that adds the TLS router once DNS answered: a router for a name that cannot validate is never deployed first.
    const stacks = w.sim.requests().byRoute;
    expect(stacks['POST /portainer/{inst}/api/stacks/create/swarm/string']).toBe(1);
    expect(stacks['PUT /portainer/{inst}/api/stacks/{id}']).toBe(1);

    const writes = w.portainerWrites();
    w.t.mgr.enqueue('AppDeployment/whoami');
    await w.t.mgr.idle();
    expect(w.portainerWrites()).toBe(writes);
    expect(cond(w, 'AppDeployment/whoami', READY)?.status).toBe('True');
  });

  it('a steady resync of a server with 10 apps costs at most 3 Portainer requests', async () => {
    w = await appWorld();
    w.t.source.put('Server', 'prod', SERVER_SPEC);
    for (let i = 0; i < 10; i++) w.t.source.put('AppDeployment', `app${i}`, { server: 'prod', app: 'whoami', host: `app${i}` });
    w.t.mgr.start();
    await w.settle(300);
    for (let i = 0; i < 10; i++) expect(cond(w, `AppDeployment/app${i}`, READY)?.status, `app${i}`).toBe('True');
    await w.settle(5);
    // One resync round: every app reconciles again (±10 % jitter), and they share one stack, service and task list.
    const before = w.portainerRequests();
    const writes = w.portainerWrites();
    const times = Array.from({ length: 10 }, (_, i) => w!.t.store.get(`AppDeployment/app${i}`)!.status.lastReconcileTime);
    w.t.clock.advance(700_000);
    w.simClock.advance(700_000);
    await w.t.mgr.idle();
    for (let i = 0; i < 10; i++) expect(w.t.store.get(`AppDeployment/app${i}`)!.status.lastReconcileTime, `app${i} resynced`).not.toBe(times[i]);
    // Exactly the three lists, and no write: no per-app GET, no redeploy.
    expect(w.portainerRequests() - before).toBe(3);
    expect(w.portainerWrites()).toBe(writes);
  });
});
