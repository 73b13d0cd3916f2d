// Core resource model shared by the desired source, the engine, the stores and the controllers.

export const API_VERSION = 'livchat.ai/v1alpha1';

/** Annotation that stops every write for the object. */
export const ANNOTATION_PAUSED = 'livchat.ai/paused';
/** Annotation that allows taking over an existing, unowned external resource. */
export const ANNOTATION_ADOPT = 'livchat.ai/adopt';
/** Annotation on a derived object: the comma-separated names it had under the old `<owner>-<local>` scheme. */
export const ANNOTATION_FORMER_NAMES = 'livchat.ai/former-names';
/** Annotation approving a replacement for one exact generation. */
export const ANNOTATION_APPROVE_REPLACE = 'livchat.ai/approve-replace';

/** OwnerReference ties a derived object to the object that asked for it. */
export interface OwnerReference {
  kind: string;
  name: string;
}

export interface ObjectMeta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Increments when the spec changes; assigned by the engine, never read from files. */
  generation?: number;
  ownerReferences?: OwnerReference[];
}

/** Resource is one desired object as written in YAML. */
export interface Resource<S = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: S;
}

/** SourceRef says where an object was defined. Lines and columns are 1-based. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

/** DesiredObject is a validated object with its key and origin. */
export interface DesiredObject<S = Record<string, unknown>> {
  /** `Kind/name`. */
  key: string;
  object: Resource<S>;
  /** Where it was defined; absent for owned objects derived by a controller. */
  source?: SourceRef;
  /** Stable hash of the spec (plus metadata that changes behaviour), used for generation tracking. */
  specHash: string;
}

/** Problem is one validation or load error, printed as `FILE:LINE:COL: KIND/NAME: message`. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  kind?: string;
  name?: string;
  message: string;
}

export type DeletionPolicy = 'Delete' | 'Orphan';

/** objectKey builds the queue key `Kind/name`. */
export function objectKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/** parseKey splits `Kind/name`. */
export function parseKey(key: string): { kind: string; name: string } {
  const i = key.indexOf('/');
  if (i <= 0) throw new Error(`invalid object key ${JSON.stringify(key)}: expected Kind/name`);
  return { kind: key.slice(0, i), name: key.slice(i + 1) };
}

/** formatProblem renders a problem in the CLI's one-line format. */
export function formatProblem(p: Problem): string {
  const who = p.kind && p.name ? `${p.kind}/${p.name}: ` : p.kind ? `${p.kind}: ` : '';
  return `${p.file}:${p.line}:${p.col}: ${who}${p.message}`;
}
