// Crash-safe per-object state: status, events, generation and controller-private data, one JSON file per object.
import { chmodSync, readdirSync, readFileSync, mkdirSync, existsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from './atomic.js';
import { realClock, type Clock } from '../engine/clock.js';
import { SecretRegistry } from '../obs/redact.js';
import type { ObjectState, StateStore } from '../engine/state.js';
import { parseKey } from '../engine/types.js';

// The state types and addEvent belong to the engine (the store implements its port); re-exported for callers.
export { addEvent, type EventRecord, type ObjectState, type ObjectStatus } from '../engine/state.js';

/** The batched file of last-reconcile times: a converged resync updates it instead of every object's file. */
export const CHECKED_FILE = 'last-reconcile.json';

/** StatusWriteError means a state could not be written durably (disk full, read-only, …); the change stays pending. */
export class StatusWriteError extends Error {
  override readonly name = 'StatusWriteError';
}

/** WriteHealth says whether every staged change reached the disk. */
export interface WriteHealth {
  ok: boolean;
  /** Objects whose newest state is not on disk. */
  failed: number;
  /** The last write error, when not ok. */
  error?: string;
  /** Wall time (ISO) the current failure episode began. */
  since?: string;
}

export interface StatusStoreOptions {
  /** Writes one file durably; injectable so tests can fail it. @default writeFileAtomic without a directory fsync */
  writer?: (path: string, data: string) => void;
  clock?: Clock;
  /** Scrubs every string of a state before it is written. @default the process-wide registry */
  secrets?: SecretRegistry;
  /** Called for every failed write; `first` is true once per failure episode (log it then, count every one). */
  onWriteFailed?: (err: Error, key: string, first: boolean) => void;
  /** Called when a failure episode ends: every pending change was written. */
  onWriteRecovered?: () => void;
  /** How often failed writes are retried. @default 10000 */
  retryMs?: number;
  /** How often the batched last-reconcile times are written. @default 60000 */
  checkedFlushMs?: number;
}

const defaultWriter = (path: string, data: string): void => {
  // The file is fsynced before the rename, so readers and crashes see old or new content; skipping the
  // directory fsync only risks losing the newest status on power loss, never a torn file.
  writeFileAtomic(path, data, 0o600, { syncDir: false });
};

/** StatusStore keeps ObjectStates in memory and mirrors every change to `<dir>/objects/<Kind>/<name>.json`. */
export class StatusStore implements StateStore {
  readonly #root: string;
  readonly #dir: string;
  readonly #o: StatusStoreOptions;
  readonly #secrets: SecretRegistry;
  readonly #clock: Clock;
  readonly #states = new Map<string, ObjectState>();
  readonly #dirty = new Set<string>();
  /** Hash of each object's file content without lastReconcileTime, as last written (or loaded). */
  readonly #written = new Map<string, string>();
  readonly #failed = new Set<string>();
  #lastError: string | undefined;
  #since: string | undefined;
  #checkedDirty = false;
  #checkedFailed = false;
  #retryTimer: (() => void) | undefined;
  #checkedTimer: (() => void) | undefined;

  constructor(stateDir: string, opts: StatusStoreOptions = {}) {
    this.#root = stateDir;
    this.#dir = join(stateDir, 'objects');
    this.#o = opts;
    this.#secrets = opts.secrets ?? new SecretRegistry();
    this.#clock = opts.clock ?? realClock;
  }

  /** load reads every persisted object; unreadable files are reported, not fatal. */
  load(): { errors: string[] } {
    const errors: string[] = [];
    this.#states.clear();
    this.#written.clear();
    removeStaleTemps(this.#dir);
    // The batched file's temp files live in the state root; only this store writes them.
    for (const f of existsSync(this.#root) ? readdirSync(this.#root) : []) {
      if (f.startsWith(`.${CHECKED_FILE}.`) && f.endsWith('.tmp')) { try { unlinkSync(join(this.#root, f)); } catch { /* raced */ } }
    }
    for (const st of readAllStates(this.#dir, errors)) {
      this.#states.set(st.key, st);
      this.#written.set(st.key, fingerprint(st));
    }
    return { errors };
  }

  get(key: string): ObjectState | undefined { return this.#states.get(key); }
  keys(): string[] { return [...this.#states.keys()]; }
  list(kind?: string): ObjectState[] {
    const all = [...this.#states.values()];
    return (kind ? all.filter((s) => parseKey(s.key).kind === kind) : all).sort((a, b) => a.key.localeCompare(b.key));
  }

  /** update applies fn to a copy of the state and persists it durably before returning; throws StatusWriteError if it cannot. */
  update(key: string, fn: (st: ObjectState) => void, init?: () => ObjectState): ObjectState {
    const next = this.stage(key, fn, init);
    // Callers rely on durability (create-pending marks before a POST): a failed write must stop them.
    if (!this.flush(key)) throw new StatusWriteError(`status of ${key} could not be written: ${this.#lastError ?? 'unknown error'}`);
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

  /**
   * flush writes a staged state, if any, and returns false when the write failed (the change stays pending and is
   * retried). A change of lastReconcileTime alone goes to the batched file, not to the object's file.
   */
  flush(key: string): boolean {
    if (!this.#dirty.has(key)) return !this.#failed.has(key);
    const ok = this.#writeOne(key);
    if (ok && this.#failed.size > 0) this.#retryFailed();
    return ok;
  }

  /** flushAll writes every staged state and the batched last-reconcile times (used at shutdown). */
  flushAll(): WriteHealth {
    for (const key of [...this.#dirty]) this.#writeOne(key);
    this.#writeChecked();
    this.#settle();
    return this.health();
  }

  /** health reports whether everything staged is on disk (readiness and shutdown use it). */
  health(): WriteHealth {
    const failed = this.#failed.size + (this.#checkedFailed ? 1 : 0);
    if (failed === 0) return { ok: true, failed: 0 };
    return { ok: false, failed, ...(this.#lastError ? { error: this.#lastError } : {}), ...(this.#since ? { since: this.#since } : {}) };
  }

  /** close cancels the background timers (flushAll first to write what is pending). */
  close(): void {
    this.#retryTimer?.();
    this.#retryTimer = undefined;
    this.#checkedTimer?.();
    this.#checkedTimer = undefined;
  }

  /** remove forgets an object for good. */
  remove(key: string): void {
    this.#states.delete(key);
    this.#dirty.delete(key);
    this.#written.delete(key);
    this.#failed.delete(key);
    this.#markChecked();
    const file = this.#file(key);
    try { unlinkSync(file); } catch { /* already gone */ }
    this.#settle();
  }

  #file(key: string): string {
    const { kind, name } = parseKey(key);
    return join(this.#dir, kind, `${name}.json`);
  }

  #writeOne(key: string): boolean {
    const st = this.#states.get(key);
    if (!st) { this.#dirty.delete(key); this.#failed.delete(key); return true; }
    const fp = fingerprint(st);
    if (this.#written.get(key) === fp) {
      // Nothing a reader needs changed: only the last-checked time moved, which the batched file carries.
      this.#dirty.delete(key);
      this.#failed.delete(key);
      this.#markChecked();
      return true;
    }
    const { internal, ...shown } = st;
    // internal is controller-private (host keys) and never shown; everything else is scrubbed on its way to disk.
    const data = JSON.stringify({ ...this.#secrets.scrubDeep(shown), internal });
    try {
      (this.#o.writer ?? defaultWriter)(this.#file(key), data);
    } catch (err) {
      this.#fail(err as Error, key);
      return false;
    }
    this.#dirty.delete(key);
    this.#failed.delete(key);
    this.#written.set(key, fp);
    return true;
  }

  #fail(err: Error, key: string): void {
    const first = this.#failed.size === 0 && !this.#checkedFailed;
    if (key !== CHECKED_FILE) this.#failed.add(key); else this.#checkedFailed = true;
    this.#lastError = `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}`;
    if (first) this.#since = new Date(this.#clock.now()).toISOString();
    this.#o.onWriteFailed?.(err, key, first);
    // A periodic retry, so a freed disk is noticed even when no object changes.
    this.#retryTimer ??= this.#clock.setTimer(() => { this.#retryTimer = undefined; this.#retryFailed(); }, this.#o.retryMs ?? 10_000);
  }

  #retryFailed(): void {
    for (const key of [...this.#failed]) if (!this.#writeOne(key)) break;
    if (this.#checkedFailed && this.#failed.size === 0) this.#writeChecked();
    this.#settle();
  }

  #settle(): void {
    if (this.#failed.size > 0 || this.#checkedFailed || this.#lastError === undefined) return;
    this.#lastError = undefined;
    this.#since = undefined;
    this.#retryTimer?.();
    this.#retryTimer = undefined;
    this.#o.onWriteRecovered?.();
  }

  #markChecked(): void {
    this.#checkedDirty = true;
    this.#checkedTimer ??= this.#clock.setTimer(() => { this.#checkedTimer = undefined; this.#writeChecked(); this.#settle(); }, this.#o.checkedFlushMs ?? 60_000);
  }

  /** #writeChecked writes every object's last-reconcile time in one file. */
  #writeChecked(): void {
    if (!this.#checkedDirty && !this.#checkedFailed) return;
    const times: Record<string, string> = {};
    for (const [key, st] of this.#states) if (st.status.lastReconcileTime) times[key] = st.status.lastReconcileTime;
    try {
      (this.#o.writer ?? defaultWriter)(join(this.#root, CHECKED_FILE), JSON.stringify(times));
    } catch (err) {
      this.#fail(err as Error, CHECKED_FILE);
      return;
    }
    this.#checkedDirty = false;
    this.#checkedFailed = false;
  }
}

/** fingerprint hashes what a reader of the object's file needs: everything but the last-checked time. */
function fingerprint(st: ObjectState): string {
  const copy = { ...st, status: { ...st.status, lastReconcileTime: undefined } };
  return createHash('sha256').update(JSON.stringify(copy)).digest('base64');
}

/** readAllStates reads the state directory without a daemon, as the CLI does. */
export function readAllStates(objectsDir: string, errors: string[] = []): ObjectState[] {
  const out: ObjectState[] = [];
  if (!existsSync(objectsDir)) return out;
  const checked = readChecked(join(objectsDir, '..', CHECKED_FILE));
  for (const kind of readdirSync(objectsDir)) {
    const kdir = join(objectsDir, kind);
    let files: string[];
    try { files = readdirSync(kdir); } catch { continue; }
    for (const f of files) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      try {
        const st = JSON.parse(readFileSync(join(kdir, f), 'utf8')) as ObjectState;
        // The batched time is newer whenever a resync changed nothing else (ISO strings order like times).
        const t = checked[st.key];
        if (t && st.status && (!st.status.lastReconcileTime || t > st.status.lastReconcileTime)) st.status.lastReconcileTime = t;
        out.push(st);
      } catch (err) {
        errors.push(`${join(kdir, f)}: ${(err as Error).message}`);
      }
    }
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

function readChecked(file: string): Record<string, string> {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    // Missing or torn: object files still hold a (possibly older) time.
    return {};
  }
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
