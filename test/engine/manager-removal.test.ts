// Removals: a grace per kind with no writes, cancelled by a reappearing object, surviving restarts; owned objects go with
// their owner; the mass-deletion hold (DeletionHeld, recomputed, exact-set confirmation).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { Manager, type ManagerOptions } from '../../src/engine/manager.js';
import { StatusStore } from '../../src/store/status-store.js';
import { PendingRemovals } from '../../src/store/pending-removals.js';
import { getCondition, READY, SYNCED } from '../../src/engine/conditions.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../../src/engine/reconciler.js';
import { API_VERSION } from '../../src/engine/types.js';
import { createLogger } from '../../src/obs/log.js';
import { MemorySource } from '../helpers/memory-source.js';

type Fn = (ctx: ReconcileContext) => Promise<ReconcileResult>;
const settings = { resyncMs: 3_600_000, backoffBaseMs: 1000, backoffCapMs: 16_000, concurrency: 2 };

/** plain reconciles to Ready and deletes when the object is gone; calls records "key:present|removed". */
function plainFn(calls: string[]): Fn {
  return async (ctx) => {
    calls.push(`${ctx.key}:${ctx.desired ? 'present' : 'removed'}`);
    return ctx.desired ? { ready: { status: 'True', reason: 'Available' } } : { ready: { status: 'False', reason: 'Deleted' }, deleted: true };
  };
}

function setup(kinds: string[], opts: Partial<ManagerOptions> = {}, shared?: { stateDir: string; source: MemorySource; clock: ManualClock }) {
  const clock = shared?.clock ?? new ManualClock();
  const source = shared?.source ?? new MemorySource();
  const stateDir = shared?.stateDir ?? mkdtempSync(join(tmpdir(), 'lc-removal-'));
  const store = new StatusStore(stateDir);
  store.load();
  const calls: string[] = [];
  const reconcilers: Reconciler[] = kinds.map((kind) => ({ kind, settings, reconcile: plainFn(calls) }));
  const mgr = new Manager({ reconcilers, desired: source, store, clock, log: createLogger({ level: 'silent' }), instance: 'test', random: () => 0.5, removalMarks: new PendingRemovals(stateDir), ...opts });
  return { clock, source, store, mgr, calls, stateDir, settle: () => mgr.idle() };
}

const onDisk = (stateDir: string, key: string): string => {
  const [kind, name] = key.split('/');
  return readFileSync(join(stateDir, 'objects', kind!, `${name}.json`), 'utf8');
};

