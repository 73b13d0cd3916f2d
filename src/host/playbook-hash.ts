// Stable content hash of the Ansible tree, recorded on a Server so a playbook change can trigger a re-run.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Files that never affect a run (editor and retry leftovers) are skipped so they cannot cause spurious re-runs. */
function ignored(name: string): boolean {
  return name.endsWith('.retry') || name.endsWith('~') || name.endsWith('.swp') || name === '.DS_Store' || name === '__pycache__';
}

async function listFiles(root: string, dir: string, out: string[]): Promise<void> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (ignored(ent.name)) continue;
    const abs = join(dir, ent.name);
    if (ent.isDirectory()) await listFiles(root, abs, out);
    else if (ent.isFile() || ent.isSymbolicLink()) out.push(relative(root, abs).split(sep).join('/'));
  }
}

/** hashPlaybooks returns `sha256:<hex>` over every file's relative path and contents, in sorted path order. */
export async function hashPlaybooks(dir: string): Promise<string> {
  const files: string[] = [];
  await listFiles(dir, dir, files);
  files.sort();
  const h = createHash('sha256');
  for (const rel of files) {
    const body = await readFile(join(dir, rel));
    // Length-prefix both fields so no path/content split can collide with another.
    h.update(`${Buffer.byteLength(rel)}:${rel}\n${body.length}:`);
    h.update(body);
    h.update('\n');
  }
  return `sha256:${h.digest('hex')}`;
}

/** CachedHash hashes a playbook tree once and again only after invalidate(). */
export interface CachedHash {
  get(): Promise<string>;
  invalidate(): void;
}

/** cachedPlaybookHash memoises hashPlaybooks(dir); a failed hash is not cached, and invalidate() makes the next get() re-read. */
export function cachedPlaybookHash(dir: string, hash: (dir: string) => Promise<string> = hashPlaybooks): CachedHash {
  let current: Promise<string> | undefined;
  return {
    get() {
      if (!current) {
        const p = hash(dir);
        current = p;
        p.catch(() => { if (current === p) current = undefined; });
      }
      return current;
    },
    invalidate() { current = undefined; },
  };
}
