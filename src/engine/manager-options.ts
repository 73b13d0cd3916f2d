// The Manager's options and the engine's default per-kind settings.
import type { Clock } from './clock.js';
import type { Logger } from '../obs/log.js';
import type { Metrics } from '../obs/metrics.js';
import type { KindSettings, Reconciler } from './reconciler.js';
import type { DesiredSource } from './object-index.js';
import type { StateStore } from './state.js';
import type { RemovalMarks } from './removal.js';

export const DEFAULT_SETTINGS: KindSettings = { concurrency: 2, resyncMs: 600_000, backoffBaseMs: 2_000, backoffCapMs: 600_000 };

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

