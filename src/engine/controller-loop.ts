// One kind's controller loop: its queue, the gates before a reconcile (removal grace, hold, order, pause, stall), and scheduling.
import type { KindSettings, Reconciler } from './reconciler.js';
import type { DesiredObject } from './types.js';
import { ANNOTATION_PAUSED, parseKey } from './types.js';
import { WorkQueue, PRIORITY_NORMAL } from './workqueue.js';
import type { Outcome } from './outcome.js';
import { addEvent, type ObjectState } from './state.js';
import { alreadyHeld, alreadyPaused, summarize } from './summarize.js';
import { hashValue } from './hash.js';
import { SYNCED, getCondition } from './conditions.js';
import type { EngineCore } from './core.js';
import { runPass } from './pass.js';

const HELD_MESSAGE = 'deletion held: half or more of the objects (or all of them) disappeared at once; restore the files, or confirm with `livchat confirm-deletions` (apply: --confirm-deletions)';
/** How often a removal waiting for its dependents looks again (their deletion also re-queues it at once). */
const ORDER_RECHECK_MS = 30_000;

/** ControllerLoop runs one kind's reconciler over its queue. */
export class ControllerLoop {
  readonly queue: WorkQueue;

  constructor(readonly reconciler: Reconciler, readonly settings: KindSettings, private readonly core: EngineCore, random?: () => number) {
    const name = reconciler.kind;
    const m = core.metrics;
    this.queue = new WorkQueue({
      name, concurrency: settings.concurrency, clock: core.clock,
      backoffBaseMs: settings.backoffBaseMs, backoffCapMs: settings.backoffCapMs, random,
      hooks: m ? {
        depth: (n) => m.workqueueDepth.set({ name }, n),
        added: () => m.workqueueAdds.inc({ name }),
        retried: () => m.workqueueRetries.inc({ name }),
        queueDuration: (ms) => m.workqueueQueueDuration.observe({ name }, ms / 1000),
        workDuration: (ms) => m.workqueueWorkDuration.observe({ name }, ms / 1000),
        active: (n) => m.activeWorkers.set({ controller: name }, n),
      } : undefined,
    });
    m?.maxConcurrentReconciles.set({ controller: name }, settings.concurrency);
  }

  start(): void { this.queue.start((key) => this.handle(key)); }

