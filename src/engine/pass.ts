// One reconcile pass: run the controller, map its result, persist status, owned objects and edges, finish deletions.
import type { ReconcileResult, Reconciler } from './reconciler.js';
import type { DesiredObject, Resource } from './types.js';
import { fromError, fromResult, type Outcome } from './outcome.js';
import { READY, getCondition } from './conditions.js';
import { addEvent, type ObjectState } from './state.js';
import { hashValue } from './hash.js';
import { buildContext } from './context.js';
import { summarize } from './summarize.js';
import { objectKey } from './types.js';
import type { EngineCore } from './core.js';
import { PRIORITY_NORMAL } from './workqueue.js';

export interface PassInput {
  key: string; kind: string; name: string;
  desired: DesiredObject | undefined;
  object: Resource;
  state: ObjectState;
  metaHash: string;
}

/** runPass reconciles one key; it returns the outcome to schedule, or undefined when the object was deleted. */
export async function runPass(core: EngineCore, r: Reconciler, p: PassInput): Promise<Outcome | undefined> {
  const { store, clock, metrics, graph } = core;
  const { key, kind, state } = p;
  const log = core.log.child({ controller: kind, key });
  const deps = new Set<string>();
  let owned: Resource[] | undefined;
  const before = store.get(key)!;
  const ctx = buildContext({
    ...p, instance: core.instance, signal: core.signal, log, clock, store,
    dependency: (depKey) => { deps.add(depKey); graph.addDependency(key, depKey); return view(core, depKey); },
    own: (children) => { owned = children; },
  });
  const started = clock.monotonic();
  let outcome: Outcome;
  let result: ReconcileResult | undefined;
  try {
    result = await r.reconcile(ctx);
    outcome = fromResult(store.get(key)!.status.conditions, result, state.generation, new Date(clock.now()));
  } catch (err) {
    if (!(err instanceof Error)) metrics?.reconcilePanics.inc({ controller: kind });
    outcome = fromError(store.get(key)!.status.conditions, err, state.generation, new Date(clock.now()));
    if (outcome.kind === 'error') log.warn({ err: (err as Error)?.message }, 'reconcile failed');
  }
  metrics?.recordReconcile(kind, outcome.kind === 'deleted' ? 'success' : outcome.kind, (clock.monotonic() - started) / 1000);

  // A removed object keeps the edges it had while present: its deletion must still re-queue what it depended on.
  graph.setDependencies(key, p.desired ? deps : new Set([...graph.dependenciesOf(key), ...deps]));
  if (outcome.kind === 'deleted') {
    finishDeletion(core, key, outcome, result?.childrenPolicy);
    return undefined;
  }
  const after = persistOutcome(core, key, outcome, result, p.metaHash);
  // Owned objects start after the owner's status is in place, so they see its latest observed fields.
  if (owned !== undefined) applyOwned(core, key, owned);
  if (statusSignature(before) !== statusSignature(after)) notifyDependents(core, key);
  core.objectsChanged();
  return outcome;
}

function persistOutcome(core: EngineCore, key: string, outcome: Outcome, result: ReconcileResult | undefined, metaHash: string): ObjectState {
  const { store, clock } = core;
  const now = new Date(clock.now());
  let event = outcome.event;
  if (event && outcome.stalledScope) {
    // One event per shared cause (e.g. a bad token), not one per object per retry.
    const last = core.scopeEvents.get(outcome.stalledScope);
    if (last !== undefined && clock.monotonic() - last < core.scopeEventWindowMs) event = undefined;
    else { core.scopeEvents.set(outcome.stalledScope, clock.monotonic()); core.log.error({ scope: outcome.stalledScope, reason: outcome.event?.reason }, outcome.event?.message ?? ''); }
  }
  return store.stage(key, (s) => {
    s.status.conditions = outcome.conditions;
    s.status.observedGeneration = s.generation;
    s.status.lastReconcileTime = now.toISOString();
    if (result?.observed) s.status.observed = { ...s.status.observed, ...result.observed };
    if (outcome.waitingOn?.length) s.status.waitingOn = outcome.waitingOn; else delete s.status.waitingOn;
    if (outcome.kind === 'success' || outcome.kind === 'requeue_after') {
      const rev = core.revision?.();
      if (rev) s.status.lastAppliedRevision = rev;
      if (getCondition(outcome.conditions, READY)?.status === 'True') { delete s.status.phase; delete s.status.progress; }
    }
    if (outcome.kind === 'terminal') s.stalled = { generation: s.generation, metaHash, ...(outcome.stalledScope ? { scope: outcome.stalledScope } : {}) };
    else delete s.stalled;
    if (event) addEvent(s.status, event.type, event.reason, event.message, now);
  });
}

