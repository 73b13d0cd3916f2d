// The controller manager: one queue per kind, generations, owned objects, dependencies, status and shutdown.
import type { Clock } from './clock.js';
import type { Logger } from '../obs/log.js';
import type { Metrics } from '../obs/metrics.js';
import type { DependencyView, KindSettings, ReconcileContext, ReconcileResult, Reconciler } from './reconciler.js';
import type { DesiredObject, Resource } from './types.js';
import { ANNOTATION_PAUSED, parseKey } from './types.js';
import { WorkQueue, PRIORITY_LOW, PRIORITY_NORMAL } from './workqueue.js';
import { fromError, fromResult, type Outcome } from './outcome.js';
import { READY, SYNCED, getCondition, setCondition } from './conditions.js';
import { addEvent, type ObjectState, type StateStore } from './state.js';
import { ObjectIndex, type DesiredSource } from './object-index.js';
import { hashValue } from './hash.js';
import { ENGINE_REASONS, mergeCatalogs, type ReasonCatalog } from './reasons.js';
import { DeletionHold, type ConfirmResult, type HoldChange } from './prune-guard.js';

export const DEFAULT_SETTINGS: KindSettings = { concurrency: 2, resyncMs: 600_000, backoffBaseMs: 2_000, backoffCapMs: 600_000 };

/** How long a removed object keeps its last state before its deletion starts, per kind (others: DEFAULT_REMOVAL_GRACE_MS). */
export const REMOVAL_GRACE_MS: Record<string, number> = { Server: 600_000 };
export const DEFAULT_REMOVAL_GRACE_MS = 30_000;

/** RemovalMarks persists when each pending removal was first seen (wall ms), so the grace survives a restart. */
export interface RemovalMarks {
  firstSeen(key: string): number | undefined;
  keys(): string[];
  mark(key: string, wallMs: number): void;
  clear(key: string): void;
  /** Many marks and clears in one write. */
  update(mark: readonly string[], clear: readonly string[], wallMs: number): void;
}

/** memoryMarks keeps removal marks in memory only (tests, one-shot runs). */
function memoryMarks(): RemovalMarks {
  const m = new Map<string, number>();
  return {
    firstSeen: (k) => m.get(k), keys: () => [...m.keys()],
    mark: (k, t) => { if (!m.has(k)) m.set(k, t); }, clear: (k) => { m.delete(k); },
    update: (mark, clear, t) => { for (const k of clear) m.delete(k); for (const k of mark) if (!m.has(k)) m.set(k, t); },
  };
}

export interface ManagerOptions {
  reconcilers: Reconciler[];
  desired: DesiredSource;
  store: StateStore;
  clock: Clock;
  log: Logger;
  instance: string;
  metrics?: Metrics;
  /** Git commit of the desired directory, recorded as lastAppliedRevision. */
  revision?: () => string | undefined;
  /** Per-kind overrides of the reconcilers' own settings. */
  settings?: Record<string, Partial<KindSettings>>;
  random?: () => number;
  /** How long one scope's terminal event is not repeated (ms). @default 3600000 */
  scopeEventWindowMs?: number;
  /** Removal grace in ms: one figure for every kind, or per kind (missing kinds use the defaults). 0 acts at once (apply). */
  removalGraceMs?: number | Record<string, number>;
  /** Where first sightings of removals persist. @default in memory */
  removalMarks?: RemovalMarks;
  /** Hold mass deletions until confirmed. @default true */
  holdMassDeletions?: boolean;
}

interface KindRuntime { reconciler: Reconciler; queue: WorkQueue; settings: KindSettings }

