// Builds the context one reconcile sees: its object, status, private data, and the engine calls it may make.
import type { Clock } from './clock.js';
import type { Logger } from '../obs/log.js';
import type { DependencyView, ReconcileContext } from './reconciler.js';
import type { DesiredObject, Resource } from './types.js';
import { addEvent, type ObjectState, type StateStore } from './state.js';
import { summarize } from './summarize.js';
import { dependencyReader } from './depend.js';

export interface ContextInput {
  key: string; kind: string; name: string;
  desired: DesiredObject | undefined;
  object: Resource;
  state: ObjectState;
  instance: string;
  signal: AbortSignal;
  log: Logger;
  clock: Clock;
  store: StateStore;
  /** Registers an edge at once and returns the dependency's view. */
  dependency(key: string): DependencyView;
  /** Receives the children the reconcile declared. */
  own(children: Resource[]): void;
}

/** buildContext wires a ReconcileContext to the store; progress goes through summarize like every condition. */
export function buildContext(i: ContextInput): ReconcileContext {
  const { key, store, clock, log } = i;
  const internal = structuredClone(i.state.internal);
  return {
    key, kind: i.kind, name: i.name, desired: i.desired, object: i.object,
    generation: i.state.generation,
    status: structuredClone(i.state.status),
    internal,
    instance: i.instance,
    signal: i.signal,
    log, clock,
    persist: (patch) => {
      Object.assign(internal, patch);
      store.update(key, (s) => { Object.assign(s.internal, patch); for (const [k, v] of Object.entries(patch)) if (v === undefined) delete s.internal[k]; });
    },
    event: (type, reason, message) => {
      store.stage(key, (s) => addEvent(s.status, type, reason, message, new Date(clock.now())));
      log.info({ reason, type }, message);
    },
    progress: (phase, message) => {
      // Progress lives in memory (apply and HTTP read it there); only a new phase is written at once.
      const changed = store.get(key)?.status.phase !== phase;
      store.stage(key, (s) => {
        s.status.phase = phase;
        if (message !== undefined) s.status.progress = message; else delete s.status.progress;
        s.status.conditions = summarize(s.status.conditions, { type: 'progress', phase, ...(message !== undefined ? { message } : {}) }, s.generation, new Date(clock.now()));
      });
      if (changed) store.flush(key);
    },
    ...dependencyReader(i.dependency),
    own: i.own,
  };
}
