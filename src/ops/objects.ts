// Read operations over persisted status: get (all, by kind, one), describe, and wait for a condition at the current generation.
import { join } from 'node:path';
import { readAllStates, type ObjectState } from '../store/status-store.js';
import { toApiObject } from '../store/object-view.js';
import type { SecretRegistry } from '../obs/redact.js';
import { getCondition } from '../engine/conditions.js';
import { parseKey } from '../engine/types.js';
import type { Clock } from '../engine/clock.js';

/** matchStates filters states by kind (case-insensitive, singular or plural) and name. */
export function matchStates(all: ObjectState[], kind?: string, name?: string): ObjectState[] {
  if (!kind) return all;
  const want = kind.toLowerCase().replace(/s$/, '');
  const byKind = all.filter((s) => parseKey(s.key).kind.toLowerCase() === want);
  return name ? byKind.filter((s) => parseKey(s.key).name === name) : byKind;
}

/** getObjects reads the persisted states under stateDir, filtered like `livchat get [KIND [NAME]]`. */
export function getObjects(stateDir: string, kind?: string, name?: string): ObjectState[] {
  return matchStates(readAllStates(join(stateDir, 'objects')), kind, name);
}

/** describeObject returns one state and its API view (scrubbed), or undefined when it is unknown. */
export function describeObject(stateDir: string, kind: string, name: string, secrets: SecretRegistry): { state: ObjectState; object: ReturnType<typeof toApiObject> } | undefined {
  const [state] = getObjects(stateDir, kind, name);
  return state ? { state, object: toApiObject(state, secrets) } : undefined;
}

export interface WaitSpec { kind: string; name: string; type: string; want: 'True' | 'False' | 'Unknown' | string; timeoutMs: number }
export interface WaitResult { met: boolean; state: ObjectState | undefined; condition: ReturnType<typeof getCondition> }

/** conditionMet is true when the condition has the wanted status and describes the object's current generation. */
export function conditionMet(st: ObjectState | undefined, type: string, want: string): boolean {
  const c = st && getCondition(st.status.conditions, type);
  return !!(st && c && c.status === want && (c.observedGeneration === undefined || c.observedGeneration === st.generation));
}

/** waitFor polls the persisted status until the condition holds at the current generation, or the timeout passes. */
export async function waitFor(stateDir: string, w: WaitSpec, clock: Clock, pollMs = 500): Promise<WaitResult> {
  // Monotonic: a wall-clock step must neither end the wait early nor stretch it.
  const deadline = clock.monotonic() + w.timeoutMs;
  for (;;) {
    const [st] = getObjects(stateDir, w.kind, w.name);
    const c = st && getCondition(st.status.conditions, w.type);
    if (conditionMet(st, w.type, w.want)) return { met: true, state: st, condition: c };
    if (clock.monotonic() >= deadline) return { met: false, state: st, condition: c };
    await clock.sleep(Math.min(pollMs, Math.max(0, deadline - clock.monotonic())));
  }
}
