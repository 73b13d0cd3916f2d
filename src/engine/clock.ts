// Injectable time: the engine, limiters and pollers take a Clock so tests never sleep for real.

/** Clock is the only way runtime code reads time or waits. */
export interface Clock {
  now(): number;
  /** setTimer runs fn after ms and returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
  /** sleep resolves after ms, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** realClock uses wall time and Node timers; its timers never keep the process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, ms));
      const onAbort = () => { clearTimeout(t); reject(signal!.reason); };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** ManualClock is a deterministic clock for tests: time moves only through advance(). */
export class ManualClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #seq = 0;
  constructor(start = Date.UTC(2026, 0, 1)) { this.#now = start; }
  now(): number { return this.#now; }
  setTimer(fn: () => void, ms: number): () => void {
    const id = ++this.#seq;
    this.#timers.push({ at: this.#now + Math.max(0, ms), fn, id });
    return () => { this.#timers = this.#timers.filter((t) => t.id !== id); };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const cancel = this.setTimer(() => resolve(), ms);
      signal?.addEventListener('abort', () => { cancel(); reject(signal.reason); }, { once: true });
    });
  }
  /** pending counts scheduled timers. */
  get pending(): number { return this.#timers.length; }
  /** advance moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#timers.shift();
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }
}
