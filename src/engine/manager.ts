// The controller manager: the public façade over the kinds' loops, the object graph, removals and the deletion hold.
import { DEFAULT_SETTINGS, type ManagerOptions } from './manager-options.js';
import { parseKey } from './types.js';
import { PRIORITY_LOW, PRIORITY_NORMAL } from './workqueue.js';
import type { StateStore } from './state.js';
import { ObjectIndex } from './object-index.js';
import { DeletionHold, type ConfirmResult, type HoldChange } from './prune-guard.js';
import { ENGINE_REASONS, mergeCatalogs, type ReasonCatalog } from './reasons.js';
import { ObjectGraph } from './graph.js';
import { RemovalGrace, memoryMarks } from './removal.js';
import { ControllerLoop } from './controller-loop.js';
import { ObjectGauges } from './gauges.js';
import type { EngineCore } from './core.js';

export { REMOVAL_GRACE_MS, DEFAULT_REMOVAL_GRACE_MS, type RemovalMarks } from './removal.js';

export { DEFAULT_SETTINGS, type ManagerOptions } from './manager-options.js';

/** Manager runs every kind's controller over the object index and persists status. */
export class Manager {
  readonly index: ObjectIndex;
  readonly #o: ManagerOptions;
  readonly #loops = new Map<string, ControllerLoop>();
  readonly #graph: ObjectGraph;
  readonly #grace: RemovalGrace;
  readonly #hold = new DeletionHold();
  readonly #gauges: ObjectGauges;
  readonly #pendingFirst = new Set<string>();
  readonly #abort = new AbortController();
  readonly #listeners = new Set<(key: string) => void>();
  #started = false;
  #firstPassDone = false;

