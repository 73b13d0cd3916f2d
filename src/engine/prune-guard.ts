// Mass-deletion guard: removing half or more of the objects at once (a wrong branch, a bad merge, an emptied desired/)
// holds those deletions until a person confirms exactly that set; the hold is recomputed from the current files.

/** MASS_REMOVAL_MIN is the smallest removal the ratio rule ever holds; a handful of files is a normal edit. */
export const MASS_REMOVAL_MIN = 5;

/** isMassRemoval tells whether `missing` of `known` objects gone at once looks like an accident: at least half, and at least 5. */
export function isMassRemoval(missing: number, known: number): boolean {
  return missing >= MASS_REMOVAL_MIN && missing * 2 >= known;
}

/** shouldHold: any removal while no file object is left (an empty or missing desired/), or a mass removal. */
export function shouldHold(missing: number, known: number, present: number): boolean {
  return missing > 0 && (present === 0 || isMassRemoval(missing, known));
}

/** HoldChange says how a recomputation moved the hold. */
export interface HoldChange {
  held: string[];
  /** Keys held before and not now (restored, or confirmed): they should be looked at again. */
  released: string[];
  changed: boolean;
}

/** ConfirmResult is a confirmation's outcome; it fails when the given set is not exactly the one held now. */
export type ConfirmResult = { ok: true; confirmed: string[] } | { ok: false; held: string[]; message: string };

const sameSet = (a: readonly string[], b: ReadonlySet<string>): boolean => a.length === b.size && a.every((k) => b.has(k));

/**
 * DeletionHold holds the currently missing set when the rule fires. A confirmation covers the exact set it names:
 * while every missing key is inside a confirmed set the deletions go ahead (as they finish, the missing set shrinks);
 * any key outside it makes a new set that needs a new confirmation. Nothing missing forgets the confirmation.
 */
export class DeletionHold {
  #held: string[] = [];
  #heldSet = new Set<string>();
  #confirmed: Set<string> | undefined;

  /** recompute derives the hold from the keys missing now, the objects known, and the file objects present. */
  recompute(missing: readonly string[], known: number, present: number): HoldChange {
    const sorted = [...missing].sort();
    if (sorted.length === 0) this.#confirmed = undefined;
    let next: string[] = [];
    if (shouldHold(sorted.length, known, present)) {
      const c = this.#confirmed;
      if (c && sorted.every((k) => c.has(k))) next = [];
      else { this.#confirmed = undefined; next = sorted; }
    }
    const nextSet = new Set(next);
    const released = this.#held.filter((k) => !nextSet.has(k));
    const changed = !sameSet(this.#held, nextSet);
    this.#held = next;
    this.#heldSet = nextSet;
    return { held: next, released, changed };
  }

  /** isHeld tells whether the deletion of key waits for a confirmation. */
  isHeld(key: string): boolean { return this.#heldSet.has(key); }

  /** held lists the held keys, sorted. */
  held(): string[] { return [...this.#held]; }

  /** confirm releases the hold when `keys` is exactly the held set. */
  confirm(keys: readonly string[]): ConfirmResult {
    if (this.#held.length === 0) return { ok: false, held: [], message: 'no deletions are held' };
    if (!sameSet([...new Set(keys)], this.#heldSet)) {
      return { ok: false, held: this.held(), message: 'the held set changed; review it and confirm the current set' };
    }
    const confirmed = this.held();
    this.#confirmed = new Set(confirmed);
    this.#held = [];
    this.#heldSet = new Set();
    return { ok: true, confirmed };
  }
}