  async handle(key: string): Promise<void> {
    const core = this.core;
    const { store, index } = core;
    const desired = index.get(key);
    let state = store.get(key);
    try {
      if (!desired && !state) { this.queue.cancel(key); return; }
      if (!desired && state?.deleted) { this.#forgetIfChildrenGone(key); return; }
      if (desired) core.grace.cancel(key);
      else if (!index.isOwned(key) && !state?.owner) {
        // Owned objects go with their owner; a file object's removal waits for a readable desired/, its grace, and the hold.
        if (core.desired.unsafeToPrune()) return;
        const remaining = core.grace.run(key);
        if (remaining > 0) { this.queue.addAfter(key, remaining, PRIORITY_NORMAL); return; }
        if (core.hold.isHeld(key)) { this.#markHeld(key, state!); return; }
      }
      if (!desired && (this.#heldByDependents(key, state) || this.#waitForDependents(key))) return;
      state = this.#syncState(key, desired, state);
      const object = desired?.object ?? state.last;
      if (!object) { store.remove(key); return; }
      if (object.metadata.annotations?.[ANNOTATION_PAUSED] === 'true') { this.#markPaused(key, state); return; }
      const metaHash = hashValue(object.metadata.annotations ?? {});
      // A stall holds until the spec or annotations change; a removal is always worked on.
      if (desired && state.stalled && state.stalled.generation === state.generation && state.stalled.metaHash === metaHash) return;
      const { kind, name } = parseKey(key);
      const outcome = await runPass(core, this.reconciler, { key, kind, name, desired, object, state, metaHash });
      if (outcome) this.#schedule(key, outcome); else this.queue.cancel(key);
    } finally {
      // One durable write per reconcile; controller persist() calls were already written on the spot.
      store.flush(key);
      core.reconciled(key);
    }
  }

  /** #forgetIfChildrenGone drops a deleted owner's state once its children's cleanup is done (their deletion re-queues it). */
  #forgetIfChildrenGone(key: string): void {
    if (this.core.graph.ownedWithState(key).length) return;
    this.queue.cancel(key);
    this.core.store.remove(key);
    this.core.objectsChanged();
  }

  /** #heldByDependents keeps a removal back while desired objects still need it (an app on a Server): Synced=False/DependentsExist. */
  #heldByDependents(key: string, state: ObjectState | undefined): boolean {
    const holders = this.core.holders(key);
    if (!holders.length || !state) return false;
    const message = `not deleted while ${holders.sort().join(', ')} ${holders.length === 1 ? 'needs' : 'need'} it; remove ${holders.length === 1 ? 'that file' : 'those files'} first`;
    this.core.store.stage(key, (s) => { s.status.conditions = summarize(s.status.conditions, { type: 'waiting-human', reason: 'DependentsExist', message }, s.generation, new Date(this.core.clock.now())); });
    // The holders' own removal re-queues this key through the dependency edges; the recheck covers edges not yet registered.
    this.queue.addAfter(key, ORDER_RECHECK_MS, PRIORITY_NORMAL);
    return true;
  }

  /** #waitForDependents keeps a removal back while removed objects that depend on it still exist: they go first. */
  #waitForDependents(key: string): boolean {
    const blockers = this.core.graph.removalBlockers(key);
    if (!blockers.length) return false;
    const message = `deleted after its dependents: ${blockers.sort().join(', ')}`;
    this.core.store.stage(key, (s) => { s.status.conditions = summarize(s.status.conditions, { type: 'progress', phase: 'WaitingForDependents', message }, s.generation, new Date(this.core.clock.now())); });
    this.queue.addAfter(key, ORDER_RECHECK_MS, PRIORITY_NORMAL);
    return true;
  }

  #syncState(key: string, desired: DesiredObject | undefined, state: ObjectState | undefined): ObjectState {
    const { store, clock } = this.core;
    const now = new Date(clock.now());
    const init = (): ObjectState => ({ key, generation: 0, specHash: '', createdAt: now.toISOString(), internal: {}, status: { conditions: [], events: [] } });
    if (!desired) return state!.removed ? state! : store.stage(key, (s) => { s.removed = true; });
    const owner = desired.object.metadata.ownerReferences?.[0];
    const needs = !state || state.specHash !== desired.specHash || state.removed || state.deleted
      || hashValue(state.last) !== hashValue(desired.object) || hashValue(state.source) !== hashValue(desired.source);
    if (!needs) return state!;
    return store.stage(key, (s) => {
      if (s.specHash !== desired.specHash) { s.generation += 1; s.specHash = desired.specHash; }
      s.last = desired.object;
      if (desired.source) s.source = desired.source; else delete s.source;
      if (owner) s.owner = owner; else delete s.owner;
      delete s.removed;
      delete s.deleted;
      s.status.conditions = summarize(s.status.conditions, { type: 'pending' }, s.generation, now);
    }, init);
  }

  /** #markHeld says on the object that its deletion waits for a confirmation; Ready stays as it is. */
  #markHeld(key: string, state: ObjectState): void {
    // The message names no count, so a growing held set does not rewrite every held object.
    if (alreadyHeld(state.status.conditions, HELD_MESSAGE)) return;
    const d = new Date(this.core.clock.now());
    const wasHeld = getCondition(state.status.conditions, SYNCED)?.reason === 'DeletionHeld';
    this.core.store.update(key, (s) => {
      s.status.conditions = summarize(s.status.conditions, { type: 'held', message: HELD_MESSAGE }, s.generation, d);
      if (!wasHeld) addEvent(s.status, 'Warning', 'DeletionHeld', 'the desired object is gone, but its deletion is held with a mass deletion', d);
    });
  }

  #markPaused(key: string, state: ObjectState): void {
    if (alreadyPaused(state.status.conditions)) return;
    const d = new Date(this.core.clock.now());
    this.core.store.update(key, (s) => {
      s.status.conditions = summarize(s.status.conditions, { type: 'paused' }, s.generation, d);
      addEvent(s.status, 'Normal', 'Paused', 'reconciliation paused by annotation', d);
    });
  }

  #schedule(key: string, outcome: Outcome): void {
    const q = this.queue;
    switch (outcome.schedule.type) {
      case 'resync': q.forget(key); q.addAfter(key, q.jittered(this.settings.resyncMs)); break;
      case 'after':
        q.forget(key);
        if (outcome.schedule.ms <= 0) q.add(key, PRIORITY_NORMAL); else q.addAfter(key, outcome.schedule.ms, PRIORITY_NORMAL);
        break;
      case 'backoff': q.addAfter(key, q.backoffDelay(key, outcome.schedule.minMs), PRIORITY_NORMAL); break;
      case 'none': q.cancel(key); break;
    }
  }
}