  constructor(opts: ManagerOptions) {
    this.#o = opts;
    this.index = new ObjectIndex(opts.desired);
    this.#graph = new ObjectGraph(this.index, opts.store);
    this.#grace = new RemovalGrace(opts.clock, opts.removalMarks ?? memoryMarks(), opts.removalGraceMs);
    this.#gauges = new ObjectGauges(() => this.kinds, opts.store, opts.clock, opts.metrics);
    const core: EngineCore = {
      index: this.index, desired: opts.desired, store: opts.store, graph: this.#graph, grace: this.#grace, hold: this.#hold,
      clock: opts.clock, log: opts.log, instance: opts.instance, signal: this.#abort.signal, metrics: opts.metrics, revision: opts.revision,
      scopeEventWindowMs: opts.scopeEventWindowMs ?? 3_600_000, scopeEvents: new Map(),
      holders: (key) => {
        const out: string[] = [];
        for (const r of opts.reconcilers) {
          if (!r.holds) continue;
          for (const o of this.index.list(r.kind)) if (r.holds(o.object).includes(key)) out.push(o.key);
        }
        return out;
      },
      enqueue: (key, priority) => this.enqueue(key, priority),
      reconciled: (key) => {
        if (this.#pendingFirst.delete(key) && this.#pendingFirst.size === 0) this.#firstPassDone = true;
        for (const fn of this.#listeners) fn(key);
      },
      objectsChanged: () => this.#gauges.changed(),
    };
    for (const r of opts.reconcilers) {
      this.#loops.set(r.kind, new ControllerLoop(r, { ...DEFAULT_SETTINGS, ...r.settings, ...opts.settings?.[r.kind] }, core, opts.random));
    }
    // Owned objects live only in their owner's state; restore them before anyone reads the index.
    this.#graph.restore();
  }

  get kinds(): string[] { return [...this.#loops.keys()]; }

  /** reasons is the engine's reasons catalog merged with every kind's. */
  get reasons(): ReasonCatalog { return mergeCatalogs(ENGINE_REASONS, ...this.#o.reconcilers.map((r) => r.reasons)); }

  /** handles tells whether a key's kind has a controller. */
  handles(key: string): boolean { return this.#loops.has(parseKey(key).kind); }
  get store(): StateStore { return this.#o.store; }

  /** start enqueues every known key at low priority. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { store } = this.#o;
    // Stalls caused by credentials get one fresh try per process: the token may have been fixed meanwhile.
    for (const st of store.list()) if (st.stalled?.scope) store.update(st.key, (s) => { delete s.stalled; });
    for (const loop of this.#loops.values()) loop.start();
    this.recomputeHold();
    for (const key of this.#knownKeys()) {
      if (!this.handles(key)) continue;
      this.#pendingFirst.add(key);
      this.enqueue(key, PRIORITY_LOW);
    }
    if (this.#pendingFirst.size === 0) this.#firstPassDone = true;
    this.#gauges.changed();
  }

  /** enqueue adds a key to its kind's queue. */
  enqueue(key: string, priority = PRIORITY_NORMAL): void {
    this.#loops.get(parseKey(key).kind)?.queue.add(key, priority);
  }

  /** desiredChanged enqueues keys whose desired objects changed, at normal priority. */
  desiredChanged(keys: Iterable<string>): void {
    for (const key of keys) this.enqueue(key, PRIORITY_NORMAL);
  }

  /** resyncAll re-enqueues everything, clearing stalls (used by SIGHUP). */
  resyncAll(clearStalls = false): void {
    for (const loop of this.#loops.values()) loop.reconciler.invalidate?.();
    for (const key of this.#knownKeys()) {
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
    const loops = [...this.#loops.values()];
    for (;;) {
      await Promise.all(loops.map((l) => l.queue.onIdle()));
      if (loops.every((l) => l.queue.depth === 0 && l.queue.active === 0)) return;
    }
  }

  /** nextScheduled tells when the key's next delayed reconcile is due. */
  nextScheduled(key: string): number | undefined {
    return this.#loops.get(parseKey(key).kind)?.queue.scheduledAt(key);
  }

  /**
   * recomputeHold derives the mass-deletion hold from the objects missing now (call after every desired load).
   * Keys it releases are enqueued again: restored ones reconcile as usual, confirmed ones are deleted.
   */
  recomputeHold(): HoldChange {
    const { desired, store, log } = this.#o;
    const present = new Set(desired.list().map((o) => o.key));
    const missing: string[] = [];
    // Only kinds with a controller can be deleted, so only they are weighed.
    const presentHandled = [...present].filter((k) => this.handles(k)).length;
    let known = presentHandled;
    for (const st of store.list()) {
      if (st.owner || st.deleted || this.index.isOwned(st.key) || !this.handles(st.key) || present.has(st.key)) continue;
      known++;
      missing.push(st.key);
    }
    this.#grace.sync(present, missing, (k) => !!store.get(k), desired.unsafeToPrune());
    if (this.#o.holdMassDeletions === false) return { held: [], released: [], changed: false };
    const change = this.#hold.recompute(missing, known, presentHandled);
    if (change.changed && change.held.length) {
      log.warn({ held: change.held.length, known }, `${change.held.length} of ${known} objects disappeared at once: their deletion is held; restore the files, or confirm with \`livchat confirm-deletions\``);
    }
    if (change.changed && change.held.length === 0 && change.released.length) log.info({ released: change.released.length }, 'the deletion hold is released');
    for (const key of change.released) this.enqueue(key, PRIORITY_NORMAL);
    return change;
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
  removalGraceMs(kind: string): number { return this.#grace.graceMs(kind); }

  /** removalRemainingMs tells how much grace a missing object has left, without starting it (for plan). */
  removalRemainingMs(key: string): number { return this.#grace.remainingMs(key); }

  /** stop stops taking work and waits for in-flight reconciles up to timeoutMs; then aborts them. */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    const results = await Promise.all([...this.#loops.values()].map((l) => l.queue.shutdown(timeoutMs)));
    this.#abort.abort(new Error('shutting down'));
    this.#gauges.stop();
    this.#o.store.flushAll();
    return results.every(Boolean);
  }

  #knownKeys(): Set<string> {
    return new Set([...this.index.list().map((o) => o.key), ...this.#o.store.keys()]);
  }
}
