// plan prints the Server decision that reconcile runs, against the simulator, with zero writes.
import { afterEach, describe, expect, it } from 'vitest';
import { planAll } from '../../../src/engine/plan.js';
import { writes } from '../../helpers/harness.js';
import { runCleanups, servers, settle, setup, spec } from './world.js';

afterEach(runCleanups);

const noDns = (extra: Record<string, unknown> = {}) => spec({ dns: undefined, ...extra });

describe('Server plan', () => {
  it('shows what reconcile will do (create, restart, blocked, in progress) and writes nothing', async () => {
    const t = await setup();
    t.source.put('Server', 'prod', noDns());
    t.source.put('Server', 'small', noDns({ serverType: 'cx33' }));
    const plan = async () => {
      const before = writes(t.server);
      const items = await planAll(t.mgr, [t.controller], 'test', new AbortController().signal);
      expect(writes(t.server)).toBe(before);
      return Object.fromEntries(items.map((i) => [i.key, i]));
    };
    expect((await plan())['Server/prod']).toMatchObject({ action: 'create', changes: [{ field: 'serverType', to: 'cx23' }, { field: 'location', to: 'nbg1' }, { field: 'image', to: 'ubuntu-24.04' }] });
    expect(servers(t)).toHaveLength(0);
    t.mgr.start();
    await settle(t);

    t.source.put('Server', 'prod', noDns({ serverType: 'cx33' }));
    t.source.put('Server', 'small', noDns({ serverType: 'cx23' }));
    let p = await plan();
    expect(p['Server/prod']).toMatchObject({ action: 'update', changeClass: 'restart', changes: [{ field: 'serverType', from: 'cx23', to: 'cx33' }], message: expect.stringMatching(/^downtime/) });
    // The same pre-checks as reconcile: a type with a smaller disk is refused before any downtime, in the plan too.
    expect(p['Server/small']).toMatchObject({ action: 'blocked', message: expect.stringMatching(/disks never shrink/) });

    // While a step runs, plan says so instead of proposing it again.
    t.hetzner.state.actionDurationMs = 60_000;
    t.mgr.desiredChanged(['Server/prod']);
    await t.mgr.idle();
    p = await plan();
    expect(p['Server/prod']).toMatchObject({ action: 'update', changeClass: 'restart', message: expect.stringMatching(/^in progress: cx23 → cx33: shutting down/) });

    t.source.remove('Server/small');
    expect((await plan())['Server/small']).toMatchObject({ action: 'blocked', message: expect.stringMatching(/delete protection/) });
  });
});
