// The one status summarizer: the only code that writes conditions, from what a pass or a gate reports.
import { READY, RECONCILING, STALLED, SYNCED, getCondition, removeCondition, setCondition, type Condition, type ConditionInput } from './conditions.js';

/**
 * Report is what happened to one object; summarize turns it into conditions.
 * - pending: first sight; paused / held: a gate stopped the pass (Ready stays as it was);
 * - progress: a step runs (Reconciling=True/phase; Ready untouched: it says whether the thing is usable);
 * - done: a pass succeeded (inProgress keeps Reconciling=True with Ready's reason while it still converges);
 * - waiting: an expected delay (Ready=False, Reconciling=True, both with the wait's reason);
 * - stalled: a human must act; failed: a retryable failure (Ready kept, Unknown if never set).
 */
export type Report =
  | { type: 'pending' }
  | { type: 'paused' }
  | { type: 'held'; message: string }
  /** A removal a human must unblock, without a failed round trip: Synced=False with the reason, Ready as it was. */
  | { type: 'waiting-human'; reason: string; message: string }
  | { type: 'progress'; phase: string; message?: string }
  | { type: 'done'; ready: ConditionInput; synced?: ConditionInput; inProgress?: boolean; reconciling?: { reason: string; message?: string } }
  | { type: 'waiting'; reason: string; message: string }
  | { type: 'stalled'; reason: string; message: string }
  | { type: 'failed'; reason: string; message: string };

const PAUSED_MESSAGE = 'the livchat.ai/paused annotation stops all writes';
const OK: ConditionInput = { status: 'True', reason: 'ReconcileSuccess', message: '' };

/**
 * summarize returns the conditions after a report. Reconciling follows kstatus: present only while True
 * (work in progress, reason = the step), removed when a pass ends in success or a stall.
 */
export function summarize(prev: readonly Condition[], r: Report, gen: number, now: Date): Condition[] {
  switch (r.type) {
    case 'pending': {
      if (prev.length) return [...prev];
      const c = setCondition([], READY, { status: 'Unknown', reason: 'Pending', message: 'not reconciled yet' }, now);
      return setCondition(c, SYNCED, { status: 'Unknown', reason: 'Pending', message: '' }, now);
    }
    case 'paused': return setCondition(prev, SYNCED, { status: 'False', reason: 'ReconcilePaused', message: PAUSED_MESSAGE }, now, gen);
    case 'held': return setCondition(prev, SYNCED, { status: 'False', reason: 'DeletionHeld', message: r.message }, now, gen);
    case 'waiting-human': return setCondition(prev, SYNCED, { status: 'False', reason: r.reason, message: r.message }, now, gen);
    case 'progress': return setCondition(prev, RECONCILING, { status: 'True', reason: r.phase, message: r.message ?? r.phase }, now, gen);
    case 'done': {
      let c = setCondition(removeCondition(prev, STALLED), READY, r.ready, now, gen);
      c = setCondition(c, SYNCED, r.synced ?? OK, now, gen);
      // A usable object can still be at work (an app serving its old version while an update rolls out).
      if (r.reconciling) return setCondition(c, RECONCILING, { status: 'True', reason: r.reconciling.reason, message: r.reconciling.message ?? '' }, now, gen);
      return r.inProgress && r.ready.status !== 'True'
        ? setCondition(c, RECONCILING, { status: 'True', reason: r.ready.reason, message: r.ready.message ?? '' }, now, gen)
        : removeCondition(c, RECONCILING);
    }
    case 'waiting': {
      let c = setCondition(removeCondition(prev, STALLED), READY, { status: 'False', reason: r.reason, message: r.message }, now, gen);
      c = setCondition(c, SYNCED, OK, now, gen);
      return setCondition(c, RECONCILING, { status: 'True', reason: r.reason, message: r.message }, now, gen);
    }
    case 'stalled': {
      let c = setCondition(prev, STALLED, { status: 'True', reason: r.reason, message: r.message }, now, gen);
      c = setCondition(c, READY, { status: 'False', reason: r.reason, message: r.message }, now, gen);
      c = setCondition(c, SYNCED, { status: 'False', reason: r.reason, message: r.message }, now, gen);
      return removeCondition(c, RECONCILING);
    }
    case 'failed': {
      // A failed round trip leaves Ready as it was (a running server stays usable) and work in progress as it was.
      let c = removeCondition(prev, STALLED);
      if (!getCondition(c, READY)) c = setCondition(c, READY, { status: 'Unknown', reason: r.reason, message: r.message }, now, gen);
      return setCondition(c, SYNCED, { status: 'False', reason: r.reason, message: r.message }, now, gen);
    }
  }
}

/** alreadyPaused / alreadyHeld tell whether the conditions already say so (a gate then writes nothing). */
export function alreadyPaused(c: readonly Condition[]): boolean { return getCondition(c, SYNCED)?.reason === 'ReconcilePaused'; }
export function alreadyHeld(c: readonly Condition[], message: string): boolean {
  const s = getCondition(c, SYNCED);
  return s?.reason === 'DeletionHeld' && s.message === message;
}
