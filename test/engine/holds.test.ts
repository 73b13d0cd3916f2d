// A desired object that holds another (an app on its Server) keeps it from being deleted: Synced=False/DependentsExist.
import { describe, expect, it } from 'vitest';
import { getCondition, SYNCED } from '../../src/engine/conditions.js';
import { objectKey } from '../../src/engine/types.js';
import { engine, gone, ok, type Fn } from './engine-setup.js';

const plain: Fn = async (ctx) => (ctx.desired ? ok(ctx) : gone(ctx));
const holdsServer = { holds: (o: { spec?: unknown }) => [objectKey('Server', String((o.spec as { server?: string }).server))] };

describe('holds', () => {
  it('a Server with an app on it is not deleted until the app is gone, then it is', async () => {
    const t = engine({ Server: plain, App: plain }, undefined, { App: holdsServer });
    t.source.put('Server', 'prod', {});
    t.source.put('Server', 'prod2', {});
    t.source.put('App', 'web', { server: 'prod' });
    t.mgr.start();
    await t.mgr.idle();
    t.calls.length = 0;
    // prod2 has no app: only the exact key is held, a prefix-sharing name is not.
    t.source.remove('Server/prod');
    t.source.remove('Server/prod2');
    t.mgr.enqueue('Server/prod');
    t.mgr.enqueue('Server/prod2');
    await t.mgr.idle();
    expect(t.calls).toEqual(['Server/prod2:removed']);
    const synced = getCondition(t.store.get('Server/prod')!.status.conditions, SYNCED)!;
    expect(synced).toMatchObject({ status: 'False', reason: 'DependentsExist' });
    expect(synced.message).toContain('App/web');
    // Still held after the recheck interval: no reconcile, no deletion.
    t.clock.advance(60_000);
    t.mgr.enqueue('Server/prod');
    await t.mgr.idle();
    const removals = (): string[] => t.calls.filter((c) => c.endsWith(':removed'));
    expect(removals()).toEqual(['Server/prod2:removed']);

    t.source.remove('App/web');
    t.mgr.enqueue('App/web');
    await t.mgr.idle();
    t.mgr.enqueue('Server/prod');
    await t.mgr.idle();
    expect(removals()).toEqual(['Server/prod2:removed', 'App/web:removed', 'Server/prod:removed']);
    expect(t.store.get('Server/prod')).toBeUndefined();
    await t.mgr.stop();
  });
});
