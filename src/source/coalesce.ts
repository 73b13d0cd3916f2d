// Debounces bursts of file events into batches: a quiet window plus a cap on how long the first event may wait.
import type { Clock } from '../engine/clock.js';

export interface CoalesceOptions {
  /** Flush after this long without a new event (default 100 ms). */
  quietMs?: number;
  /** Flush at the latest this long after the first event of a batch (default 250 ms). */
  maxWaitMs?: number;
}

/** BatchCoalescer collects distinct items and hands them over sorted, once per burst. */
export class BatchCoalescer {
  readonly #clock: Clock;
  readonly #onFlush: (items: string[]) => void;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  #items = new Set<string>();
  #cancelQuiet: (() => void) | undefined;
  #cancelMax: (() => void) | undefined;

  constructor(clock: Clock, onFlush: (items: string[]) => void, opts: CoalesceOptions = {}) {
    this.#clock = clock;
    this.#onFlush = onFlush;
    this.#quietMs = opts.quietMs ?? 100;
    this.#maxWaitMs = opts.maxWaitMs ?? 250;
  }

  /** add records an item and restarts the quiet window; the first item of a batch also starts the max-wait timer. */
  add(item: string): void {
    this.#items.add(item);
    this.#cancelQuiet?.();
    this.#cancelQuiet = this.#clock.setTimer(() => this.flush(), this.#quietMs);
    this.#cancelMax ??= this.#clock.setTimer(() => this.flush(), this.#maxWaitMs);
  }

  /** flush hands over whatever is pending now. */
  flush(): void {
    this.#stopTimers();
    if (this.#items.size === 0) return;
    const items = [...this.#items].sort();
    this.#items = new Set();
    this.#onFlush(items);
  }

  /** cancel drops pending items and timers. */
  cancel(): void {
    this.#stopTimers();
    this.#items = new Set();
  }

  /** pending counts items waiting for the next flush. */
  get pending(): number {
    return this.#items.size;
  }

  #stopTimers(): void {
    this.#cancelQuiet?.();
    this.#cancelMax?.();
    this.#cancelQuiet = undefined;
    this.#cancelMax = undefined;
  }
}
