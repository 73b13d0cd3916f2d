// The engine is the innermost layer: its files import nothing from the store, simulators, CLI, daemon, providers, crd or controllers.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ENGINE = join(ROOT, 'src/engine');
const FORBIDDEN = ['src/store', 'src/sim', 'src/cli', 'src/daemon', 'src/providers', 'src/crd', 'controllers'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** importsOf lists the resolved, root-relative targets of a file's relative imports and re-exports. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) out.push(relative(ROOT, resolve(file, '..', m[1]!)));
  return out;
}

describe('engine imports', () => {
  it('src/engine imports nothing from store, sim, cli, daemon, providers, crd or controllers', () => {
    const offending: string[] = [];
    for (const f of files(ENGINE)) {
      for (const target of importsOf(f)) {
        if (FORBIDDEN.some((p) => target === p || target.startsWith(`${p}/`))) offending.push(`${relative(ROOT, f)} -> ${target}`);
      }
    }
    expect(files(ENGINE).length).toBeGreaterThan(5);
    expect(offending).toEqual([]);
  });
});
