// Pure Server diff: which fields differ and whether each change is in place, a restart, or a replacement.
import type { ServerSpec } from '../../src/crd/generated.js';
import type { ServerInfo } from './port.js';

/** ServerSpec is the Server kind's spec, generated from the CRD. */
export type { ServerSpec };

export type ChangeClass = 'in-place' | 'restart' | 'replacement';

/** ServerChange is one field difference with its class. */
export interface ServerChange { field: string; from: unknown; to: unknown; class: ChangeClass }

export const LABEL_INSTANCE = 'livchat.ai/instance';
export const LABEL_OBJECT = 'livchat.ai/object';
export const LABEL_MANAGED = 'managed-by';
/** Annotation with the SHA256 fingerprint a person checked, for a server whose host key is not pinned. */
export const ANNOTATION_APPROVE_HOST_KEY = 'livchat.ai/approve-host-key';

const LABEL_VALUE = /^(?:[a-zA-Z0-9](?:[-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?)?$/;
const LABEL_KEY = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[a-zA-Z0-9](?:[-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/;

/**
 * labelSelector builds an exact-equality Hetzner label selector (`k=v,k2=v2`). Values are validated, not quoted: the
 * grammar has no escaping, so a value such as `prod,x` or `a in (b)` could otherwise add terms; it throws instead.
 */
export function labelSelector(labels: Record<string, string>): string {
  const terms = Object.entries(labels).map(([k, v]) => {
    if (!LABEL_KEY.test(k)) throw new Error(`invalid label key ${JSON.stringify(k)} for a label selector`);
    if (v === '' || !LABEL_VALUE.test(v)) throw new Error(`invalid label value ${JSON.stringify(v)} for label ${k}: 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric`);
    return `${k}=${v}`;
  });
  if (terms.length === 0) throw new Error('a label selector needs at least one label');
  return terms.join(',');
}

/** ownershipLabels are the labels that mark a server or key as this installation's. */
export function ownershipLabels(instance: string, name: string): Record<string, string> {
  return { [LABEL_MANAGED]: 'livchat', [LABEL_INSTANCE]: instance, [LABEL_OBJECT]: name };
}

/** desiredLabels is the full label set a server should carry. */
export function desiredLabels(spec: ServerSpec, instance: string, name: string): Record<string, string> {
  return { ...spec.labels, ...ownershipLabels(instance, name) };
}

/** diffServer compares the spec with the observed server (image is compared by name when the API reports one). */
export function diffServer(spec: ServerSpec, server: ServerInfo, instance: string, name: string): ServerChange[] {
  const out: ServerChange[] = [];
  const loc = server.location;
  if (loc && loc !== spec.location) out.push({ field: 'location', from: loc, to: spec.location, class: 'replacement' });
  const img = server.image;
  if (img && img !== spec.image) out.push({ field: 'image', from: img, to: spec.image, class: 'replacement' });
  if (server.serverType !== spec.serverType) out.push({ field: 'serverType', from: server.serverType, to: spec.serverType, class: 'restart' });
  const want = desiredLabels(spec, instance, name);
  if (!sameLabels(want, server.labels)) out.push({ field: 'labels', from: server.labels, to: want, class: 'in-place' });
  const protect = spec.protection?.delete ?? true;
  if (server.protection.delete !== protect || server.protection.rebuild !== protect) {
    out.push({ field: 'protection', from: server.protection, to: { delete: protect, rebuild: protect }, class: 'in-place' });
  }
  return out;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
