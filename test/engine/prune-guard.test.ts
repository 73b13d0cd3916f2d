// The mass-deletion guard holds removals of more than half of the objects (at least five), and only those.
import { describe, expect, it } from 'vitest';
import { isMassRemoval } from '../../src/engine/prune-guard.js';

describe('isMassRemoval', () => {
  it.each([
    [1, 1, false], [4, 4, false], [5, 10, false], [5, 9, true], [6, 10, true], [50, 50, true], [1, 50, false], [0, 0, false],
  ])('removing %i of %i → %s', (removed, before, held) => {
    expect(isMassRemoval(removed, before)).toBe(held);
  });
});
