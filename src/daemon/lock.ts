// The state directory lock: one `run` or `apply` per state dir; a lock left by a killed process is detected as stale.
import { closeSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createFileExclusive } from '../store/atomic.js';

/** LockHolder is what the lock file says about the process holding it. */
export interface LockHolder {
  pid: number;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused PID apart. */
  start?: string;
  host: string;
  command: string;
  since: string;
}

/** StateLockedError names the live process holding the lock. */
export class StateLockedError extends Error {
  override readonly name = 'StateLockedError';
  constructor(readonly dir: string, readonly holder: LockHolder) {
    super(`state directory ${dir} is in use by \`livchat ${holder.command}\` (PID ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}, since ${holder.since}); stop it first or use another --state-dir`);
  }
}

export interface StateLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** release removes the lock if it is still ours. */
  release(): void;
}

/** LOCK_FILE is the lock's name inside the state directory. */
export const LOCK_FILE = 'lock';
const BREAK_STALE_MS = 10_000;

/** procStat reads a process's state letter and start time from /proc, or undefined where there is no /proc or no such process. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, start: f[19]! };
  } catch {
    return undefined;
  }
}

/** processStart reads a process's start time from /proc, or undefined where there is no /proc or no such process. */
export function processStart(pid: number): string | undefined {
  return procStat(pid)?.start;
}

/** holderAlive tells whether the process named in a lock still runs (a reused PID with another start time does not count). */
export function holderAlive(h: LockHolder): boolean {
  // A PID on another host (a shared filesystem) cannot be checked: assume it is alive rather than act twice.
  if (h.host !== hostname()) return true;
  if (!Number.isInteger(h.pid) || h.pid <= 0) return false;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(h.pid);
  // A killed process nobody has reaped yet (a zombie) still answers kill(0), but holds nothing.
  if (st && (st.state === 'Z' || st.state === 'X')) return false;
  return h.start === undefined || st === undefined || st.start === h.start;
}

/** acquireStateLock takes the state dir's lock for `command`, breaking a stale one; throws StateLockedError if it is held. */
export function acquireStateLock(stateDir: string, command: string, now: () => number = Date.now): StateLock {
  const path = join(stateDir, LOCK_FILE);
  const start = processStart(process.pid);
  const holder: LockHolder = { pid: process.pid, ...(start ? { start } : {}), host: hostname(), command, since: new Date(now()).toISOString() };
  const mine = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createFileExclusive(path, mine)) {
      return { path, holder, release: () => { if (readRaw(path) === mine) tryUnlink(path); } };
    }
    const raw = readRaw(path);
    if (raw === undefined) continue;
    const cur = parseHolder(raw);
    if (cur && holderAlive(cur)) throw new StateLockedError(stateDir, cur);
    breakStale(path, raw, now);
  }
  throw new Error(`could not take the lock ${path}: it keeps changing; is another livchat starting right now?`);
}


/** breakStale removes a dead holder's lock under a short-lived break lock, so two starters never both remove a fresh one. */
function breakStale(path: string, staleRaw: string, now: () => number): void {
  const brk = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(brk, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A breaker killed mid-break leaves its file behind; it is only ever held for a few system calls.
    try { if (now() - statSync(brk).mtimeMs > BREAK_STALE_MS) tryUnlink(brk); } catch { /* gone meanwhile */ }
    return;
  }
  try {
    if (readRaw(path) === staleRaw) tryUnlink(path);
  } finally {
    closeSync(fd);
    tryUnlink(brk);
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return undefined;
    return { pid: h.pid, host: h.host, command: String(h.command ?? '?'), since: String(h.since ?? '?'), ...(typeof h.start === 'string' ? { start: h.start } : {}) };
  } catch {
    // Written whole by link(), so an unparsable lock was edited by hand or truncated by a crash of the filesystem.
    return undefined;
  }
}

function readRaw(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

function tryUnlink(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}
