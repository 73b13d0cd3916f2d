// Reads the HEAD commit of the git checkout holding a directory, straight from .git files (no git process).
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const MAX_SYMREF_DEPTH = 10;

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** findGitDir walks up from dir to the nearest .git; a .git file ("gitdir: <path>", worktrees and submodules) is followed. */
export function findGitDir(dir: string): string | undefined {
  for (let p = resolve(dir); ; p = dirname(p)) {
    const candidate = join(p, '.git');
    try {
      const st = statSync(candidate);
      if (st.isDirectory()) return candidate;
      if (st.isFile()) {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readText(candidate) ?? '');
        if (m) return resolve(p, m[1]!);
      }
    } catch {
      // No .git here; keep walking up.
    }
    if (dirname(p) === p) return undefined;
  }
}

/** packedRef looks a ref up in packed-refs, skipping comments and peeled-tag lines. */
function packedRef(commonDir: string, ref: string): string | undefined {
  for (const line of (readText(join(commonDir, 'packed-refs')) ?? '').split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const i = line.indexOf(' ');
    if (i > 0 && line.slice(i + 1).trim() === ref) return line.slice(0, i);
  }
  return undefined;
}

/** resolveRef follows symbolic refs; per-worktree refs (HEAD) live in gitDir, shared ones in commonDir or packed-refs. */
function resolveRef(gitDir: string, commonDir: string, ref: string, depth: number): string | undefined {
  if (depth > MAX_SYMREF_DEPTH || ref.includes('..')) return undefined;
  const text = (readText(join(gitDir, ref)) ?? readText(join(commonDir, ref)))?.trim() ?? packedRef(commonDir, ref);
  if (text === undefined) return undefined;
  if (text.startsWith('ref:')) return resolveRef(gitDir, commonDir, text.slice(4).trim(), depth + 1);
  return SHA.test(text) ? text : undefined;
}

/** readGitRevision returns the commit SHA that HEAD points at, or undefined outside a checkout or on an unborn branch. */
export function readGitRevision(dir: string): string | undefined {
  try {
    const gitDir = findGitDir(dir);
    if (!gitDir) return undefined;
    const common = readText(join(gitDir, 'commondir'))?.trim();
    const commonDir = common ? resolve(gitDir, common) : gitDir;
    return resolveRef(gitDir, commonDir, 'HEAD', 0);
  } catch {
    return undefined;
  }
}