/**
 * finishDeletion releases the children (by the owner's children policy) and forgets the object, or, while its
 * children still have state, keeps it as deleted until their cleanup is done. What it depended on may go now.
 */
function finishDeletion(core: EngineCore, key: string, outcome: Outcome, childrenPolicy: 'Delete' | 'Orphan' | undefined): void {
  const { store, index, graph } = core;
  const children = index.ownedBy(key);
  const { changed } = index.setOwned(key, []);
  for (const child of children) {
    const st = store.get(child);
    if (st?.last && childrenPolicy === 'Orphan') {
      store.update(child, (s) => { s.last = { ...s.last!, spec: { ...s.last!.spec, deletionPolicy: 'Orphan' } }; });
    }
  }
  const dependedOn = graph.dependenciesOf(key);
  const owner = store.get(key)?.owner;
  graph.forget(key);
  core.grace.finished(key);
  if (graph.ownedWithState(key).length) {
    const now = new Date(core.clock.now());
    store.stage(key, (s) => {
      s.deleted = true;
      s.removed = true;
      s.status.conditions = summarize(outcome.conditions, { type: 'progress', phase: 'DeletingChildren', message: 'waiting for the owned objects to be cleaned up' }, s.generation, now);
    });
  } else store.remove(key);
  for (const k of changed) core.enqueue(k, PRIORITY_NORMAL);
  for (const k of dependedOn) core.enqueue(k, PRIORITY_NORMAL);
  if (owner) core.enqueue(objectKey(owner.kind, owner.name), PRIORITY_NORMAL);
  notifyDependents(core, key);
  core.objectsChanged();
}

function applyOwned(core: EngineCore, key: string, declared: Resource[]): void {
  const { store, index, graph } = core;
  const children = graph.nameChildren(key, declared);
  const { changed, clashes } = index.setOwned(key, children);
  const cur = store.get(key);
  if (cur && hashValue(cur.owned ?? []) !== hashValue(children)) {
    store.update(key, (s) => { if (children.length) s.owned = children; else delete s.owned; });
  }
  for (const c of clashes) {
    store.update(key, (s) => addEvent(s.status, 'Warning', 'OwnedObjectClash', `derived object ${c} clashes with an object defined elsewhere; it is left alone`, new Date(core.clock.now())));
  }
  for (const k of changed) core.enqueue(k, PRIORITY_NORMAL);
}

function view(core: EngineCore, key: string): { exists: boolean; status?: ObjectState['status']; object?: Resource } {
  const desired = core.index.get(key);
  const st = core.store.get(key);
  return { exists: !!desired, ...(st ? { status: structuredClone(st.status) } : {}), ...(desired ? { object: desired.object } : {}) };
}

function notifyDependents(core: EngineCore, key: string): void {
  for (const dep of core.graph.dependentsOf(key)) core.enqueue(dep, PRIORITY_NORMAL);
}

function statusSignature(st: ObjectState | undefined): string {
  if (!st) return '';
  return hashValue({ r: getCondition(st.status.conditions, READY)?.status, o: st.status.observed });
}