/** Manager runs every kind's controller over the object index and persists status. */
export class Manager {
  readonly index: ObjectIndex;
  readonly #o: ManagerOptions;
  readonly #kinds = new Map<string, KindRuntime>();
  readonly #dependents = new Map<string, Set<string>>();
  readonly #deps = new Map<string, Set<string>>();
  readonly #scopeEvents = new Map<string, number>();
  readonly #pendingFirst = new Set<string>();
  readonly #abort = new AbortController();
  readonly #listeners = new Set<(key: string) => void>();
  #started = false;
  #gaugeTimer: (() => void) | undefined;
  #firstPassDone = false;
  readonly #hold = new DeletionHold();
  readonly #marks: RemovalMarks;
  /** Monotonic deadline of each pending removal's grace in this process. */
  readonly #removalDeadlines = new Map<string, number>();

  constructor(opts: ManagerOptions) {
    this.#o = opts;
    this.#marks = opts.removalMarks ?? memoryMarks();
    this.index = new ObjectIndex(opts.desired);
    for (const r of opts.reconcilers) {
      const settings = { ...DEFAULT_SETTINGS, ...r.settings, ...opts.settings?.[r.kind] };
      const name = r.kind;
      const m = opts.metrics;
      const queue = new WorkQueue({
        name, concurrency: settings.concurrency, clock: opts.clock,
        backoffBaseMs: settings.backoffBaseMs, backoffCapMs: settings.backoffCapMs, random: opts.random,
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
      this.#kinds.set(r.kind, { reconciler: r, queue, settings });
    }
    // Owned objects live only in their owner's state; restore them before anyone reads the index.
    for (const st of opts.store.list()) {
      if (st.owned?.length && !st.removed) this.index.setOwned(st.key, st.owned);
    }
  }

  get kinds(): string[] { return [...this.#kinds.keys()]; }

  /** reasons is the engine's reasons catalog merged with every kind's. */
  get reasons(): ReasonCatalog { return mergeCatalogs(ENGINE_REASONS, ...this.#o.reconcilers.map((r) => r.reasons)); }

  /** handles tells whether a key's kind has a controller. */
  handles(key: string): boolean { return this.#kinds.has(parseKey(key).kind); }
  get store(): StateStore { return this.#o.store; }

  /** start restores owned objects from state and enqueues every known key at low priority. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    // Stalls caused by credentials get one fresh try per process: the token may have been fixed meanwhile.
    for (const st of this.#o.store.list()) if (st.stalled?.scope) this.#o.store.update(st.key, (s) => { delete s.stalled; });
    for (const rt of this.#kinds.values()) rt.queue.start((key) => this.#handle(key));
    this.recomputeHold();
    const keys = new Set([...this.index.list().map((o) => o.key), ...this.#o.store.keys()]);
    for (const key of keys) {
      if (!this.#kinds.has(parseKey(key).kind)) continue;
      this.#pendingFirst.add(key);
      this.enqueue(key, PRIORITY_LOW);
    }
    if (this.#pendingFirst.size === 0) this.#firstPassDone = true;
    this.#updateObjectGauge();
  }

  /** enqueue adds a key to its kind's queue. */
  enqueue(key: string, priority = PRIORITY_NORMAL): void {
    const rt = this.#kinds.get(parseKey(key).kind);
    rt?.queue.add(key, priority);
  }

  /** desiredChanged enqueues keys whose desired objects changed, at normal priority. */
  desiredChanged(keys: Iterable<string>): void {
    for (const key of keys) this.enqueue(key, PRIORITY_NORMAL);
  }

  /** resyncAll re-enqueues everything, clearing stalls (used by SIGHUP). */
  resyncAll(clearStalls = false): void {
    for (const rt of this.#kinds.values()) rt.reconciler.invalidate?.();
    const keys = new Set([...this.index.list().map((o) => o.key), ...this.#o.store.keys()]);
    for (const key of keys) {
      if (clearStalls && this.#o.store.get(key)?.stalled) this.#o.store.update(key, (s) => { delete s.stalled; });
      this.enqueue(key, PRIORITY_LOW);
    }
  }

  /** ready is true once every key known at start has been reconciled once. */
  get ready(): boolean { return this.#firstPassDone; }

  /** onReconciled registers a listener called after each reconcile (for apply's progress). */
  onReconciled(fn: (key: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** idle resolves when no queue has queued or running work. */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([...this.#kinds.values()].map((rt) => rt.queue.onIdle()));
      if ([...this.#kinds.values()].every((rt) => rt.queue.depth === 0 && rt.queue.active === 0)) return;
    }
  }

  /** nextScheduled tells when the key's next delayed reconcile is due. */
  nextScheduled(key: string): number | undefined {
    return this.#kinds.get(parseKey(key).kind)?.queue.scheduledAt(key);
  }

  /**
   * recomputeHold derives the mass-deletion hold from the objects missing now (call after every desired load).
   * Keys it releases are enqueued again: restored ones reconcile as usual, confirmed ones are deleted.
   */
  recomputeHold(): HoldChange {
    const present = new Set(this.#o.desired.list().map((o) => o.key));
    const missing: string[] = [];
    // Only kinds with a controller can be deleted, so only they are weighed.
    const presentHandled = [...present].filter((k) => this.#kinds.has(parseKey(k).kind)).length;
    let known = presentHandled;
    for (const st of this.#o.store.list()) {
      if (st.owner || this.index.isOwned(st.key) || !this.#kinds.has(parseKey(st.key).kind)) continue;
      if (present.has(st.key)) continue;
      known++;
      missing.push(st.key);
    }
    this.#syncMarks(present, missing);
    if (this.#o.holdMassDeletions === false) return { held: [], released: [], changed: false };
    const change = this.#hold.recompute(missing, known, presentHandled);
    if (change.changed && change.held.length) {
      this.#o.log.warn({ held: change.held.length, known }, `${change.held.length} of ${known} objects disappeared at once: their deletion is held; restore the files, or confirm with \`livchat confirm-deletions\``);
    }
    if (change.changed && change.held.length === 0 && change.released.length) this.#o.log.info({ released: change.released.length }, 'the deletion hold is released');
    for (const key of change.released) this.enqueue(key, PRIORITY_NORMAL);
    return change;
  }

  /**
   * #syncMarks records the first sighting of every new removal and forgets marks of objects that are back or gone,
   * in one write per load, so that a mass removal or restore does not cost one state write per object.
   */
  #syncMarks(present: ReadonlySet<string>, missing: readonly string[]): void {
    const clear = this.#marks.keys().filter((k) => present.has(k) || !this.#o.store.get(k));
    for (const k of clear) this.#removalDeadlines.delete(k);
    const mark = this.#o.desired.unsafeToPrune() ? [] : missing.filter((k) => this.removalGraceMs(parseKey(k).kind) > 0 && this.#marks.firstSeen(k) === undefined);
    if (clear.length || mark.length) this.#marks.update(mark, clear, this.#o.clock.now());
  }

  /** heldDeletions lists the keys whose deletion waits for a confirmation. */
  heldDeletions(): string[] { return this.#hold.held(); }

  /** confirmDeletions releases the hold when keys is exactly the held set; the deletions then go ahead. */
  confirmDeletions(keys: readonly string[]): ConfirmResult {
    const r = this.#hold.confirm(keys);
    if (r.ok) {
      this.#o.log.warn({ confirmed: r.confirmed.length }, 'held deletions confirmed');
      for (const key of r.confirmed) this.enqueue(key, PRIORITY_NORMAL);
    }
    return r;
  }

  /** removalGraceMs is the configured grace of a kind. */
  removalGraceMs(kind: string): number {
    const g = this.#o.removalGraceMs;
    if (typeof g === 'number') return g;
    return g?.[kind] ?? REMOVAL_GRACE_MS[kind] ?? DEFAULT_REMOVAL_GRACE_MS;
  }

  /** removalRemainingMs tells how much grace a missing object has left, without starting it (for plan). */
  removalRemainingMs(key: string): number {
    const grace = this.removalGraceMs(parseKey(key).kind);
    if (grace <= 0) return 0;
    const deadline = this.#removalDeadlines.get(key);
    if (deadline !== undefined) return Math.max(0, deadline - this.#o.clock.monotonic());
    const seen = this.#marks.firstSeen(key);
    return seen === undefined ? grace : grace - Math.min(Math.max(0, this.#o.clock.now() - seen), grace);
  }

  /** stop stops taking work and waits for in-flight reconciles up to timeoutMs; then aborts them. */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    const results = await Promise.all([...this.#kinds.values()].map((rt) => rt.queue.shutdown(timeoutMs)));
    this.#abort.abort(new Error('shutting down'));
    this.#gaugeTimer?.();
    this.#gaugeTimer = undefined;
    this.#o.store.flushAll();
    return results.every(Boolean);
  }

  async #handle(key: string): Promise<void> {
    const { kind, name } = parseKey(key);
    const rt = this.#kinds.get(kind);
    if (!rt) return;
    const { store, clock } = this.#o;
    const desired = this.index.get(key);
    let state = store.get(key);
    try {
      if (!desired && !state) { rt.queue.cancel(key); return; }
      if (desired) this.#cancelRemoval(key);
      else if (!this.index.isOwned(key) && !state?.owner) {
        // Owned objects go with their owner; a file object's removal waits for a readable desired/, its grace, and the hold.
        if (this.#o.desired.unsafeToPrune()) return;
        const remaining = this.#graceRemaining(key, kind);
        if (remaining > 0) { rt.queue.addAfter(key, remaining, PRIORITY_NORMAL); return; }
        if (this.#hold.isHeld(key)) { this.#markHeld(key, state!); return; }
      }
      state = this.#syncState(key, desired, state);
      const object = desired?.object ?? state.last;
      if (!object) { store.remove(key); return; }
      if (object.metadata.annotations?.[ANNOTATION_PAUSED] === 'true') {
        this.#markPaused(key, state);
        return;
      }
      const metaHash = hashValue(object.metadata.annotations ?? {});
      // A stall holds until the spec or annotations change; a removal is always worked on.
      if (desired && state.stalled && state.stalled.generation === state.generation && state.stalled.metaHash === metaHash) return;
      await this.#reconcile(rt, key, kind, name, desired, object, state, metaHash);
    } finally {
      // One durable write per reconcile; controller persist() calls were already written on the spot.
      store.flush(key);
      if (this.#pendingFirst.delete(key) && this.#pendingFirst.size === 0) this.#firstPassDone = true;
      for (const fn of this.#listeners) fn(key);
    }
  }

  #syncState(key: string, desired: DesiredObject | undefined, state: ObjectState | undefined): ObjectState {
    const now = new Date(this.#o.clock.now()).toISOString();
    const init = (): ObjectState => ({
      key, generation: 0, specHash: '', createdAt: now, internal: {},
      status: { conditions: [], events: [] },
    });
    if (!desired) {
      if (state!.removed) return state!;
      return this.#o.store.stage(key, (s) => { s.removed = true; });
    }
    const owner = desired.object.metadata.ownerReferences?.[0];
    const needs = !state || state.specHash !== desired.specHash || state.removed
      || hashValue(state.last) !== hashValue(desired.object) || hashValue(state.source) !== hashValue(desired.source);
    if (!needs) return state!;
    return this.#o.store.stage(key, (s) => {
      if (s.specHash !== desired.specHash) {
        s.generation += 1;
        s.specHash = desired.specHash;
      }
      s.last = desired.object;
      if (desired.source) s.source = desired.source; else delete s.source;
      if (owner) s.owner = owner; else delete s.owner;
      delete s.removed;
      if (s.status.conditions.length === 0) {
        const d = new Date(this.#o.clock.now());
        s.status.conditions = setCondition(setCondition([], READY, { status: 'Unknown', reason: 'Pending', message: 'not reconciled yet' }, d), SYNCED, { status: 'Unknown', reason: 'Pending', message: '' }, d);
      }
    }, init);
  }

  /**
   * #graceRemaining starts or continues a removal's grace. A removal first seen before a restart keeps its persisted
   * wall-time mark: the time already served counts, clamped to [0, grace] (a wall clock stepped back never makes it
   * longer than one full grace; stepped forward, it can at most end at once, and only after this process has itself
   * seen the object missing); the rest runs on the monotonic clock.
   */
  #graceRemaining(key: string, kind: string): number {
    const grace = this.removalGraceMs(kind);
    if (grace <= 0) return 0;
    const { clock } = this.#o;
    let deadline = this.#removalDeadlines.get(key);
    if (deadline === undefined) {
      const seen = this.#marks.firstSeen(key);
      const served = seen === undefined ? 0 : Math.min(Math.max(0, clock.now() - seen), grace);
      if (seen === undefined) this.#marks.mark(key, clock.now());
      deadline = clock.monotonic() + grace - served;
      this.#removalDeadlines.set(key, deadline);
    }
    return deadline - clock.monotonic();
  }

  /** #cancelRemoval forgets a pending removal whose object is back (nothing else is written). */
  #cancelRemoval(key: string): void {
    if (this.#removalDeadlines.delete(key) || this.#marks.firstSeen(key) !== undefined) this.#marks.clear(key);
  }

  /** #markHeld says on the object that its deletion waits for a confirmation; Ready stays as it is. */
  #markHeld(key: string, state: ObjectState): void {
    // The message names no count, so a growing held set does not rewrite every held object.
    const message = 'deletion held: half or more of the objects (or all of them) disappeared at once; restore the files, or confirm with `livchat confirm-deletions` (apply: --confirm-deletions)';
    const cur = getCondition(state.status.conditions, SYNCED);
    if (cur?.reason === 'DeletionHeld' && cur.message === message) return;
    const d = new Date(this.#o.clock.now());
    this.#o.store.update(key, (s) => {
      s.status.conditions = setCondition(s.status.conditions, SYNCED, { status: 'False', reason: 'DeletionHeld', message }, d, s.generation);
      if (cur?.reason !== 'DeletionHeld') addEvent(s.status, 'Warning', 'DeletionHeld', 'the desired object is gone, but its deletion is held with a mass deletion', d);
    });
  }

  #markPaused(key: string, state: ObjectState): void {
    const d = new Date(this.#o.clock.now());
    if (getCondition(state.status.conditions, SYNCED)?.reason === 'ReconcilePaused') return;
    this.#o.store.update(key, (s) => {
      s.status.conditions = setCondition(s.status.conditions, SYNCED, { status: 'False', reason: 'ReconcilePaused', message: 'the livchat.ai/paused annotation stops all writes' }, d, s.generation);
      addEvent(s.status, 'Normal', 'Paused', 'reconciliation paused by annotation', d);
    });
  }

  async #reconcile(rt: KindRuntime, key: string, kind: string, name: string, desired: DesiredObject | undefined,
    object: Resource, state: ObjectState, metaHash: string): Promise<void> {
    const { store, clock, metrics } = this.#o;
    const log = this.#o.log.child({ controller: kind, key });
    const deps = new Set<string>();
    let owned: Resource[] | undefined;
    const before = store.get(key)!;
    const internal = structuredClone(state.internal);
    const ctx: ReconcileContext = {
      key, kind, name, desired, object,
      generation: state.generation,
      status: structuredClone(state.status),
      internal,
      instance: this.#o.instance,
      signal: this.#abort.signal,
      log, clock,
      persist: (patch) => {
        Object.assign(internal, patch);
        store.update(key, (s) => { Object.assign(s.internal, patch); for (const [k, v] of Object.entries(patch)) if (v === undefined) delete s.internal[k]; });
      },
      event: (type, reason, message) => {
        store.stage(key, (s) => addEvent(s.status, type, reason, message, new Date(clock.now())));
        log.info({ reason, type }, message);
      },
      progress: (phase, message) => {
        // Progress lives in memory (apply and HTTP read it there); only a new phase is written at once.
        const changed = store.get(key)?.status.phase !== phase;
        store.stage(key, (s) => {
          s.status.phase = phase;
          if (message !== undefined) s.status.progress = message; else delete s.status.progress;
          // While work runs, Ready says which step it is (Ready means done, not merely existing).
          s.status.conditions = setCondition(s.status.conditions, READY, { status: 'False', reason: phase, message: message ?? phase }, new Date(clock.now()), s.generation);
        });
        if (changed) store.flush(key);
      },
      // The edge is registered at once, so a dependency that changes during this reconcile re-queues it.
      dependency: (depKey) => { deps.add(depKey); this.#setDeps(key, new Set([...(this.#deps.get(key) ?? []), depKey])); return this.#view(depKey); },
      own: (children) => { owned = children; },
    };
    const started = clock.monotonic();
    let outcome: Outcome;
    let result: ReconcileResult | undefined;
    try {
      result = await rt.reconciler.reconcile(ctx);
      outcome = fromResult(state.status.conditions, result, state.generation, new Date(clock.now()));
    } catch (err) {
      if (!(err instanceof Error)) metrics?.reconcilePanics.inc({ controller: kind });
      outcome = fromError(store.get(key)!.status.conditions, err, state.generation, new Date(clock.now()));
      if (outcome.kind === 'error') log.warn({ err: (err as Error)?.message }, 'reconcile failed');
    }
    metrics?.recordReconcile(kind, outcome.kind === 'deleted' ? 'success' : outcome.kind, (clock.monotonic() - started) / 1000);

    this.#setDeps(key, deps);
    if (outcome.kind === 'deleted') {
      this.#finishDeletion(rt, key, result?.childrenPolicy);
      this.#notifyDependents(key);
      return;
    }
    const after = this.#persistOutcome(key, outcome, result, metaHash);
    // Owned objects start after the owner's status is in place, so they see its latest observed fields.
    if (owned !== undefined) this.#applyOwned(key, owned);
    this.#schedule(rt, key, outcome);
    if (statusSignature(before) !== statusSignature(after)) this.#notifyDependents(key);
    this.#updateObjectGauge();
  }

  #persistOutcome(key: string, outcome: Outcome, result: ReconcileResult | undefined, metaHash: string): ObjectState {
    const { store, clock } = this.#o;
    const now = new Date(clock.now());
    let event = outcome.event;
    if (event && outcome.stalledScope) {
      // One event per shared cause (e.g. a bad token), not one per object per retry.
      const last = this.#scopeEvents.get(outcome.stalledScope);
      if (last !== undefined && clock.monotonic() - last < (this.#o.scopeEventWindowMs ?? 3_600_000)) event = undefined;
      else { this.#scopeEvents.set(outcome.stalledScope, clock.monotonic()); this.#o.log.error({ scope: outcome.stalledScope, reason: outcome.event?.reason }, outcome.event?.message ?? ''); }
    }
    return store.stage(key, (s) => {
      s.status.conditions = outcome.conditions;
      s.status.observedGeneration = s.generation;
      s.status.lastReconcileTime = now.toISOString();
      if (result?.observed) s.status.observed = { ...s.status.observed, ...result.observed };
      if (outcome.waitingOn?.length) s.status.waitingOn = outcome.waitingOn; else delete s.status.waitingOn;
      if (outcome.kind === 'success' || outcome.kind === 'requeue_after') {
        const rev = this.#o.revision?.();
        if (rev) s.status.lastAppliedRevision = rev;
        if (getCondition(outcome.conditions, READY)?.status === 'True') { delete s.status.phase; delete s.status.progress; }
      }
      if (outcome.kind === 'terminal') s.stalled = { generation: s.generation, metaHash, ...(outcome.stalledScope ? { scope: outcome.stalledScope } : {}) };
      else delete s.stalled;
      if (event) addEvent(s.status, event.type, event.reason, event.message, now);
    });
  }

  #schedule(rt: KindRuntime, key: string, outcome: Outcome): void {
    const q = rt.queue;
    switch (outcome.schedule.type) {
      case 'resync': q.forget(key); q.addAfter(key, q.jittered(rt.settings.resyncMs)); break;
      case 'after':
        q.forget(key);
        if (outcome.schedule.ms <= 0) q.add(key, PRIORITY_NORMAL); else q.addAfter(key, outcome.schedule.ms, PRIORITY_NORMAL);
        break;
      case 'backoff': q.addAfter(key, q.backoffDelay(key, outcome.schedule.minMs), PRIORITY_NORMAL); break;
      case 'none': q.cancel(key); break;
    }
  }

  #finishDeletion(rt: KindRuntime, key: string, childrenPolicy: 'Delete' | 'Orphan' | undefined): void {
    const children = this.index.ownedBy(key);
    const { changed } = this.index.setOwned(key, []);
    for (const child of children) {
      const st = this.#o.store.get(child);
      if (st?.last && childrenPolicy === 'Orphan') {
        this.#o.store.update(child, (s) => { s.last = { ...s.last!, spec: { ...s.last!.spec, deletionPolicy: 'Orphan' } }; });
      }
    }
    rt.queue.cancel(key);
    this.#o.store.remove(key);
    // The persisted mark is dropped at the next load (#syncMarks), in one write for a whole mass deletion.
    this.#removalDeadlines.delete(key);
    this.#setDeps(key, new Set());
    this.desiredChanged(changed);
    this.#updateObjectGauge();
  }

  #applyOwned(key: string, children: Resource[]): void {
    const { changed, clashes } = this.index.setOwned(key, children);
    const cur = this.#o.store.get(key);
    if (cur && hashValue(cur.owned ?? []) !== hashValue(children)) {
      this.#o.store.update(key, (s) => { if (children.length) s.owned = children; else delete s.owned; });
    }
    for (const c of clashes) {
      this.#o.store.update(key, (s) => addEvent(s.status, 'Warning', 'OwnedObjectClash', `derived object ${c} clashes with an object defined elsewhere; it is left alone`, new Date(this.#o.clock.now())));
    }
    this.desiredChanged(changed);
  }

  #view(key: string): DependencyView {
    const desired = this.index.get(key);
    const st = this.#o.store.get(key);
    return {
      exists: !!desired,
      ...(st ? { status: structuredClone(st.status) } : {}),
      ...(desired ? { object: desired.object } : {}),
    };
  }

  #setDeps(key: string, deps: Set<string>): void {
    for (const old of this.#deps.get(key) ?? []) this.#dependents.get(old)?.delete(key);
    if (deps.size) this.#deps.set(key, deps); else this.#deps.delete(key);
    for (const d of deps) {
      let set = this.#dependents.get(d);
      if (!set) this.#dependents.set(d, (set = new Set()));
      set.add(key);
    }
  }

  #notifyDependents(key: string): void {
    for (const dep of this.#dependents.get(key) ?? []) this.enqueue(dep, PRIORITY_NORMAL);
  }

  #updateObjectGauge(): void {
    const m = this.#o.metrics;
    if (!m || this.#gaugeTimer) return;
    // Recounting is O(objects): do it at most once per second, not after every reconcile.
    this.#gaugeTimer = this.#o.clock.setTimer(() => { this.#gaugeTimer = undefined; this.#countObjects(); }, 1000);
  }

  #countObjects(): void {
    const m = this.#o.metrics;
    if (!m) return;
    const counts = new Map<string, Record<'True' | 'False' | 'Unknown', number>>();
    for (const kind of this.#kinds.keys()) counts.set(kind, { True: 0, False: 0, Unknown: 0 });
    for (const key of this.#o.store.keys()) {
      const c = counts.get(parseKey(key).kind);
      if (c) c[getCondition(this.#o.store.get(key)!.status.conditions, READY)?.status ?? 'Unknown']++;
    }
    for (const [kind, c] of counts) m.setObjectCounts(kind, c);
  }
}

function statusSignature(st: ObjectState | undefined): string {
  if (!st) return '';
  return hashValue({ r: getCondition(st.status.conditions, READY)?.status, o: st.status.observed });
}
