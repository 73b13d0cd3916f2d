// Runtime configuration: the only module that reads the environment for paths and the installation name.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from './store/atomic.js';
import { ensureStateDir } from './store/status-store.js';

/** GlobalOptions are the CLI's global flags. */
export interface GlobalOptions {
  stateDir?: string;
  instance?: string;
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
  /** Allows --instance to replace a different stored installation name. */
  renameInstance?: boolean;
}

/** resolveStateDir applies --state-dir, LIVCHAT_STATE_DIR, systemd's STATE_DIRECTORY, then ~/.livchat. */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  if (env.LIVCHAT_STATE_DIR) return resolve(env.LIVCHAT_STATE_DIR);
  // systemd's StateDirectory=livchat sets STATE_DIRECTORY=/var/lib/livchat.
  if (env.STATE_DIRECTORY) return resolve(env.STATE_DIRECTORY.split(':')[0]!);
  return join(env.HOME || homedir(), '.livchat');
}

const INSTANCE_RE = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** validInstance tells whether a name can mark external resources (labels and DNS comments accept it). */
export const validInstance = (name: string): boolean => INSTANCE_RE.test(name);

/**
 * resolveInstance returns the installation name: --instance (remembered), else the stored one, else a new one.
 * A --instance different from the stored name is refused unless `rename` is set: every external resource carries the
 * name, so a silent change would orphan them all (and a typo would start a second installation).
 */
export function resolveInstance(stateDir: string, flag: string | undefined, opts: { rename?: boolean } = {}): string {
  const file = join(stateDir, 'instance');
  if (flag !== undefined) {
    if (!INSTANCE_RE.test(flag)) throw new Error(`invalid --instance ${JSON.stringify(flag)}: use 1-32 lowercase letters, digits and '-'`);
    ensureStateDir(stateDir);
    const stored = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
    if (stored === flag) return flag;
    if (stored !== undefined && stored !== '' && !opts.rename) {
      throw new Error(`--instance ${flag} differs from the installation name ${JSON.stringify(stored)} stored in ${file}: resources marked with ${JSON.stringify(stored)} would no longer be recognised. Drop --instance, or pass --rename-instance to rename on purpose`);
    }
    writeFileAtomic(file, `${flag}\n`, 0o644);
    return flag;
  }
  if (existsSync(file)) {
    const v = readFileSync(file, 'utf8').trim();
    if (INSTANCE_RE.test(v)) return v;
    throw new Error(`${file} holds an invalid installation name; fix it or pass --instance`);
  }
  ensureStateDir(stateDir);
  const name = `lc-${randomBytes(4).toString('hex')}`;
  writeFileAtomic(file, `${name}\n`, 0o644);
  return name;
}

/** readInstance returns the stored installation name without creating one. */
export function readInstance(stateDir: string): string | undefined {
  const file = join(stateDir, 'instance');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}
