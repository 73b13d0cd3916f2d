// Convergence verdicts for `apply`: done, needs a human, or still progressing, per object.
import { READY, RECONCILING, STALLED, SYNCED, getCondition } from './conditions.js';
import type { ObjectState } from './state.js';
import { ENGINE_REASONS, needsHuman, type ReasonCatalog } from './reasons.js';

export type Verdict = 'done' | 'blocked' | 'progressing';

/** verdict classifies one object: Ready and Synced at its generation, waiting for a human (by the catalog), or still converging. */
export function verdict(st: ObjectState | undefined, desiredPresent: boolean, catalog: ReasonCatalog = ENGINE_REASONS): Verdict {
  if (!st) return desiredPresent ? 'progressing' : 'done';
  const c = st.status.conditions;
  if (getCondition(c, STALLED)?.status === 'True') return 'blocked';
  const synced = getCondition(c, SYNCED);
  if (synced?.status === 'False' && needsHuman(catalog, synced.reason)) return 'blocked';
  if (st.removed) return 'progressing';
  const ready = getCondition(c, READY);
  const current = st.status.observedGeneration === st.generation && ready?.observedGeneration === st.generation;
  // As kstatus: Reconciling=True is work in progress, even on a usable (Ready) object.
  const busy = getCondition(c, RECONCILING)?.status === 'True';
  return ready?.status === 'True' && synced?.status === 'True' && current && !busy ? 'done' : 'progressing';
}

/** describeState is a one-line summary: condition statuses (Reconciling only while True), reason, phase and progress. */
export function describeState(st: ObjectState | undefined): string {
  if (!st) return 'gone';
  const c = st.status.conditions;
  const ready = getCondition(c, READY);
  const synced = getCondition(c, SYNCED);
  const stalled = getCondition(c, STALLED);
  const reconciling = getCondition(c, RECONCILING)?.status === 'True' ? getCondition(c, RECONCILING) : undefined;
  const reason = stalled?.reason ?? (ready?.status !== 'True' ? ready?.reason : synced?.status !== 'True' ? synced?.reason : reconciling?.reason ?? ready?.reason) ?? 'Pending';
  const msg = stalled?.message ?? (ready?.status !== 'True' ? ready?.message : synced?.status !== 'True' ? synced?.message : '') ?? '';
  const phase = st.status.phase ? ` [${st.status.phase}${st.status.progress ? `: ${st.status.progress}` : ''}]` : '';
  const waits = st.status.waitingOn?.length ? ` (waits on ${st.status.waitingOn.join(', ')})` : '';
  return `Ready=${ready?.status ?? 'Unknown'} Synced=${synced?.status ?? 'Unknown'}${reconciling ? ' Reconciling=True' : ''} ${reason}${phase}${waits}${msg ? ` — ${msg}` : ''}`;
}
