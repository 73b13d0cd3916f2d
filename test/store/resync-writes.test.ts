// A converged resync writes no per-object state file: last-reconcile times go to one batched file, readers still see them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { Manager } from '../../src/engine/manager.js';
import { CHECKED_FILE, StatusStore, readAllStates } from '../../src/store/status-store.js';
import { writeFileAtomic } from '../../src/store/atomic.js';
import { toApiObject } from '../../src/store/object-view.js';
import { createLogger } from '../../src/obs/log.js';
import type { Reconciler } from '../../src/engine/reconciler.js';
import { MemorySource } from '../helpers/memory-source.js';

const N = 200;

function setup(stateDir: string, clock: ManualClock, writes: string[]) {
  const source = new MemorySource();
  for (let i = 0; i < N; i++) source.put('Thing', `t${i}`, { i });
  const store = new StatusStore(stateDir, {
    clock, checkedFlushMs: 60_000,
    writer: (path, data) => { writes.push(path); writeFileAtomic(path, data, 0o600, { syncDir: false }); },
  });
  store.load();
  const reconciler: Reconciler = { kind: 'Thing', settings: { resyncMs: 600_000, concurrency: 4, backoffBaseMs: 1000, backoffCapMs: 10_000 }, reconcile: async (ctx) => ({ ready: { status: 'True', reason: 'Available' }, observed: { id: ctx.name } }) };
  const mgr = new Manager({ reconcilers: [reconciler], desired: source, store, clock, log: createLogger({ level: 'silent' }), instance: 't', random: () => 0.5 });
  return { store, mgr };
}

describe('converged resync', () => {
  it(`of ${N} objects makes 0 per-object file writes; the batched time is at most a minute stale and survives a restart`, async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-resync-'));
    const clock = new ManualClock();
    const writes: string[] = [];
    const { store, mgr } = setup(stateDir, clock, writes);
    mgr.start();
    await mgr.idle();
    const objectWrites = () => writes.filter((p) => p.includes(`${join(stateDir, 'objects')}/`));
    expect(objectWrites()).toHaveLength(N);
    const firstTime = store.get('Thing/t0')!.status.lastReconcileTime!;

    writes.length = 0;
    clock.advance(600_000); // one resync interval: every object is reconciled again and nothing changed
    await mgr.idle();
    expect(objectWrites()).toEqual([]);
    // In memory (HTTP) the time is current at once.
    const now = store.get('Thing/t0')!.status.lastReconcileTime!;
    expect(now > firstTime).toBe(true);
    expect(toApiObject(store.get('Thing/t0')!).status.lastReconcileTime).toBe(now);

    // The batched file is written within a minute, once for all objects.
    clock.advance(60_000);
    expect(writes).toEqual([join(stateDir, CHECKED_FILE)]);
    const fromDisk = readAllStates(join(stateDir, 'objects')).find((s) => s.key === 'Thing/t0')!;
    expect(fromDisk.status.lastReconcileTime).toBe(now);
    expect(Object.keys(JSON.parse(readFileSync(join(stateDir, CHECKED_FILE), 'utf8')) as object)).toHaveLength(N);

    // A second converged resync right after a restart also writes nothing per object.
    await mgr.stop(1000);
    writes.length = 0;
    const again = setup(stateDir, clock, writes);
    expect(again.store.get('Thing/t0')!.status.lastReconcileTime).toBe(now);
    again.mgr.start();
    await again.mgr.idle();
    expect(objectWrites()).toEqual([]);
    await again.mgr.stop(1000);
    // Shutdown writes the batched times, not the objects.
    expect(writes.every((p) => p === join(stateDir, CHECKED_FILE))).toBe(true);
  });

  it('still writes the object file when something a reader needs changes', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-resync-'));
    const clock = new ManualClock();
    const writes: string[] = [];
    const { store, mgr } = setup(stateDir, clock, writes);
    mgr.start();
    await mgr.idle();
    writes.length = 0;
    store.stage('Thing/t1', (s) => { s.status.phase = 'Changed'; });
    expect(store.flush('Thing/t1')).toBe(true);
    expect(writes).toEqual([join(stateDir, 'objects', 'Thing', 't1.json')]);
    await mgr.stop(1000);
  });
});
