// Recursive, synchronous listing of the desired files under a directory, following the ignore rules.
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isIgnoredName, isYamlName } from './ignore.js';

/** ScanResult lists desired files (absolute, sorted) and the subdirectories that could not be read. */
export interface ScanResult {
  files: string[];
  unreadableDirs: Array<{ dir: string; error: string }>;
}

/**
 * scanDesired walks root for *.yaml/*.yml files. It throws when root itself cannot be read; unreadable subdirectories
 * are reported instead, so callers can keep what they had there. Symlinked files are followed, symlinked directories
 * are not (that rules out cycles).
 */
export function scanDesired(root: string): ScanResult {
  const result: ScanResult = { files: [], unreadableDirs: [] };
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
      if (e.isDirectory()) walk(path, false);
      else if (isYamlName(e.name) && (e.isFile() || (e.isSymbolicLink() && isFile(path)))) result.files.push(path);
    }
  };
  walk(root, true);
  result.files.sort();
  return result;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
