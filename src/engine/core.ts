// What every kind's loop shares: the index, the store, the graph, the removal rules, and the engine's callbacks.
import type { Clock } from './clock.js';
import type { Logger } from '../obs/log.js';
import type { Metrics } from '../obs/metrics.js';
import type { DesiredSource, ObjectIndex } from './object-index.js';
import type { StateStore } from './state.js';
import type { ObjectGraph } from './graph.js';
import type { RemovalGrace } from './removal.js';
import type { DeletionHold } from './prune-guard.js';

/** EngineCore is built once by the Manager and handed to every ControllerLoop. */
export interface EngineCore {
  readonly index: ObjectIndex;
  readonly desired: DesiredSource;
  readonly store: StateStore;
  readonly graph: ObjectGraph;
  readonly grace: RemovalGrace;
  readonly hold: DeletionHold;
  readonly clock: Clock;
  readonly log: Logger;
  readonly instance: string;
  readonly signal: AbortSignal;
  readonly metrics?: Metrics;
  readonly revision?: () => string | undefined;
  /** How long one scope's terminal event is not repeated (ms). */
  readonly scopeEventWindowMs: number;
  /** Monotonic time of each scope's last terminal event, shared by all kinds (one bad token, one event). */
  readonly scopeEvents: Map<string, number>;
  /** holders lists the desired objects whose kind's `holds()` names key (they keep it from being deleted). */
  holders(key: string): string[];
  /** enqueue adds a key to its own kind's queue. */
  enqueue(key: string, priority?: number): void;
  /** reconciled is called after every handled key (first-pass tracking, listeners). */
  reconciled(key: string): void;
  /** objectsChanged schedules the object gauges' recount. */
  objectsChanged(): void;
}
