// Pure mapping from a reconcile's result or error to status conditions and the next schedule.
import { DomainError, RetryableError, TerminalError, WaitError } from './errors.js';
import { ERROR_POLICY } from './error-policy.js';
import { READY, STALLED, SYNCED, getCondition, removeCondition, setCondition, type Condition } from './conditions.js';
import type { ReconcileResult } from './reconciler.js';

/** OutcomeKind is the metric label of one reconcile. */
export type OutcomeKind = 'success' | 'requeue_after' | 'wait' | 'error' | 'terminal' | 'deleted';

/** Schedule says what the queue does next with the key. */
export type Schedule =
  | { type: 'resync' }
  | { type: 'after'; ms: number }
  | { type: 'backoff'; minMs: number }
  | { type: 'none' };

/** Outcome is everything the engine applies after one reconcile. */
export interface Outcome {
  kind: OutcomeKind;
  conditions: Condition[];
  schedule: Schedule;
  /** Event to record, if any. */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
  waitingOn?: string[];
  stalledScope?: string;
}

/** fromResult maps a successful reconcile. */
export function fromResult(prev: readonly Condition[], r: ReconcileResult, gen: number, now: Date): Outcome {
  let c = removeCondition(prev, STALLED);
  c = setCondition(c, READY, r.ready, now, gen);
  c = setCondition(c, SYNCED, r.synced ?? { status: 'True', reason: 'ReconcileSuccess', message: '' }, now, gen);
  if (r.deleted) return { kind: 'deleted', conditions: c, schedule: { type: 'none' } };
  if (r.requeueAfterMs !== undefined) return { kind: 'requeue_after', conditions: c, schedule: { type: 'after', ms: r.requeueAfterMs } };
  return { kind: 'success', conditions: c, schedule: { type: 'resync' } };
}

/** fromError maps a thrown error by its class: waiting, terminal, or retryable. */
export function fromError(prev: readonly Condition[], err: unknown, gen: number, now: Date): Outcome {
  let c = removeCondition(prev, STALLED);
  if (err instanceof WaitError) {
    c = setCondition(c, READY, { status: 'False', reason: err.reason, message: err.message }, now, gen);
    c = setCondition(c, SYNCED, { status: 'True', reason: 'ReconcileSuccess', message: '' }, now, gen);
    return { kind: 'wait', conditions: c, schedule: { type: 'after', ms: err.afterMs }, waitingOn: err.waitingOn };
  }
  if (err instanceof DomainError) {
    // Provider failures carry a closed code; the policy table, not the provider, decides stall or retry.
    const p = ERROR_POLICY[err.code];
    err = p.action === 'stall'
      ? new TerminalError(p.reason, err.message, { ...(err.scope ? { scope: err.scope } : {}), cause: err })
      : new RetryableError(p.reason, err.message, { ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}), cause: err });
  }
  if (err instanceof TerminalError) {
    c = setCondition(c, STALLED, { status: 'True', reason: err.reason, message: err.message }, now, gen);
    c = setCondition(c, READY, { status: 'False', reason: err.reason, message: err.message }, now, gen);
    c = setCondition(c, SYNCED, { status: 'False', reason: err.reason, message: err.message }, now, gen);
    return {
      kind: 'terminal', conditions: c, schedule: { type: 'none' },
      event: { type: 'Warning', reason: err.reason, message: err.message },
      ...(err.scope ? { stalledScope: err.scope } : {}),
    };
  }
  const reason = err instanceof RetryableError ? err.reason : 'ReconcileError';
  const message = err instanceof Error ? err.message : String(err);
  // A failed round trip leaves Ready as it was (a running server stays usable); unknown if never observed.
  if (!getCondition(c, READY)) c = setCondition(c, READY, { status: 'Unknown', reason, message }, now, gen);
  c = setCondition(c, SYNCED, { status: 'False', reason, message }, now, gen);
  const minMs = err instanceof RetryableError ? err.retryAfterMs ?? 0 : 0;
  return { kind: 'error', conditions: c, schedule: { type: 'backoff', minMs }, event: { type: 'Warning', reason, message } };
}
