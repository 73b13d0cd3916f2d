// The object-count gauges: Ready=True/False/Unknown per kind, recounted at most once per second.
import type { Clock } from './clock.js';
import type { Metrics } from '../obs/metrics.js';
import type { StateStore } from './state.js';
import { READY, getCondition } from './conditions.js';
import { parseKey } from './types.js';

/** ObjectGauges recounts on demand, coalesced: recounting is O(objects), so not after every reconcile. */
export class ObjectGauges {
  #timer: (() => void) | undefined;

  constructor(private readonly kinds: () => string[], private readonly store: StateStore, private readonly clock: Clock, private readonly metrics?: Metrics) {}

  /** changed schedules one recount within a second. */
  changed(): void {
    if (!this.metrics || this.#timer) return;
    this.#timer = this.clock.setTimer(() => { this.#timer = undefined; this.#count(); }, 1000);
  }

  stop(): void { this.#timer?.(); this.#timer = undefined; }

  #count(): void {
    const m = this.metrics;
    if (!m) return;
    const counts = new Map<string, Record<'True' | 'False' | 'Unknown', number>>();
    for (const kind of this.kinds()) counts.set(kind, { True: 0, False: 0, Unknown: 0 });
    for (const key of this.store.keys()) {
      const c = counts.get(parseKey(key).kind);
      if (c) c[getCondition(this.store.get(key)!.status.conditions, READY)?.status ?? 'Unknown']++;
    }
    for (const [kind, c] of counts) m.setObjectCounts(kind, c);
  }
}
