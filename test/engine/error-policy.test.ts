// The engine's one table decides what a provider failure code does to the key: stall or back off.
import { describe, expect, it } from 'vitest';
import { DomainError, ERROR_CODES, errorCode, hasCode } from '../../src/engine/errors.js';
import { ERROR_POLICY } from '../../src/engine/error-policy.js';
import { fromError } from '../../src/engine/outcome.js';
import { getCondition, STALLED, SYNCED } from '../../src/engine/conditions.js';

const detail = { provider: 'test', status: 409, code: 'vendor_code', message: 'vendor says no' };
const now = new Date(Date.UTC(2026, 0, 1));

describe('error policy', () => {
  it('covers every code of the closed set', () => {
    expect(Object.keys(ERROR_POLICY).sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each(ERROR_CODES.map((c) => [c]))('%s maps to its table entry', (code) => {
    const out = fromError([], new DomainError(code, `failed with ${code}`, detail, { retryAfterMs: 1234, scope: 'tok' }), 1, now);
    const p = ERROR_POLICY[code];
    if (p.action === 'stall') {
      expect(out.kind).toBe('terminal');
      expect(getCondition(out.conditions, STALLED)).toMatchObject({ status: 'True', reason: p.reason });
      expect(out.stalledScope).toBe('tok');
    } else {
      expect(out.kind).toBe('error');
      expect(out.schedule).toEqual({ type: 'backoff', minMs: 1234 });
      expect(getCondition(out.conditions, SYNCED)).toMatchObject({ status: 'False', reason: p.reason });
    }
  });

  it('finds a code through the cause chain, never by message', () => {
    const inner = new DomainError('NotFound', 'gone', detail);
    const outer = new Error('wrapped', { cause: inner });
    expect(errorCode(outer)).toBe('NotFound');
    expect(hasCode(outer, 'NotFound', 'Conflict')).toBe(true);
    expect(hasCode(new Error('NotFound'), 'NotFound')).toBe(false);
  });
});
