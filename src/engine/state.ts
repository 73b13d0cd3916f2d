// The engine's state model and the state-store port it needs; src/store implements it, the engine imports no store.
import type { Condition } from './conditions.js';
import type { OwnerReference, Resource, SourceRef } from './types.js';

/** EventRecord is one deduplicated event: repeats bump count and lastTimestamp. */
export interface EventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

/** ObjectStatus is the user-visible status of one object. */
export interface ObjectStatus {
  observedGeneration?: number;
  conditions: Condition[];
  /** Kind-specific observed fields (ids, addresses, …). */
  observed?: Record<string, unknown>;
  /** What the object is doing now, shown by `apply` and `describe`. */
  phase?: string;
  progress?: string;
  /** Keys this object waits on. */
  waitingOn?: string[];
  lastAppliedRevision?: string;
  lastReconcileTime?: string;
  events: EventRecord[];
}

/** ObjectState is everything the daemon persists for one object. */
export interface ObjectState {
  key: string;
  generation: number;
  specHash: string;
  /** The last desired object seen, kept so a removed file can still be deleted by its rules. */
  last?: Resource;
  source?: SourceRef;
  owner?: OwnerReference;
  /** Set when the desired object is gone and cleanup is pending. */
  removed?: boolean;
  /** The external resource is gone; the state stays until the owned children's cleanup is done. */
  deleted?: boolean;
  createdAt: string;
  status: ObjectStatus;
  /** Controller-private durable data (create-pending marks, external ids, pinned host keys). */
  internal: Record<string, unknown>;
  /** The generation and metadata hash at which the object stalled; no retries until they change. */
  stalled?: { generation: number; metaHash: string; scope?: string };
  /** Objects this one owns (derived objects), persisted so a restart keeps them. */
  owned?: Resource[];
}

const MAX_EVENTS = 20;

/** addEvent records an event, merging it into an identical recent one. */
export function addEvent(status: ObjectStatus, type: EventRecord['type'], reason: string, message: string, now: Date): void {
  const ts = now.toISOString();
  const same = status.events.find((e) => e.type === type && e.reason === reason && e.message === message);
  if (same) {
    same.count++;
    same.lastTimestamp = ts;
    status.events = [...status.events.filter((e) => e !== same), same];
  } else {
    status.events.push({ type, reason, message, count: 1, firstTimestamp: ts, lastTimestamp: ts });
  }
  if (status.events.length > MAX_EVENTS) status.events.splice(0, status.events.length - MAX_EVENTS);
}

/** StateStore is the subset of the status store the engine uses: in-memory states, staged and durable writes. */
export interface StateStore {
  get(key: string): ObjectState | undefined;
  keys(): string[];
  list(kind?: string): ObjectState[];
  /** update applies fn and writes the state durably before returning. */
  update(key: string, fn: (st: ObjectState) => void, init?: () => ObjectState): ObjectState;
  /** stage applies fn in memory only; flush(key) writes it. */
  stage(key: string, fn: (st: ObjectState) => void, init?: () => ObjectState): ObjectState;
  flush(key: string): boolean;
  flushAll(): unknown;
  remove(key: string): void;
}
