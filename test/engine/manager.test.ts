// Manager behaviour: outcomes to conditions and schedules, generations, stalls, deletion, owned objects, dependencies.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { Manager } from '../../src/engine/manager.js';
import { StatusStore } from '../../src/store/status-store.js';
import { RetryableError, TerminalError, WaitError } from '../../src/engine/errors.js';
import { getCondition, READY, STALLED, SYNCED } from '../../src/engine/conditions.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../../src/engine/reconciler.js';
import { API_VERSION } from '../../src/engine/types.js';
import { createLogger } from '../../src/obs/log.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { MemorySource } from '../helpers/memory-source.js';

type Fn = (ctx: ReconcileContext) => Promise<ReconcileResult>;

function setup(fns: Record<string, Fn>, settings = { resyncMs: 60_000, backoffBaseMs: 1000, backoffCapMs: 16_000, concurrency: 2 }) {
  const clock = new ManualClock();
  const source = new MemorySource();
  const stateDir = mkdtempSync(join(tmpdir(), 'lc-mgr-'));
  const store = new StatusStore(stateDir);
  const calls: string[] = [];
  const reconcilers: Reconciler[] = Object.entries(fns).map(([kind, fn]) => ({
    kind, settings,
    reconcile: async (ctx) => { calls.push(ctx.key); return fn(ctx); },
  }));
  const metrics = createMetrics();
  const mgr = new Manager({ reconcilers, desired: source, store, clock, log: createLogger({ level: 'silent' }), instance: 'test', metrics, random: () => 0.5, removalGraceMs: 0, holdMassDeletions: false });
  const settle = async (): Promise<void> => { await mgr.idle(); };
  return { clock, source, store, mgr, calls, settle, stateDir, metrics };
}

const ok: Fn = async () => ({ ready: { status: 'True', reason: 'Available' }, observed: { n: 1 } });

