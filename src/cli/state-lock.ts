// Wraps a command that acts on the state dir (run, apply) so it holds the state dir's lock for its whole run.
import { existsSync, rmdirSync } from 'node:fs';
import type { CommandFn } from './types.js';
import { CliError, EXIT } from './io.js';
import { resolveStateDir } from '../config.js';
import { ensureStateDir } from '../store/status-store.js';
import { acquireStateLock, StateLockedError } from '../daemon/lock.js';

/** withStateLock refuses to start (exit 1, naming the holder's PID) while another process holds the lock. */
export function withStateLock(command: string, fn: CommandFn): CommandFn {
  return async (io, g, args, opts) => {
    const stateDir = resolveStateDir(g.stateDir, io.env);
    const created = !existsSync(stateDir);
    ensureStateDir(stateDir);
    let lock;
    try {
      lock = acquireStateLock(stateDir, command);
    } catch (err) {
      if (err instanceof StateLockedError) throw new CliError(err.message, EXIT.error);
      throw err;
    }
    try {
      return await fn(io, g, args, opts);
    } catch (err) {
      // A usage error creates no state: remove the directory made just for the lock (rmdir only removes it empty).
      if (created && err instanceof CliError && err.exitCode === EXIT.usage) { lock.release(); try { rmdirSync(stateDir); } catch { /* not empty */ } }
      throw err;
    } finally {
      lock.release();
    }
  };
}
