// Pure mapping from a reconcile's result or error to the next schedule, with its conditions from summarize.
import { DomainError, RetryableError, TerminalError, WaitError } from './errors.js';
import { ERROR_POLICY } from './error-policy.js';
import type { Condition } from './conditions.js';
import { summarize } from './summarize.js';
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
  const inProgress = !r.deleted && r.requeueAfterMs !== undefined;
  const c = summarize(prev, { type: 'done', ready: r.ready, ...(r.synced ? { synced: r.synced } : {}), inProgress, ...(r.reconciling && !r.deleted ? { reconciling: r.reconciling } : {}) }, gen, now);
  if (r.deleted) return { kind: 'deleted', conditions: c, schedule: { type: 'none' } };
  if (r.requeueAfterMs !== undefined) return { kind: 'requeue_after', conditions: c, schedule: { type: 'after', ms: r.requeueAfterMs } };
  return { kind: 'success', conditions: c, schedule: { type: 'resync' } };
}

/** fromError maps a thrown error by its class: waiting, terminal, or retryable. */
export function fromError(prev: readonly Condition[], err: unknown, gen: number, now: Date): Outcome {
  if (err instanceof WaitError) {
    const c = summarize(prev, { type: 'waiting', reason: err.reason, message: err.message }, gen, now);
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
    const c = summarize(prev, { type: 'stalled', reason: err.reason, message: err.message }, gen, now);
    return {
      kind: 'terminal', conditions: c, schedule: { type: 'none' },
      event: { type: 'Warning', reason: err.reason, message: err.message },
      ...(err.scope ? { stalledScope: err.scope } : {}),
    };
  }
  const reason = err instanceof RetryableError ? err.reason : 'ReconcileError';
  const message = err instanceof Error ? err.message : String(err);
  const c = summarize(prev, { type: 'failed', reason, message }, gen, now);
  const minMs = err instanceof RetryableError ? err.retryAfterMs ?? 0 : 0;
  return { kind: 'error', conditions: c, schedule: { type: 'backoff', minMs }, event: { type: 'Warning', reason, message } };
}
