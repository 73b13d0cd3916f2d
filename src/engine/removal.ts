// Removal grace: when a file object's deletion may start, persisted as wall-time marks and run on the monotonic clock.
import type { Clock } from './clock.js';
import { parseKey } from './types.js';

/** How long a removed object keeps its last state before its deletion starts, per kind (others: DEFAULT_REMOVAL_GRACE_MS). */
export const REMOVAL_GRACE_MS: Record<string, number> = { Server: 600_000 };
export const DEFAULT_REMOVAL_GRACE_MS = 30_000;

/** RemovalMarks persists when each pending removal was first seen (wall ms), so the grace survives a restart. */
export interface RemovalMarks {
  firstSeen(key: string): number | undefined;
  keys(): string[];
  mark(key: string, wallMs: number): void;
  clear(key: string): void;
  /** Many marks and clears in one write. */
  update(mark: readonly string[], clear: readonly string[], wallMs: number): void;
}

/** memoryMarks keeps removal marks in memory only (tests, one-shot runs). */
export function memoryMarks(): RemovalMarks {
  const m = new Map<string, number>();
  return {
    firstSeen: (k) => m.get(k), keys: () => [...m.keys()],
    mark: (k, t) => { if (!m.has(k)) m.set(k, t); }, clear: (k) => { m.delete(k); },
    update: (mark, clear, t) => { for (const k of clear) m.delete(k); for (const k of mark) if (!m.has(k)) m.set(k, t); },
  };
}

/** RemovalGrace tracks the grace of every pending removal. */
export class RemovalGrace {
  /** Monotonic deadline of each pending removal's grace in this process. */
  readonly #deadlines = new Map<string, number>();

  constructor(private readonly clock: Clock, private readonly marks: RemovalMarks, private readonly config: number | Record<string, number> | undefined) {}

  /** graceMs is the configured grace of a kind. */
  graceMs(kind: string): number {
    const g = this.config;
    if (typeof g === 'number') return g;
    return g?.[kind] ?? REMOVAL_GRACE_MS[kind] ?? DEFAULT_REMOVAL_GRACE_MS;
  }

  /** remainingMs tells how much grace a missing object has left, without starting it (for plan). */
  remainingMs(key: string): number {
    const grace = this.graceMs(parseKey(key).kind);
    if (grace <= 0) return 0;
    const deadline = this.#deadlines.get(key);
    if (deadline !== undefined) return Math.max(0, deadline - this.clock.monotonic());
    const seen = this.marks.firstSeen(key);
    return seen === undefined ? grace : grace - Math.min(Math.max(0, this.clock.now() - seen), grace);
  }

  /**
   * run starts or continues a removal's grace. A removal first seen before a restart keeps its persisted
   * wall-time mark: the time already served counts, clamped to [0, grace] (a wall clock stepped back never makes it
   * longer than one full grace; stepped forward, it can at most end at once, and only after this process has itself
   * seen the object missing); the rest runs on the monotonic clock.
   */
  run(key: string): number {
    const grace = this.graceMs(parseKey(key).kind);
    if (grace <= 0) return 0;
    const { clock } = this;
    let deadline = this.#deadlines.get(key);
    if (deadline === undefined) {
      const seen = this.marks.firstSeen(key);
      const served = seen === undefined ? 0 : Math.min(Math.max(0, clock.now() - seen), grace);
      if (seen === undefined) this.marks.mark(key, clock.now());
      deadline = clock.monotonic() + grace - served;
      this.#deadlines.set(key, deadline);
    }
    return deadline - clock.monotonic();
  }

  /** cancel forgets a pending removal whose object is back (nothing else is written). */
  cancel(key: string): void {
    if (this.#deadlines.delete(key) || this.marks.firstSeen(key) !== undefined) this.marks.clear(key);
  }

  /** finished drops the in-process deadline; the persisted mark goes at the next sync, in one write for many. */
  finished(key: string): void { this.#deadlines.delete(key); }

  /**
   * sync records the first sighting of every new removal and forgets marks of objects that are back or gone,
   * in one write per load, so that a mass removal or restore does not cost one state write per object.
   */
  sync(present: ReadonlySet<string>, missing: readonly string[], known: (key: string) => boolean, unsafeToPrune: boolean): void {
    const clear = this.marks.keys().filter((k) => present.has(k) || !known(k));
    for (const k of clear) this.#deadlines.delete(k);
    const mark = unsafeToPrune ? [] : missing.filter((k) => this.graceMs(parseKey(k).kind) > 0 && this.marks.firstSeen(k) === undefined);
    if (clear.length || mark.length) this.marks.update(mark, clear, this.clock.now());
  }
}
