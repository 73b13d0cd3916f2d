// Incremental reloads: re-indexing one file gives exactly what a full load gives; problems are reported when they change.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/engine/types.js';
import { DesiredStore } from '../../src/source/desired-store.js';
import { problemLogEntries } from '../../src/source/problem-log.js';
import { mulberry32 } from '../helpers/random.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'livchat-incr-'));
  temps.push(d);
  return d;
};
const record = (name: string, content: string): string =>
  `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: ${name}\nspec:\n  zone: example.com\n  name: ${name}\n  type: TXT\n  content: "${content}"\n`;

/** view is what a load puts in force and reports, without the duplicate wording that depends on history. */
function view(store: DesiredStore) {
  const dupKeys = new Set(store.problems().filter((p) => p.message.includes('defined more than once')).map((p) => `${p.kind}/${p.name}`));
  return {
    objects: store.list().filter((o) => !dupKeys.has(o.key)).map((o) => `${o.key}=${(o.object.spec as { content: string }).content}@${o.source?.file}`),
    problems: store.problems().map((p) => formatProblem(p).replace(/; neither copy is applied.*$/, '')),
  };
}

describe('incremental reload', () => {
  it('after 300 random single-file edits (duplicates, removals, broken files) matches a full load', () => {
    const dir = tempDir();
    const rnd = mulberry32(42);
    const files = Array.from({ length: 30 }, (_, i) => join(dir, `f${i}.yaml`));
    for (const [i, f] of files.entries()) writeFileSync(f, record(`r${i}`, 'v0'));
    const store = new DesiredStore(dir, { cwd: dir, git: false });
    store.loadAll();
    for (let step = 0; step < 300; step++) {
      const f = files[Math.floor(rnd() * files.length)]!;
      const roll = rnd();
      const name = `r${Math.floor(rnd() * 40)}`;
      if (roll < 0.15) rmSync(f, { force: true });
      else if (roll < 0.25) writeFileSync(f, 'apiVersion: [broken\n');
      else if (roll < 0.6) writeFileSync(f, record(name, `v${step}`));
      else writeFileSync(f, `${record(name, `v${step}`)}---\n${record(`r${Math.floor(rnd() * 40)}`, `w${step}`)}`);
      store.reload([f]);
      // A fresh store knows no history: compare after every file was rewritten valid, so history cannot matter.
      if (step % 25 === 24) {
        for (const g of files) writeFileSync(g, record(`r${Math.floor(rnd() * 40)}`, `s${step}`));
        store.reload(files);
        const fresh = new DesiredStore(dir, { cwd: dir, git: false });
        fresh.loadAll();
        expect(view(store)).toEqual(view(fresh));
      }
    }
  });

  it('reports a file\'s problems when they change, not when another file changes; the log is capped per file', () => {
    const dir = tempDir();
    const bad = Array.from({ length: 500 }, (_, i) => `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata: {name: bad-${i}}\nspec: {zone: example.com}\n`).join('---\n');
    writeFileSync(join(dir, 'bad.yaml'), bad);
    const good = join(dir, 'good.yaml');
    writeFileSync(good, record('g', 'v1'));
    const store = new DesiredStore(dir, { cwd: dir, git: false });
    const first = store.loadAll();
    expect(first.problemChanges.map((c) => c.file)).toEqual(['bad.yaml']);
    const total = first.problemChanges[0]!.problems.length;
    expect(total).toBeGreaterThanOrEqual(500);
    const [entry] = problemLogEntries(first.problemChanges);
    expect(entry).toMatchObject({ file: 'bad.yaml', count: total, omitted: total - 20 });
    expect(entry!.problems).toHaveLength(20);
    // Editing another file, or rescanning, reports no problem change at all.
    writeFileSync(good, record('g', 'v2'));
    expect(store.reload([good]).problemChanges).toEqual([]);
    expect(store.loadAll().problemChanges).toEqual([]);
    // Fixing the file reports it once, with no problems left.
    writeFileSync(join(dir, 'bad.yaml'), record('b', 'v1'));
    expect(store.reload([join(dir, 'bad.yaml')]).problemChanges).toEqual([{ file: 'bad.yaml', problems: [] }]);
    expect(problemLogEntries([{ file: 'bad.yaml', problems: [] }])).toEqual([{ file: 'bad.yaml', count: 0, problems: [], omitted: 0 }]);
  });
});
