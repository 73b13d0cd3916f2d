// Long Server operations never hold a worker: started operations are recorded, polled by later passes, and survive restarts.
import { afterEach, describe, expect, it } from 'vitest';
import { getCondition, READY, RECONCILING, SYNCED } from '../../../src/engine/conditions.js';
import type { HostSetupPort } from '../../../src/host/port.js';
import { commands, runCleanups, secondPass, servers, settle, setup, spec, stepUntil } from './world.js';

afterEach(runCleanups);

const noDns = (extra: Record<string, unknown> = {}) => spec({ dns: undefined, ...extra });
const posts = (t: Awaited<ReturnType<typeof setup>>) => t.server.requests().byRoute['POST /v1/servers'] ?? 0;

describe('Server controller: long operations', () => {
  it('with Server concurrency 2, a third server resizes while two servers are still being created', async () => {
    const t = await setup({ shutdownPollMs: 500 });
    expect(t.controller.settings?.concurrency).toBe(2);
    const third = t.source.put('Server', 'web3', noDns());
    t.mgr.start();
    await settle(t);
    const id = servers(t).find((s) => s.name === 'web3')!.id;
    const before = commands(t, id).length;
    // The third server's guest takes 3 s to power off, so its resize spans several passes.
    t.hetzner.setAcpi({ serverId: id, delayMs: 3000 });

    // From now on every action takes an hour of simulated time: the two creates stay running for the whole test.
    t.hetzner.state.actionDurationMs = 3_600_000;
    const slow = [t.source.put('Server', 'web1', noDns()), t.source.put('Server', 'web2', noDns())];
    t.mgr.desiredChanged(slow);
    await t.mgr.idle();
    expect(posts(t)).toBe(3);
    for (const key of slow) {
      const st = t.store.get(key)!;
      expect(st.internal.op).toMatchObject({ kind: 'create', step: 'Creating' });
      expect(getCondition(st.status.conditions, RECONCILING)).toMatchObject({ status: 'True', reason: 'Creating' });
    }

    // The resize's own actions are quick again; only the creates already started stay slow.
    t.hetzner.state.actionDurationMs = 0;
    t.source.put('Server', 'web3', noDns({ serverType: 'cx33' }));
    t.mgr.desiredChanged([third]);
    const resized = () => commands(t, id).slice(before).includes('start_server') && getCondition(t.store.get(third)!.status.conditions, READY)?.status === 'True';
    await stepUntil(t, resized, 120_000);

    expect(commands(t, id).slice(before)).toEqual(['shutdown_server', 'change_server_type', 'start_server']);
    expect(servers(t).find((s) => s.id === id)).toMatchObject({ serverType: 'cx33', status: 'running' });
    // Both creates are still in flight: their workers were free for the resize all along.
    const creates = [...t.hetzner.actions.values()].filter((a) => a.command === 'create_server' && a.resources[0]!.id !== id);
    expect(creates.map((a) => a.status)).toEqual(['running', 'running']);
    for (const key of slow) expect(getCondition(t.store.get(key)!.status.conditions, READY)).toMatchObject({ status: 'False', reason: 'Creating' });
    // Each create was started once and only polled afterwards.
    expect(posts(t)).toBe(3);
    expect(t.server.requests().byRoute['GET /v1/actions']).toBeGreaterThan(0);
    // Once the slow creates and their chained starts end (an hour each), everything converges; a second pass writes nothing.
    t.clock.advance(7_200_000);
    t.simClock.advance(7_200_000);
    await settle(t);
    for (const key of [...slow, third]) expect(getCondition(t.store.get(key)!.status.conditions, READY)?.status, key).toBe('True');
    await secondPass(t);
  });

  it('runs the resize as recorded steps, one operation at a time: shutdown → change_type → poweron', async () => {
    const t = await setup({ actionDurationMs: 2000 });
    const key = t.source.put('Server', 'prod', noDns());
    t.mgr.start();
    await settle(t);
    const id = servers(t)[0]!.id;
    const created = commands(t, id).length;
    const steps: string[] = [];
    t.mgr.onReconciled((k) => {
      const kind = (t.store.get(k)?.internal.op as { kind?: string } | undefined)?.kind;
      if (k === key && kind && steps.at(-1) !== kind) steps.push(kind);
    });
    t.source.put('Server', 'prod', noDns({ serverType: 'cx33' }));
    t.mgr.desiredChanged([key]);
    await t.mgr.idle();
    // The first pass only sent the shutdown and recorded it: the server is not usable while it is resized.
    const mid = t.store.get(key)!;
    expect(mid.internal.op).toMatchObject({ kind: 'shutdown', step: 'Resizing', serverId: id });
    expect(mid.internal.resize).toMatchObject({ from: 'cx23', to: 'cx33' });
    expect(getCondition(mid.status.conditions, RECONCILING)).toMatchObject({ status: 'True', reason: 'Resizing' });
    await settle(t);
    expect(steps).toEqual(['shutdown', 'changeType', 'powerOn']);
    expect(commands(t, id).slice(created)).toEqual(['shutdown_server', 'change_server_type', 'start_server']);
    const st = t.store.get(key)!;
    expect(st.internal.op).toBeUndefined();
    expect(st.internal.resize).toBeUndefined();
    expect(st.status.events.map((e) => e.reason)).toContain('Resized');
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(st.status.conditions, RECONCILING)).toBeUndefined();
    await secondPass(t);
  });

  it('powers the server back on when change_type fails, reports it, and retries the resize later', async () => {
    const t = await setup();
    const key = t.source.put('Server', 'prod', noDns());
    t.mgr.start();
    await settle(t);
    const id = servers(t)[0]!.id;
    const created = commands(t, id).length;
    t.hetzner.failNext('change_server_type', 'placement failed');
    t.source.put('Server', 'prod', noDns({ serverType: 'cx33' }));
    t.mgr.desiredChanged([key]);
    await stepUntil(t, () => getCondition(t.store.get(key)!.status.conditions, SYNCED)?.reason === 'ActionFailed');
    expect(commands(t, id).slice(created)).toEqual(['shutdown_server', 'change_server_type', 'start_server']);
    expect(servers(t)[0]).toMatchObject({ serverType: 'cx23', status: 'running' });
    const st = t.store.get(key)!;
    expect(st.status.events.find((e) => e.reason === 'ResizeFailed')).toMatchObject({ type: 'Warning' });
    expect(getCondition(st.status.conditions, SYNCED)?.message).toContain('placement failed');
    expect(st.internal.resize).toBeUndefined();
    // The failure was an action error, retried with backoff: the next attempt goes through.
    await settle(t);
    expect(commands(t, id).slice(created)).toEqual(['shutdown_server', 'change_server_type', 'start_server', 'shutdown_server', 'change_server_type', 'start_server']);
    expect(servers(t)[0]).toMatchObject({ serverType: 'cx33', status: 'running' });
    await secondPass(t);
  });

  it('checks a pending create after a restart instead of starting it again', async () => {
    const first = await setup({ actionDurationMs: 60_000 });
    const key = first.source.put('Server', 'prod', noDns());
    first.mgr.start();
    await first.mgr.idle();
    expect(posts(first)).toBe(1);
    const op = first.store.get(key)!.internal.op as { kind: string; ids: number[] };
    expect(op).toMatchObject({ kind: 'create' });
    await first.mgr.stop();

    // A new process: new manager and controller (empty caches) on the same state directory and key store.
    const again = await setup({ cloud: first, stateDir: first.stateDir, hostKeys: first.hostKeys });
    for (const o of first.source.list()) again.source.objects.set(o.key, o);
    again.mgr.start();
    await settle(again);
    expect(posts(again)).toBe(1);
    expect(servers(again)).toHaveLength(1);
    const st = again.store.get(key)!;
    expect(st.internal.op).toBeUndefined();
    expect(st.internal.serverId).toBe(servers(again)[0]!.id);
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    await secondPass(again);
  });

  it('resumes a resize after a restart: the shutdown wait is seeded from the persisted wall time', async () => {
    const first = await setup({ shutdownTimeoutMs: 60_000, shutdownPollMs: 1000 });
    const key = first.source.put('Server', 'prod', noDns());
    first.mgr.start();
    await settle(first);
    const id = servers(first)[0]!.id;
    const created = commands(first, id).length;
    first.hetzner.setAcpi({ serverId: id, ignore: true });
    first.source.put('Server', 'prod', noDns({ serverType: 'cx33' }));
    first.mgr.desiredChanged([key]);
    await first.mgr.idle();
    expect(first.store.get(key)!.internal.resize).toMatchObject({ shutdownAt: first.clock.now() });
    await first.mgr.stop();

    // The restart happens 50 s (wall) after the shutdown was sent: only 10 s of the 60 s wait are left.
    const again = await setup({ cloud: first, stateDir: first.stateDir, hostKeys: first.hostKeys, shutdownTimeoutMs: 60_000, shutdownPollMs: 1000 });
    for (const o of first.source.list()) again.source.objects.set(o.key, o);
    again.clock.stepWall(first.clock.now() - again.clock.now() + 50_000);
    const t0 = again.clock.monotonic();
    again.mgr.start();
    await stepUntil(again, () => commands(again, id).includes('stop_server'), 30_000);
    expect(again.clock.monotonic() - t0).toBeGreaterThanOrEqual(10_000);
    expect(again.clock.monotonic() - t0).toBeLessThan(60_000);
    await settle(again);
    expect(commands(again, id).slice(created)).toEqual(['shutdown_server', 'stop_server', 'change_server_type', 'start_server']);
    expect(again.store.get(key)!.status.events.map((e) => e.reason)).toContain('HardPowerOff');
    await secondPass(again);
  });
});

