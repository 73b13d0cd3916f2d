// Recursive, synchronous listing of the desired files under a directory, following the ignore rules and no symlinks.
import { readdirSync, readlinkSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isIgnoredName, isInside, isYamlName } from './ignore.js';

/** ScanResult lists desired files (absolute, sorted), the subdirectories that could not be read, and skipped links. */
export interface ScanResult {
  /** YAML-named entries that are not directories: regular files, and FIFOs, sockets or devices the reader refuses. */
  files: string[];
  unreadableDirs: Array<{ dir: string; error: string }>;
  /** Symbolic links, never followed; each is reported so that nothing is silently ignored. */
  links: Array<{ path: string; message: string }>;
}

/** describeLink says where a symbolic link points, for the problem that reports it. */
export function describeLink(root: string, path: string): string {
  let target = '?';
  try { target = readlinkSync(path); } catch { /* unreadable link: described below */ }
  let where: string;
  try {
    const real = realpathSync(path);
    const dir = statSync(real).isDirectory();
    where = `${dir ? 'a directory' : 'a file'} ${isInside(realpathSync(root), real) ? 'inside' : 'outside'} the desired directory`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    where = code === 'ELOOP' ? 'a link loop' : code === 'ENOENT' ? 'nothing (dangling)' : `an unreadable target (${code ?? 'error'})`;
  }
  return `is a symbolic link to ${JSON.stringify(target)} (${where}); symbolic links are not followed, so it is skipped`;
}

/**
 * scanDesired walks root for *.yaml/*.yml entries. It throws when root itself cannot be read; unreadable
 * subdirectories are reported instead, so callers can keep what they had there. No symlink is followed (a link's
 * target could change unseen, point outside desired/ or loop); every link below root is listed in `links`.
 */
export function scanDesired(root: string): ScanResult {
  const result: ScanResult = { files: [], unreadableDirs: [], links: [] };
  const walk = (dir: string, isRoot: boolean): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (isRoot) throw err;
      result.unreadableDirs.push({ dir, error: (err as Error).message });
      return;
    }
    for (const e of entries) {
      if (isIgnoredName(e.name)) continue;
      const path = join(dir, e.name);
      if (e.isSymbolicLink()) result.links.push({ path, message: describeLink(root, path) });
      else if (e.isDirectory()) walk(path, false);
      else if (isYamlName(e.name)) result.files.push(path);
    }
  };
  walk(root, true);
  result.files.sort();
  result.links.sort((a, b) => (a.path < b.path ? -1 : 1));
  return result;
}
