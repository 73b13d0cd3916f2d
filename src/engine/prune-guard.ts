// Mass-deletion guard: removing most objects at once (a wrong branch, a bad merge) holds deletions until confirmed.

/** MASS_REMOVAL_MIN is the smallest removal the guard ever holds; a handful of files is a normal edit. */
export const MASS_REMOVAL_MIN = 5;

/** isMassRemoval tells whether removing `removed` of `before` objects at once looks like an accident (over half, at least 5). */
export function isMassRemoval(removed: number, before: number): boolean {
  return removed >= MASS_REMOVAL_MIN && removed * 2 > before;
}
