// The contract every kind's controller implements: one reconcile method that receives a key and a context.
import type { Clock } from './clock.js';
import type { ConditionInput } from './conditions.js';
import type { DesiredObject, Resource } from './types.js';
import type { ObjectStatus } from './state.js';
import type { Logger } from '../obs/log.js';
import type { ReasonCatalog } from './reasons.js';

/** KindSettings tune one controller's queue; every field has a default in the engine. */
export interface KindSettings {
  /** Workers for this kind. @default 2 */
  concurrency: number;
  /** Drift-detection interval after success (±10 % jitter). @default 600000 */
  resyncMs: number;
  /** First retry delay after a retryable error. @default 2000 */
  backoffBaseMs: number;
  /** Largest retry delay. @default 600000 */
  backoffCapMs: number;
}

/** DependencyView is what a reconcile sees of an object it depends on. */
export interface DependencyView {
  exists: boolean;
  status?: ObjectStatus;
  object?: Resource;
}

/**
 * KindObserved maps a kind to the type of its `status.observed`; each kind adds itself by declaration merging:
 * `declare module '…/src/engine/reconciler.js' { interface KindObserved { Server: ServerObserved } }`.
 */
export interface KindObserved {}

/** ObservedKind is a kind that declared its observed type. */
export type ObservedKind = keyof KindObserved & string;

/** Dependency is what `depend(kind, name)` returns: a DependencyView with the kind's observed fields typed. */
export interface Dependency<K extends ObservedKind> extends DependencyView {
  /** The dependency's observed fields (partial: an object being created has not observed everything yet). */
  observed: Partial<KindObserved[K]> | undefined;
}

/** DependencyReader is the dependency part shared by reconcile and plan contexts. */
export interface DependencyReader {
  /** dependency registers that this object follows another; its status changes requeue this one at once. */
  dependency(key: string): DependencyView;
  /** depend is dependency() with a typed kind and its observed fields checked by the compiler. */
  depend<K extends ObservedKind>(kind: K, name: string): Dependency<K>;
}

/** ReconcileContext gives a reconcile everything it may touch besides its provider port. */
export interface ReconcileContext extends DependencyReader {
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  /** The desired object; undefined when it was removed and cleanup is due. */
  readonly desired: DesiredObject | undefined;
  /** The desired object, or the last one seen when it was removed. */
  readonly object: Resource;
  readonly generation: number;
  /** Status as last persisted. */
  readonly status: Readonly<ObjectStatus>;
  /** Controller-private durable data as last persisted. */
  readonly internal: Readonly<Record<string, unknown>>;
  readonly instance: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly clock: Clock;
  /** persist durably merges controller-private data before returning (e.g. a create-pending mark). */
  persist(patch: Record<string, unknown>): void;
  /** event records a deduplicated event on the object. */
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** progress updates the phase shown by `apply` and `describe`. */
  progress(phase: string, message?: string): void;
  /** own declares the complete set of derived objects (with local names; the engine derives their keys). */
  own(children: Resource[]): void;
}

/** ReconcileResult is a successful pass: conditions, observed fields and the next poll. */
export interface ReconcileResult {
  ready: ConditionInput;
  /** Defaults to True/ReconcileSuccess. */
  synced?: ConditionInput;
  observed?: Record<string, unknown>;
  /** Poll sooner than the resync interval, e.g. while something converges. */
  requeueAfterMs?: number;
  /** Work still in progress on a usable object: Reconciling=True with this step, whatever Ready says. */
  reconciling?: { reason: string; message?: string };
  /** The object was removed and its cleanup is complete: forget it. */
  deleted?: boolean;
  /** When deleted with owned children, how they go: their own rules (Delete) or Orphan. */
  childrenPolicy?: 'Delete' | 'Orphan';
}

/** PlanAction classifies one planned change. */
export type PlanAction = 'create' | 'update' | 'delete' | 'no-op' | 'conflict' | 'blocked';

/** PlanItem is one line of `livchat plan`. */
export interface PlanItem {
  key: string;
  action: PlanAction;
  /** Field-level changes: path, from, to. */
  changes?: Array<{ field: string; from?: unknown; to?: unknown }>;
  /** For servers: in-place, restart or replacement. */
  changeClass?: 'in-place' | 'restart' | 'replacement';
  message?: string;
}

/** PlanContext is what a controller's plan sees: desired objects and persisted state, read-only. */
export interface PlanContext extends DependencyReader {
  readonly desired: DesiredObject | undefined;
  readonly object: Resource;
  readonly key: string;
  readonly generation: number;
  readonly internal: Readonly<Record<string, unknown>>;
  readonly status: Readonly<ObjectStatus> | undefined;
  readonly instance: string;
  readonly signal: AbortSignal;
}

/** Reconciler is one controller: a kind, its settings, and its reconcile. */
export interface Reconciler {
  readonly kind: string;
  readonly settings?: Partial<KindSettings>;
  /** The reasons this kind writes; merged with the engine's own (ENGINE_REASONS). */
  readonly reasons?: ReasonCatalog;
  reconcile(ctx: ReconcileContext): Promise<ReconcileResult>;
  /** plan reports what reconcile would do, with zero writes. */
  plan?(ctx: PlanContext): Promise<PlanItem>;
  /** resync runs once per resync round before keys, e.g. to refresh a shared list cache. */
  invalidate?(): void;
  /**
   * holds lists the keys a desired object of this kind keeps from being deleted (an app keeps its Server): read from
   * the spec, so it holds from the first moment, before any reconcile registered an edge.
   */
  holds?(object: Resource): string[];
}
