// Locations inside the installed package (crds/, ansible/), found from this file whether it runs from src/ or dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** packageRoot is the directory holding this project's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'livchat-setup') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the livchat-setup package root');
    dir = up;
  }
}

/** ansibleDir holds the host playbooks. */
export const ansibleDir = (): string => join(packageRoot(), 'ansible');
