// Injectable time: the engine, limiters and pollers take a Clock so tests never sleep for real.

/** Clock is the only way runtime code reads time or waits. */
export interface Clock {
  /** Wall time in ms since the epoch: for timestamps shown to people and persisted marks only. */
  now(): number;
  /** Monotonic ms from an arbitrary origin: for every duration and deadline inside one process. */
  monotonic(): number;
  /** setTimer runs fn after ms and returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
  /** sleep resolves after ms, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** realClock uses wall time and Node timers; its timers never keep the process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  // performance.now() never steps back when NTP or a person moves the wall clock.
  monotonic: () => performance.now(),
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

/** ManualClock is a deterministic clock for tests: time moves only through advance(); stepWall moves wall time alone. */
export class ManualClock implements Clock {
  #now: number;
  #mono = 0;
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #seq = 0;
  constructor(start = Date.UTC(2026, 0, 1)) { this.#now = start; }
  now(): number { return this.#now; }
  monotonic(): number { return this.#mono; }
  /** stepWall moves only the wall clock (e.g. -3_600_000 for an NTP step back); timers and durations are unaffected. */
  stepWall(ms: number): void { this.#now += ms; }
  setTimer(fn: () => void, ms: number): () => void {
    const id = ++this.#seq;
    this.#timers.push({ at: this.#mono + Math.max(0, ms), fn, id });
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
    const target = this.#mono + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#timers.shift();
      this.#now += next.at - this.#mono;
      this.#mono = next.at;
      next.fn();
    }
    this.#now += target - this.#mono;
    this.#mono = target;
  }
}
