// Kubernetes-style status conditions: the transition time changes only when the status flips.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** Condition follows metav1.Condition. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase machine reason. */
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** ConditionInput is a condition without bookkeeping fields. */
export interface ConditionInput {
  status: ConditionStatus;
  reason: string;
  message?: string;
}

/** Ready: the external thing exists and is usable. */
export const READY = 'Ready';
/** Synced: the last round trip with the provider succeeded and matches the current generation. */
export const SYNCED = 'Synced';
/** Reconciling (negative polarity, present only when True, as kstatus): work is in progress; reason = the step. */
export const RECONCILING = 'Reconciling';
/** Stalled (negative polarity, present only when True): a human must act before anything is retried. */
export const STALLED = 'Stalled';

const ORDER = [STALLED, READY, SYNCED, RECONCILING];
const REASON_RE = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** setCondition returns a new list with the condition set; lastTransitionTime moves only when status changes. */
export function setCondition(list: readonly Condition[], type: string, input: ConditionInput, now: Date, generation?: number): Condition[] {
  if (!REASON_RE.test(input.reason)) throw new Error(`invalid condition reason ${JSON.stringify(input.reason)}`);
  const prev = list.find((c) => c.type === type);
  const next: Condition = {
    type,
    status: input.status,
    reason: input.reason,
    message: (input.message ?? '').slice(0, 32768),
    lastTransitionTime: prev && prev.status === input.status ? prev.lastTransitionTime : now.toISOString(),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  const rest = list.filter((c) => c.type !== type);
  return sortConditions([...rest, next]);
}

/** removeCondition drops a condition type. */
export function removeCondition(list: readonly Condition[], type: string): Condition[] {
  return list.filter((c) => c.type !== type);
}

/** getCondition finds a condition by type. */
export function getCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/** isTrue tells whether a condition is present and True. */
export function isTrue(list: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(list, type)?.status === 'True';
}

function sortConditions(list: Condition[]): Condition[] {
  const rank = (t: string): number => { const i = ORDER.indexOf(t); return i < 0 ? ORDER.length : i; };
  return list.sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}
