// Shared setup of the engine structure tests: a manager over test reconcilers on a manual clock.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/engine/clock.js';
import { Manager } from '../../src/engine/manager.js';
import { StatusStore } from '../../src/store/status-store.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../../src/engine/reconciler.js';
import { createLogger } from '../../src/obs/log.js';
import { MemorySource } from '../helpers/memory-source.js';

export type Fn = (ctx: ReconcileContext) => Promise<ReconcileResult>;
export const settings = { resyncMs: 60_000, backoffBaseMs: 1000, backoffCapMs: 16_000, concurrency: 2 };

/** engine builds a manager; `calls` records `key:present|removed` per reconcile. Pass stateDir to restart on old state. */
export function engine(fns: Record<string, Fn>, stateDir = mkdtempSync(join(tmpdir(), 'lc-eng-')), extra: Record<string, Partial<Reconciler>> = {}) {
  const clock = new ManualClock();
  const source = new MemorySource();
  const store = new StatusStore(stateDir);
  store.load();
  const calls: string[] = [];
  const reconcilers: Reconciler[] = Object.entries(fns).map(([kind, fn]) => ({
    kind, settings, ...extra[kind],
    reconcile: async (ctx) => { calls.push(`${ctx.key}:${ctx.desired ? 'present' : 'removed'}`); return fn(ctx); },
  }));
  const mgr = new Manager({ reconcilers, desired: source, store, clock, log: createLogger({ level: 'silent' }), instance: 'test', random: () => 0.5, removalGraceMs: 0, holdMassDeletions: false });
  return { clock, source, store, mgr, calls, stateDir };
}

export const ok: Fn = async () => ({ ready: { status: 'True', reason: 'Available' } });
export const gone: Fn = async () => ({ ready: { status: 'False', reason: 'Deleted' }, deleted: true });
