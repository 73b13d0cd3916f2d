// The API shape of an object (as `livchat get -o json` and /api/v1/objects show it), built from persisted state.
import type { ObjectState } from './status-store.js';
import { API_VERSION, parseKey } from '../engine/types.js';
import { SecretRegistry } from '../obs/redact.js';

/** ApiObject is a Kubernetes-style object with spec and status. */
export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

/** toApiObject renders one object's state; every string passes the secret scrubber. */
export function toApiObject(st: ObjectState, secrets: SecretRegistry = new SecretRegistry()): ApiObject {
  const { kind, name } = parseKey(st.key);
  const last = st.last;
  const metadata: Record<string, unknown> = {
    name,
    generation: st.generation,
    creationTimestamp: st.createdAt,
    ...(last?.metadata.labels ? { labels: last.metadata.labels } : {}),
    ...(last?.metadata.annotations ? { annotations: last.metadata.annotations } : {}),
    ...(st.owner ? { ownerReferences: [{ apiVersion: API_VERSION, kind: st.owner.kind, name: st.owner.name }] } : {}),
  };
  const annotations: Record<string, string> = {};
  if (st.source) annotations['livchat.ai/source'] = `${st.source.file}:${st.source.line}`;
  if (st.removed) annotations['livchat.ai/removed'] = 'true';
  if (Object.keys(annotations).length) metadata.annotations = { ...(metadata.annotations as object | undefined), ...annotations };
  const s = st.status;
  const status: Record<string, unknown> = {
    ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
    conditions: s.conditions,
    ...s.observed,
    ...(s.phase ? { phase: s.phase } : {}),
    ...(s.progress ? { progress: s.progress } : {}),
    ...(s.waitingOn?.length ? { waitingOn: s.waitingOn } : {}),
    ...(s.lastAppliedRevision ? { lastAppliedRevision: s.lastAppliedRevision } : {}),
    ...(s.lastReconcileTime ? { lastReconcileTime: s.lastReconcileTime } : {}),
    events: s.events,
  };
  return secrets.scrubDeep({ apiVersion: last?.apiVersion ?? API_VERSION, kind, metadata, spec: last?.spec ?? {}, status });
}

/** toList renders a Kubernetes-style List. */
export function toList(states: ObjectState[], secrets: SecretRegistry = new SecretRegistry()): { apiVersion: 'v1'; kind: 'List'; items: ApiObject[] } {
  return { apiVersion: 'v1', kind: 'List', items: states.map((s) => toApiObject(s, secrets)) };
}
