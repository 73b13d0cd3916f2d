// Persisted wall time at which each pending removal was first seen, so a removal grace survives a daemon restart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** PendingRemovals maps `Kind/name` to the wall time (ms) its removal was first seen; written only when it changes. */
export class PendingRemovals {
  readonly #file: string;
  readonly #seen = new Map<string, number>();

  constructor(stateDir: string) {
    this.#file = join(stateDir, 'pending-removals.json');
    try {
      const raw = JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, unknown>;
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string' && Number.isFinite(Date.parse(v))) this.#seen.set(k, Date.parse(v));
    } catch { /* none yet, or unreadable: every removal then starts its grace now */ }
  }

  /** firstSeen returns when the key's removal was first seen, if it is pending. */
  firstSeen(key: string): number | undefined { return this.#seen.get(key); }

  /** entries lists every pending removal. */
  entries(): Array<[string, number]> { return [...this.#seen]; }

  /** keys lists the keys with a pending removal. */
  keys(): string[] { return [...this.#seen.keys()]; }

  /** update marks and clears many keys with one write (a mass removal must not cost one write per object). */
  update(mark: readonly string[], clear: readonly string[], wallMs: number): void {
    let dirty = false;
    for (const k of clear) if (this.#seen.delete(k)) dirty = true;
    for (const k of mark) if (!this.#seen.has(k)) { this.#seen.set(k, wallMs); dirty = true; }
    if (dirty) this.#save();
  }

  /** mark records the first sighting (an existing mark is kept). */
  mark(key: string, wallMs: number): void {
    if (this.#seen.has(key)) return;
    this.#seen.set(key, wallMs);
    this.#save();
  }

  /** clear forgets a removal that was cancelled or carried out. */
  clear(key: string): void {
    if (this.#seen.delete(key)) this.#save();
  }

  #save(): void {
    writeFileAtomic(this.#file, JSON.stringify(Object.fromEntries([...this.#seen].map(([k, v]) => [k, new Date(v).toISOString()]))));
  }
}
