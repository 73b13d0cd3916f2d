// Client-side token-bucket limiter shared by provider clients, so the daemon never causes a 429 by itself.
import type { Clock } from '../engine/clock.js';
import { realClock } from '../engine/clock.js';

export interface LimiterOptions {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in ms; tokens refill evenly across it. */
  windowMs: number;
  /** Initial burst; defaults to the full limit. */
  burst?: number;
  clock?: Clock;
}

/** TokenBucket hands out request permits at a steady rate, and pauses entirely after a provider 429. */
export class TokenBucket {
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #last: number;
  #pausedUntil = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(opts: LimiterOptions) {
    this.#clock = opts.clock ?? realClock;
    this.#capacity = opts.burst ?? opts.limit;
    this.#perMs = opts.limit / opts.windowMs;
    this.#tokens = this.#capacity;
    this.#last = this.#clock.monotonic();
  }

  /** acquire waits for one permit; callers are served in FIFO order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const next = this.#chain.then(() => this.#take(signal));
    // A rejected waiter must not poison the chain for the next caller.
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** pauseFor stops all permits for `ms` from now (a provider's retry-after or reset), on the monotonic clock. */
  pauseFor(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#clock.monotonic() + ms);
    this.#tokens = Math.min(this.#tokens, 0);
  }

  /** sync lowers the local estimate to what the provider reports as remaining. */
  sync(remaining: number): void {
    this.#refill();
    if (remaining < this.#tokens) this.#tokens = remaining;
  }

  get available(): number { this.#refill(); return this.#tokens; }

  async #take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.#clock.monotonic();
      if (now < this.#pausedUntil) { await this.#clock.sleep(this.#pausedUntil - now, signal); continue; }
      this.#refill();
      if (this.#tokens >= 1) { this.#tokens -= 1; return; }
      await this.#clock.sleep(Math.ceil((1 - this.#tokens) / this.#perMs), signal);
    }
  }

  #refill(): void {
    const now = this.#clock.monotonic();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
  }
}