describe('removal grace', () => {
  it('keeps a removed record untouched for 30 s (no reconcile, no status write), then deletes it', async () => {
    const t = setup(['DNSRecord']);
    const key = t.source.put('DNSRecord', 'a', { content: 'x' });
    // Another object stays, so this is an ordinary removal, not an emptied directory (which the hold would keep).
    t.source.put('DNSRecord', 'keep', {});
    t.mgr.start();
    await t.settle();
    const before = onDisk(t.stateDir, key);
    t.source.remove(key);
    t.mgr.recomputeHold();
    t.mgr.desiredChanged([key]);
    await t.settle();
    t.clock.advance(29_999);
    await t.settle();
    expect(t.calls).toEqual([`${key}:present`, 'DNSRecord/keep:present']);
    expect(onDisk(t.stateDir, key)).toBe(before);
    expect(t.mgr.removalRemainingMs(key)).toBe(1);
    t.clock.advance(1);
    await t.settle();
    expect(t.calls).toEqual([`${key}:present`, 'DNSRecord/keep:present', `${key}:removed`]);
    expect(t.store.get(key)).toBeUndefined();
  });

  it('a reappearing object cancels its removal and nothing is written', async () => {
    const t = setup(['DNSRecord']);
    const key = t.source.put('DNSRecord', 'a', { content: 'x' });
    t.mgr.start();
    await t.settle();
    const before = onDisk(t.stateDir, key);
    t.source.remove(key);
    t.mgr.desiredChanged([key]);
    await t.settle();
    t.clock.advance(300);
    t.source.put('DNSRecord', 'a', { content: 'x' });
    t.mgr.desiredChanged([key]);
    await t.settle();
    t.clock.advance(60_000);
    await t.settle();
    expect(t.calls.filter((c) => c.endsWith(':removed'))).toEqual([]);
    expect(JSON.parse(onDisk(t.stateDir, key)).generation).toBe(JSON.parse(before).generation);
    expect(new PendingRemovals(t.stateDir).entries()).toEqual([]);
  });

  it('gives servers 10 minutes by default, and the grace is configurable per kind', async () => {
    const t = setup(['Server', 'DNSRecord'], { removalGraceMs: { DNSRecord: 5_000 } });
    const s = t.source.put('Server', 'prod', {});
    const r = t.source.put('DNSRecord', 'www', {});
    t.mgr.start();
    await t.settle();
    t.source.remove(s);
    t.source.remove(r);
    t.mgr.desiredChanged([s, r]);
    await t.settle();
    t.clock.advance(5_000);
    await t.settle();
    expect(t.store.get(r)).toBeUndefined();
    expect(t.store.get(s)).toBeDefined();
    t.clock.advance(600_000 - 5_001);
    await t.settle();
    expect(t.store.get(s)).toBeDefined();
    t.clock.advance(1);
    await t.settle();
    expect(t.store.get(s)).toBeUndefined();
  });

  it('survives a restart: the grace already served counts, the rest is waited out, a clock stepped back never extends it past one grace', async () => {
    const first = setup(['DNSRecord']);
    const key = first.source.put('DNSRecord', 'a', {});
    first.source.put('DNSRecord', 'keep', {});
    first.mgr.start();
    await first.settle();
    first.source.remove(key);
    first.mgr.desiredChanged([key]);
    await first.settle();
    first.clock.advance(20_000);
    await first.mgr.stop(1000);
    // Restarted 20 s after the removal was first seen: 10 s remain, not 30 s and not 0.
    const clock = new ManualClock(first.clock.now());
    const second = setup(['DNSRecord'], {}, { stateDir: first.stateDir, source: first.source, clock });
    second.mgr.start();
    await second.settle();
    expect(second.calls).toEqual(['DNSRecord/keep:present']);
    expect(second.mgr.removalRemainingMs(key)).toBe(10_000);
    clock.advance(9_999);
    await second.settle();
    expect(second.store.get(key)).toBeDefined();
    await second.mgr.stop(1000);
    // Another restart with the wall clock stepped back an hour: at most one full grace, from this process's start.
    const back = new ManualClock(first.clock.now() - 3_600_000);
    const third = setup(['DNSRecord'], {}, { stateDir: first.stateDir, source: first.source, clock: back });
    third.mgr.start();
    await third.settle();
    expect(third.mgr.removalRemainingMs(key)).toBe(30_000);
    back.advance(30_000);
    await third.settle();
    expect(third.calls).toEqual(['DNSRecord/keep:present', `${key}:removed`]);
    expect(third.store.get(key)).toBeUndefined();
  });

  it('removes owned objects with their owner, not on their own grace', async () => {
    const calls: string[] = [];
    const clock = new ManualClock();
    const source = new MemorySource();
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-removal-'));
    const store = new StatusStore(stateDir);
    const parent: Reconciler = {
      kind: 'Server', settings,
      reconcile: async (ctx) => {
        calls.push(`${ctx.key}:${ctx.desired ? 'present' : 'removed'}`);
        if (!ctx.desired) return { ready: { status: 'False', reason: 'Deleted' }, deleted: true };
        ctx.own([{ apiVersion: API_VERSION, kind: 'DNSRecord', metadata: { name: 'a' }, spec: {} }]);
        return { ready: { status: 'True', reason: 'Available' } };
      },
    };
    const child: Reconciler = { kind: 'DNSRecord', settings, reconcile: plainFn(calls) };
    const mgr = new Manager({ reconcilers: [parent, child], desired: source, store, clock, log: createLogger({ level: 'silent' }), instance: 'test' });
    const key = source.put('Server', 'prod', {});
    mgr.start();
    await mgr.idle();
    expect(store.get('DNSRecord/server.prod.a')?.owner).toEqual({ kind: 'Server', name: 'prod' });
    source.remove(key);
    mgr.desiredChanged([key]);
    await mgr.idle();
    clock.advance(599_999);
    await mgr.idle();
    expect(store.get('DNSRecord/server.prod.a')).toBeDefined();
    expect(calls.filter((c) => c.endsWith(':removed'))).toEqual([]);
    clock.advance(1);
    await mgr.idle();
    // The owner went after its grace, and its record right after it, with no grace of its own.
    expect(calls.filter((c) => c.endsWith(':removed'))).toEqual(['Server/prod:removed', 'DNSRecord/server.prod.a:removed']);
    expect(store.get('DNSRecord/server.prod.a')).toBeUndefined();
  });
});

