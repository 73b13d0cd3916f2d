// Crash-safe per-object state: status, events, generation and controller-private data, one JSON file per object.
import { chmodSync, readdirSync, readFileSync, mkdirSync, existsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import type { Condition } from '../engine/conditions.js';
import type { OwnerReference, Resource, SourceRef } from '../engine/types.js';
import { parseKey } from '../engine/types.js';

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

/** StatusStore keeps ObjectStates in memory and mirrors every change to `<dir>/objects/<Kind>/<name>.json`. */
export class StatusStore {
  readonly #dir: string;
  readonly #states = new Map<string, ObjectState>();
  readonly #dirty = new Set<string>();

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'objects');
  }

  /** load reads every persisted object; unreadable files are reported, not fatal. */
  load(): { errors: string[] } {
    const errors: string[] = [];
    this.#states.clear();
    removeStaleTemps(this.#dir);
    for (const st of readAllStates(this.#dir, errors)) this.#states.set(st.key, st);
    return { errors };
  }

  get(key: string): ObjectState | undefined { return this.#states.get(key); }
  keys(): string[] { return [...this.#states.keys()]; }
  list(kind?: string): ObjectState[] {
    const all = [...this.#states.values()];
    return (kind ? all.filter((s) => parseKey(s.key).kind === kind) : all).sort((a, b) => a.key.localeCompare(b.key));
  }

  /** update applies fn to a copy of the state and persists it durably before returning. */
  update(key: string, fn: (st: ObjectState) => void, init?: () => ObjectState): ObjectState {
    const next = this.stage(key, fn, init);
    this.flush(key);
    return next;
  }

  /** stage applies fn in memory only; flush(key) writes it (the engine flushes once per reconcile). */
  stage(key: string, fn: (st: ObjectState) => void, init?: () => ObjectState): ObjectState {
    const cur = this.#states.get(key) ?? init?.();
    if (!cur) throw new Error(`no state for ${key}`);
    const next = structuredClone(cur);
    fn(next);
    this.#states.set(key, next);
    this.#dirty.add(key);
    return next;
  }

  /** flush durably writes a staged state, if any. */
  flush(key: string): void {
    if (!this.#dirty.delete(key)) return;
    const st = this.#states.get(key);
    if (st) this.#write(st);
  }

  /** flushAll writes every staged state (used at shutdown). */
  flushAll(): void {
    for (const key of [...this.#dirty]) this.flush(key);
  }

  /** remove forgets an object for good. */
  remove(key: string): void {
    this.#states.delete(key);
    this.#dirty.delete(key);
    const file = this.#file(key);
    try { unlinkSync(file); } catch { /* already gone */ }
  }

  #file(key: string): string {
    const { kind, name } = parseKey(key);
    return join(this.#dir, kind, `${name}.json`);
  }

  #write(st: ObjectState): void {
    // The file is fsynced before the rename, so readers and crashes see old or new content; skipping the
    // directory fsync only risks losing the newest status on power loss, never a torn file.
    writeFileAtomic(this.#file(st.key), JSON.stringify(st), 0o600, { syncDir: false });
  }
}

/** readAllStates reads the state directory without a daemon, as the CLI does. */
export function readAllStates(objectsDir: string, errors: string[] = []): ObjectState[] {
  const out: ObjectState[] = [];
  if (!existsSync(objectsDir)) return out;
  for (const kind of readdirSync(objectsDir)) {
    const kdir = join(objectsDir, kind);
    let files: string[];
    try { files = readdirSync(kdir); } catch { continue; }
    for (const f of files) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(kdir, f), 'utf8')) as ObjectState);
      } catch (err) {
        errors.push(`${join(kdir, f)}: ${(err as Error).message}`);
      }
    }
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** removeStaleTemps deletes temp files a crash left mid-write; the real files are intact beside them. */
function removeStaleTemps(objectsDir: string): void {
  if (!existsSync(objectsDir)) return;
  for (const kind of readdirSync(objectsDir)) {
    let files: string[];
    try { files = readdirSync(join(objectsDir, kind)); } catch { continue; }
    for (const f of files) {
      if (f.startsWith('.') && f.endsWith('.tmp')) {
        try { unlinkSync(join(objectsDir, kind, f)); } catch { /* raced with another cleaner */ }
      }
    }
  }
}

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

/** ensureStateDir creates the state directory with private permissions, and tightens an existing one to 0700. */
export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    // The state holds the vault, pinned host keys and status: other local users have no business listing it.
    chmodSync(dir, 0o700);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`state directory ${dir} has mode ${mode.toString(8).padStart(4, '0')} and cannot be tightened to 0700 (${code}); run: chmod 700 ${dir}`);
  }
}
