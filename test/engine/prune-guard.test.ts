// The mass-deletion guard: at least half (and at least five), or anything while no file object is left; recomputed; exact-set confirmation.
import { describe, expect, it } from 'vitest';
import { DeletionHold, isMassRemoval, shouldHold } from '../../src/engine/prune-guard.js';

describe('isMassRemoval', () => {
  it.each([
    [1, 1, false], [4, 4, false], [5, 10, true], [5, 11, false], [10, 20, true], [9, 20, false], [5, 9, true], [6, 10, true], [50, 50, true], [1, 50, false], [0, 0, false],
  ])('removing %i of %i → %s (exactly half holds)', (removed, before, held) => {
    expect(isMassRemoval(removed, before)).toBe(held);
  });
});

describe('shouldHold', () => {
  it('holds any removal when no file object is left, whatever the count', () => {
    expect(shouldHold(4, 4, 0)).toBe(true);
    expect(shouldHold(1, 1, 0)).toBe(true);
    expect(shouldHold(0, 0, 0)).toBe(false);
    expect(shouldHold(1, 4, 3)).toBe(false);
  });
});

const keys = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `DNSRecord/r${String(i + from).padStart(2, '0')}`);

describe('DeletionHold', () => {
  it('is recomputed from the current files: restoring them releases the hold', () => {
    const h = new DeletionHold();
    expect(h.recompute(keys(10), 20, 10)).toEqual({ held: keys(10), released: [], changed: true });
    expect(h.isHeld('DNSRecord/r03')).toBe(true);
    // Six files restored: 4 of 20 missing is a normal edit, nothing is held any more.
    expect(h.recompute(keys(4), 20, 16)).toEqual({ held: [], released: keys(10), changed: true });
    expect(h.held()).toEqual([]);
  });

  it('covers exactly the currently missing set', () => {
    const h = new DeletionHold();
    h.recompute(keys(6), 8, 2);
    expect(h.recompute(keys(7), 8, 1).held).toEqual(keys(7));
    expect(h.recompute(keys(6), 8, 2)).toMatchObject({ held: keys(6), released: ['DNSRecord/r06'] });
  });

  it('a confirmation is bound to the exact held set; deletions of that set then proceed as it shrinks', () => {
    const h = new DeletionHold();
    h.recompute(keys(20), 20, 0);
    expect(h.confirm(keys(19))).toMatchObject({ ok: false, held: keys(20) });
    expect(h.confirm([...keys(20), 'DNSRecord/other'])).toMatchObject({ ok: false });
    expect(h.isHeld('DNSRecord/r00')).toBe(true);
    expect(h.confirm(keys(20))).toEqual({ ok: true, confirmed: keys(20) });
    expect(h.isHeld('DNSRecord/r00')).toBe(false);
    // As deletions finish, 19 of 19 missing is still inside the confirmed set.
    expect(h.recompute(keys(19, 1), 19, 0).held).toEqual([]);
    // A key outside the confirmed set makes a new set that needs a new confirmation.
    expect(h.recompute([...keys(19, 1), 'DNSRecord/new'], 20, 0).held).toHaveLength(20);
    expect(h.confirm([])).toMatchObject({ ok: false });
  });

  it('forgets a confirmation once nothing is missing', () => {
    const h = new DeletionHold();
    h.recompute(keys(6), 6, 0);
    h.confirm(keys(6));
    h.recompute([], 6, 6);
    expect(h.recompute(keys(6), 6, 0).held).toEqual(keys(6));
  });

  it('confirming with nothing held is refused', () => {
    expect(new DeletionHold().confirm(['DNSRecord/a'])).toEqual({ ok: false, held: [], message: 'no deletions are held' });
  });
});