describe('Manager', () => {
  it('marks success Ready and Synced at the generation and resyncs after the interval', async () => {
    const t = setup({ Thing: ok });
    const key = t.source.put('Thing', 'a', { x: 1 });
    t.mgr.start();
    await t.settle();
    const st = t.store.get(key)!;
    expect(st.generation).toBe(1);
    expect(st.status.observedGeneration).toBe(1);
    expect(getCondition(st.status.conditions, READY)).toMatchObject({ status: 'True', reason: 'Available', observedGeneration: 1 });
    expect(getCondition(st.status.conditions, SYNCED)?.status).toBe('True');
    expect(st.status.observed).toEqual({ n: 1 });
    expect(t.mgr.ready).toBe(true);
    expect(t.mgr.nextScheduled(key)).toBe(t.clock.now() + 60_000);
    t.clock.advance(60_000);
    await t.settle();
    expect(t.calls).toEqual([key, key]);
  });

  it('increments the generation only when the spec changes, and keeps the transition time', async () => {
    const t = setup({ Thing: ok });
    const key = t.source.put('Thing', 'a', { x: 1 });
    t.mgr.start();
    await t.settle();
    const t0 = getCondition(t.store.get(key)!.status.conditions, READY)!.lastTransitionTime;
    t.clock.advance(1000);
    t.source.put('Thing', 'a', { x: 1 }, { note: 'same spec' });
    t.mgr.desiredChanged([key]);
    await t.settle();
    expect(t.store.get(key)!.generation).toBe(1);
    t.source.put('Thing', 'a', { x: 2 });
    t.mgr.desiredChanged([key]);
    await t.settle();
    const st = t.store.get(key)!;
    expect(st.generation).toBe(2);
    expect(getCondition(st.status.conditions, READY)!.lastTransitionTime).toBe(t0);
    expect(getCondition(st.status.conditions, READY)!.observedGeneration).toBe(2);
  });

  it('requeues a waiting object after its delay without counting a failure', async () => {
    const t = setup({ Thing: async () => { throw new WaitError('WaitingForServer', 'server has no address yet', 5000, ['Server/s']); } });
    const key = t.source.put('Thing', 'a', {});
    t.mgr.start();
    await t.settle();
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, READY)).toMatchObject({ status: 'False', reason: 'WaitingForServer' });
    expect(st.status.waitingOn).toEqual(['Server/s']);
    expect(t.mgr.nextScheduled(key)).toBe(t.clock.now() + 5000);
    expect(await t.metrics.text()).toMatch(/controller_runtime_reconcile_total\{controller="Thing",result="wait"\} 1/);
  });

  it('backs off retryable errors exponentially and honours retry-after', async () => {
    let n = 0;
    const t = setup({ Thing: async () => { n++; throw new RetryableError('ProviderUnavailable', 'HTTP 503', n === 3 ? { retryAfterMs: 20_000 } : {}); } });
    const key = t.source.put('Thing', 'a', {});
    t.mgr.start();
    await t.settle();
    expect(t.mgr.nextScheduled(key)! - t.clock.now()).toBe(1000);
    t.clock.advance(1000); await t.settle();
    expect(t.mgr.nextScheduled(key)! - t.clock.now()).toBe(2000);
    t.clock.advance(2000); await t.settle();
    expect(t.mgr.nextScheduled(key)! - t.clock.now()).toBe(20_000);
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, SYNCED)).toMatchObject({ status: 'False', reason: 'ProviderUnavailable' });
    expect(getCondition(st.status.conditions, READY)?.status).toBe('Unknown');
  });

  it('stalls on a terminal error and retries only when the spec or annotations change', async () => {
    let fail = true;
    const t = setup({ Thing: async () => { if (fail) throw new TerminalError('InvalidRecord', 'content rejected'); return ok({} as ReconcileContext); } });
    const key = t.source.put('Thing', 'a', { x: 1 });
    t.mgr.start();
    await t.settle();
    expect(getCondition(t.store.get(key)!.status.conditions, STALLED)?.status).toBe('True');
    expect(t.mgr.nextScheduled(key)).toBeUndefined();
    t.mgr.enqueue(key);
    await t.settle();
    expect(t.calls.length).toBe(1);
    fail = false;
    t.source.put('Thing', 'a', { x: 2 });
    t.mgr.desiredChanged([key]);
    await t.settle();
    expect(t.calls.length).toBe(2);
    const st = t.store.get(key)!;
    expect(getCondition(st.status.conditions, STALLED)).toBeUndefined();
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
  });

  it('emits one event for a shared terminal cause, not one per object', async () => {
    const t = setup({ Thing: async () => { throw new TerminalError('AuthenticationFailed', 'token rejected', { scope: 'cf-token' }); } });
    const keys = ['a', 'b', 'c'].map((n) => t.source.put('Thing', n, {}));
    t.mgr.start();
    await t.settle();
    const events = keys.flatMap((k) => t.store.get(k)!.status.events);
    expect(events.filter((e) => e.reason === 'AuthenticationFailed')).toHaveLength(1);
    for (const k of keys) expect(getCondition(t.store.get(k)!.status.conditions, STALLED)?.reason).toBe('AuthenticationFailed');
  });

  it('skips paused objects entirely', async () => {
    const t = setup({ Thing: ok });
    const key = t.source.put('Thing', 'a', {}, { 'livchat.ai/paused': 'true' });
    t.mgr.start();
    await t.settle();
    expect(t.calls).toEqual([]);
    expect(getCondition(t.store.get(key)!.status.conditions, SYNCED)?.reason).toBe('ReconcilePaused');
  });

  it('cleans up a removed object through its reconciler, then forgets it', async () => {
    const seen: Array<string | undefined> = [];
    const t = setup({ Thing: async (ctx) => { seen.push(ctx.desired ? 'present' : `removed:${String(ctx.object.spec.x)}`); return ctx.desired ? ok(ctx) : { ready: { status: 'False', reason: 'Deleted' }, deleted: true }; } });
    const key = t.source.put('Thing', 'a', { x: 7 });
    t.mgr.start();
    await t.settle();
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await t.settle();
    expect(seen).toEqual(['present', 'removed:7']);
    expect(t.store.get(key)).toBeUndefined();
    expect(t.mgr.nextScheduled(key)).toBeUndefined();
  });

  it('never acts on removals while the desired directory is empty or unreadable', async () => {
    const t = setup({ Thing: ok });
    const key = t.source.put('Thing', 'a', {});
    t.mgr.start();
    await t.settle();
    t.source.remove(key);
    t.source.unsafe = true;
    t.mgr.desiredChanged([key]);
    await t.settle();
    expect(t.calls).toEqual([key]);
    expect(t.store.get(key)).toBeDefined();
  });

  it('reconciles owned objects like file objects and removes them with their owner', async () => {
    const t = setup({
      Parent: async (ctx) => {
        if (!ctx.desired) return { ready: { status: 'False', reason: 'Deleted' }, deleted: true };
        ctx.own([{ apiVersion: API_VERSION, kind: 'Child', metadata: { name: 'c' }, spec: { deletionPolicy: 'Delete' } }]);
        return ok(ctx);
      },
      Child: async (ctx) => (ctx.desired ? ok(ctx) : { ready: { status: 'False', reason: 'Deleted' }, deleted: true }),
    });
    const pkey = t.source.put('Parent', 'p', {});
    t.mgr.start();
    await t.settle();
    const child = t.store.get('Child/parent.p.c')!;
    expect(child.owner).toEqual({ kind: 'Parent', name: 'p' });
    expect(getCondition(child.status.conditions, READY)?.status).toBe('True');
    expect(t.store.get(pkey)!.owned).toHaveLength(1);
    t.source.remove(pkey);
    t.mgr.desiredChanged([pkey]);
    await t.settle();
    expect(t.store.get(pkey)).toBeUndefined();
    expect(t.store.get('Child/parent.p.c')).toBeUndefined();
  });

  it('requeues dependents at once when a dependency status changes', async () => {
    let ip: string | undefined;
    const t = setup({
      Server: async () => ({ ready: { status: ip ? 'True' : 'False', reason: ip ? 'Available' : 'Creating' }, observed: { ipv4: ip } }),
      Record: async (ctx) => {
        const dep = ctx.dependency('Server/s');
        const addr = dep.status?.observed?.ipv4;
        if (!addr) throw new WaitError('WaitingForServer', 'no address yet', 600_000, ['Server/s']);
        return { ready: { status: 'True', reason: 'Available' }, observed: { content: addr } };
      },
    });
    t.source.put('Server', 's', {});
    const rkey = t.source.put('Record', 'r', {});
    t.mgr.start();
    await t.settle();
    expect(getCondition(t.store.get(rkey)!.status.conditions, READY)?.reason).toBe('WaitingForServer');
    ip = '203.0.113.7';
    t.mgr.enqueue('Server/s');
    await t.settle();
    // No clock advance: the record was requeued by the dependency, not by its 10-minute poll.
    expect(t.store.get(rkey)!.status.observed?.content).toBe('203.0.113.7');
  });

  it('persists state so a new manager sees generations and status after a restart', async () => {
    const t = setup({ Thing: ok });
    const key = t.source.put('Thing', 'a', { x: 1 });
    t.mgr.start();
    await t.settle();
    const again = new StatusStore(t.stateDir);
    expect(again.load().errors).toEqual([]);
    expect(again.get(key)!.generation).toBe(1);
    expect(getCondition(again.get(key)!.status.conditions, READY)?.status).toBe('True');
  });
});
