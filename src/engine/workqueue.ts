// Level-triggered, key-only work queue on p-queue: dedup, per-key exclusivity, delayed adds, per-key backoff.
import PQueue from 'p-queue';
import type { Clock } from './clock.js';

/** Priority of start-up and resync adds; live file changes use NORMAL and jump ahead. */
export const PRIORITY_LOW = -100;
export const PRIORITY_NORMAL = 0;

export interface WorkQueueOptions {
  name: string;
  concurrency: number;
  clock: Clock;
  /** First retry delay; doubles per consecutive failure. */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Jitter fraction applied to delays (0.1 = ±10 %). */
  jitter?: number;
  random?: () => number;
  hooks?: WorkQueueHooks;
}

/** WorkQueueHooks receive queue events for metrics. */
export interface WorkQueueHooks {
  depth?(n: number): void;
  added?(): void;
  retried?(): void;
  queueDuration?(ms: number): void;
  workDuration?(ms: number): void;
  active?(n: number): void;
}

type KeyState = 'queued' | 'processing' | 'dirty';

/** WorkQueue never runs one key twice at once; a key re-added during its run runs once more afterwards. */
export class WorkQueue {
  readonly #q: PQueue;
  readonly #opts: WorkQueueOptions;
  readonly #state = new Map<string, KeyState>();
  readonly #priority = new Map<string, number>();
  readonly #enqueuedAt = new Map<string, number>();
  readonly #timers = new Map<string, { at: number; cancel: () => void }>();
  readonly #failures = new Map<string, number>();
  #handler: ((key: string) => Promise<void>) | undefined;
  #stopped = false;
  #active = 0;

  constructor(opts: WorkQueueOptions) {
    this.#opts = opts;
    this.#q = new PQueue({ concurrency: opts.concurrency });
  }

  /** start sets the handler; adds made before start wait in the queue. */
  start(handler: (key: string) => Promise<void>): void {
    this.#handler = handler;
  }

  /** add enqueues a key now; duplicates collapse, and a higher priority upgrades a waiting key. */
  add(key: string, priority = PRIORITY_NORMAL): void {
    if (this.#stopped) return;
    const st = this.#state.get(key);
    if (st === 'queued') {
      if (priority > (this.#priority.get(key) ?? PRIORITY_LOW)) {
        this.#priority.set(key, priority);
        try { this.#q.setPriority(key, priority); } catch { /* already picked up */ }
      }
      return;
    }
    if (st === 'processing' || st === 'dirty') {
      this.#state.set(key, 'dirty');
      this.#priority.set(key, Math.max(priority, this.#priority.get(key) ?? PRIORITY_LOW));
      return;
    }
    this.#enqueue(key, priority);
  }

  /** addAfter schedules the key's next run; it replaces any earlier schedule for the key. */
  addAfter(key: string, ms: number, priority = PRIORITY_LOW): void {
    if (this.#stopped) return;
    this.#timers.get(key)?.cancel();
    const cancel = this.#opts.clock.setTimer(() => {
      this.#timers.delete(key);
      this.add(key, priority);
    }, ms);
    this.#timers.set(key, { at: this.#opts.clock.monotonic() + ms, cancel });
  }

  /** scheduledAt tells when (wall time, for display) the key's next delayed run is due, if any. */
  scheduledAt(key: string): number | undefined {
    const at = this.#timers.get(key)?.at;
    return at === undefined ? undefined : this.#opts.clock.now() + (at - this.#opts.clock.monotonic());
  }

  /** backoffDelay records a failure for the key and returns its jittered exponential delay. */
  backoffDelay(key: string, minMs = 0): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    this.#opts.hooks?.retried?.();
    const raw = Math.min(this.#opts.backoffCapMs, this.#opts.backoffBaseMs * 2 ** n);
    return Math.max(minMs, this.jittered(raw));
  }

  /** failures is the key's consecutive failure count. */
  failures(key: string): number { return this.#failures.get(key) ?? 0; }

  /** forget resets the key's backoff after a success. */
  forget(key: string): void { this.#failures.delete(key); }

  /** cancel drops the key's delayed run and backoff, e.g. when the object is gone for good. */
  cancel(key: string): void {
    this.#timers.get(key)?.cancel();
    this.#timers.delete(key);
    this.#failures.delete(key);
  }

  /** jittered applies ±jitter to a delay. */
  jittered(ms: number): number {
    const j = this.#opts.jitter ?? 0.1;
    const r = this.#opts.random ?? Math.random;
    return Math.round(ms * (1 - j + 2 * j * r()));
  }

  get depth(): number { return this.#q.size; }
  get active(): number { return this.#active; }

  /** onIdle resolves when nothing is queued or running (delayed adds are not waited for). */
  onIdle(): Promise<void> { return this.#q.onIdle(); }

  /** shutdown stops new work, drops queued keys and waits for in-flight runs, up to timeoutMs. */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.#stopped = true;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#q.clear();
    for (const [k, st] of this.#state) if (st === 'queued') this.#state.delete(k);
    let timedOut = false;
    let cancel = (): void => undefined;
    await Promise.race([
      this.#q.onPendingZero(),
      new Promise<void>((resolve) => { cancel = this.#opts.clock.setTimer(() => { timedOut = true; resolve(); }, timeoutMs); }),
    ]);
    cancel();
    return !timedOut;
  }

  #enqueue(key: string, priority: number): void {
    this.#state.set(key, 'queued');
    this.#priority.set(key, priority);
    this.#enqueuedAt.set(key, this.#opts.clock.monotonic());
    this.#opts.hooks?.added?.();
    void this.#q.add(() => this.#run(key), { priority, id: key }).catch(() => undefined);
    this.#opts.hooks?.depth?.(this.#q.size);
  }

  async #run(key: string): Promise<void> {
    const clock = this.#opts.clock;
    this.#state.set(key, 'processing');
    this.#opts.hooks?.queueDuration?.(clock.monotonic() - (this.#enqueuedAt.get(key) ?? clock.monotonic()));
    this.#opts.hooks?.depth?.(this.#q.size);
    this.#opts.hooks?.active?.(++this.#active);
    const started = clock.monotonic();
    try {
      if (this.#handler) await this.#handler(key);
    } catch {
      // Handlers own their error handling; a throw here must not wedge the key.
    } finally {
      this.#opts.hooks?.active?.(--this.#active);
      this.#opts.hooks?.workDuration?.(clock.monotonic() - started);
      const again = this.#state.get(key) === 'dirty';
      this.#state.delete(key);
      const prio = this.#priority.get(key) ?? PRIORITY_NORMAL;
      this.#priority.delete(key);
      this.#enqueuedAt.delete(key);
      if (again && !this.#stopped) this.#enqueue(key, prio);
    }
  }
}