describe('Server controller: host setup in the background', () => {
  it('keeps no worker while playbooks run: two blocked setups, a third server still gets ready; progress is reported by later passes', async () => {
    const gates = new Map<string, () => void>();
    const blocked = new Set(['slow1', 'slow2']);
    const host: HostSetupPort = {
      playbookHash: async () => 'a'.repeat(64),
      async setup(input, _signal, onLine) {
        onLine(`PLAY [livchat host setup] ***`);
        onLine('TASK [base : packages and updates] ***');
        if (blocked.has(input.name)) await new Promise<void>((r) => gates.set(input.name, r));
        onLine('TASK [docker : Docker CE] ***');
        onLine(`${input.name} : ok=2 changed=1 unreachable=0 failed=0`);
        return { playbookHash: 'a'.repeat(64) };
      },
    };
    const t = await setup({ host });
    const slow = [t.source.put('Server', 'slow1', noDns()), t.source.put('Server', 'slow2', noDns())];
    t.mgr.start();
    await stepUntil(t, () => gates.size === 2);
    const fast = t.source.put('Server', 'fast', noDns());
    t.mgr.desiredChanged([fast]);
    await stepUntil(t, () => getCondition(t.store.get(fast)!.status.conditions, READY)?.status === 'True');
    for (const key of slow) {
      const st = t.store.get(key)!;
      expect(getCondition(st.status.conditions, READY)).toMatchObject({ status: 'False', reason: 'SettingUp' });
      // The line came from the background run; the pass that looked afterwards reported it.
      expect(st.status.progress).toBe('TASK [base : packages and updates]');
      expect(st.internal.setupKey).toBeUndefined();
    }
    for (const release of gates.values()) release();
    await settle(t);
    for (const key of [...slow, fast]) {
      const st = t.store.get(key)!;
      expect(getCondition(st.status.conditions, READY)?.status, key).toBe('True');
      expect(st.internal.setupKey).toEqual(expect.any(String));
      expect(st.status.events.find((e) => e.reason === 'SetupOutput')?.message).toMatch(/ok=2 changed=1/);
    }
    await secondPass(t);
  });
});