describe('mass-deletion hold', () => {
  it('an emptied source with only 4 known objects holds every deletion, with Synced=False/DeletionHeld and Ready kept', async () => {
    const t = setup(['DNSRecord'], { removalGraceMs: 0 });
    const keys = ['a', 'b', 'c', 'd'].map((n) => t.source.put('DNSRecord', n, {}));
    t.mgr.start();
    await t.settle();
    for (const k of keys) t.source.remove(k);
    t.mgr.recomputeHold();
    t.mgr.desiredChanged(keys);
    await t.settle();
    expect(t.mgr.heldDeletions()).toEqual(keys);
    expect(t.calls.filter((c) => c.endsWith(':removed'))).toEqual([]);
    const st = t.store.get('DNSRecord/a')!;
    expect(getCondition(st.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(st.status.conditions, SYNCED)).toMatchObject({ status: 'False', reason: 'DeletionHeld' });
    expect(getCondition(st.status.conditions, SYNCED)?.message).toMatch(/livchat confirm-deletions/);
    // A second pass writes nothing.
    const disk = onDisk(t.stateDir, 'DNSRecord/a');
    t.mgr.desiredChanged(keys);
    await t.settle();
    expect(onDisk(t.stateDir, 'DNSRecord/a')).toBe(disk);
  });

  it('restoring the files releases the hold; a later single deletion happens; a new mass removal needs its own exact confirmation', async () => {
    const t = setup(['DNSRecord'], { removalGraceMs: 0 });
    const keys = Array.from({ length: 8 }, (_, i) => t.source.put('DNSRecord', `r${i}`, {}));
    t.mgr.start();
    await t.settle();
    for (const k of keys.slice(0, 6)) t.source.remove(k);
    t.mgr.recomputeHold();
    t.mgr.desiredChanged(keys);
    await t.settle();
    expect(t.mgr.heldDeletions()).toEqual(keys.slice(0, 6));
    // Restored: released, and Synced comes back from the reconcile.
    for (let i = 0; i < 6; i++) t.source.put('DNSRecord', `r${i}`, {});
    t.mgr.recomputeHold();
    t.mgr.desiredChanged(keys);
    await t.settle();
    expect(t.mgr.heldDeletions()).toEqual([]);
    expect(getCondition(t.store.get(keys[0]!)!.status.conditions, SYNCED)?.status).toBe('True');
    // One legitimate deletion is not a mass removal: it happens.
    t.source.remove(keys[7]!);
    t.mgr.recomputeHold();
    t.mgr.desiredChanged([keys[7]!]);
    await t.settle();
    expect(t.store.get(keys[7]!)).toBeUndefined();
    // 5 of the remaining 7 disappear: held; a confirmation of another set is refused; the exact set deletes them.
    for (const k of keys.slice(0, 5)) t.source.remove(k);
    t.mgr.recomputeHold();
    t.mgr.desiredChanged(keys.slice(0, 5));
    await t.settle();
    expect(t.mgr.heldDeletions()).toEqual(keys.slice(0, 5));
    expect(t.mgr.confirmDeletions(keys.slice(0, 4))).toMatchObject({ ok: false });
    expect(t.store.get(keys[0]!)).toBeDefined();
    expect(t.mgr.confirmDeletions(keys.slice(0, 5))).toEqual({ ok: true, confirmed: keys.slice(0, 5) });
    await t.settle();
    t.mgr.recomputeHold();
    for (const k of keys.slice(0, 5)) expect(t.store.get(k)).toBeUndefined();
    expect(t.store.keys().sort()).toEqual([keys[5], keys[6]]);
  });

  it('exactly half of the objects disappearing is held', async () => {
    const t = setup(['DNSRecord'], { removalGraceMs: 0 });
    const keys = Array.from({ length: 20 }, (_, i) => t.source.put('DNSRecord', `r${String(i).padStart(2, '0')}`, {}));
    t.mgr.start();
    await t.settle();
    for (const k of keys.slice(0, 10)) t.source.remove(k);
    t.mgr.recomputeHold();
    t.mgr.desiredChanged(keys);
    await t.settle();
    expect(t.mgr.heldDeletions()).toHaveLength(10);
    expect(t.store.keys()).toHaveLength(20);
  });
});
