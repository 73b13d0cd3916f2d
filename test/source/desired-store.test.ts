// DesiredStore: last good versions, duplicates, never deleting on doubt, exact change reports, and speed.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/engine/types.js';
import { DesiredStore } from '../../src/source/desired-store.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'livchat-store-'));
  temps.push(dir);
  return dir;
}

/** record renders a TXT DNSRecord; content tells versions apart. */
const record = (name: string, content: string, extraMeta = ''): string =>
  `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: ${name}\n${extraMeta}spec:\n  zone: example.com\n  name: ${name}\n  type: TXT\n  content: "${content}"\n`;

function write(dir: string, rel: string, text: string): string {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const contentOf = (store: DesiredStore, key: string): unknown => (store.get(key)?.object.spec as { content?: string } | undefined)?.content;
const changes = (r: { added: string[]; updated: string[]; removed: string[] }) => ({ added: r.added, updated: r.updated, removed: r.removed });

describe('DesiredStore', () => {
  it('loads a directory and answers get and list', () => {
    const dir = tempDir();
    write(dir, 'a.yaml', `${record('a', 'v1')}---\n${record('b', 'v1')}`);
    write(dir, 'apps/n8n.yaml', 'apiVersion: livchat.ai/v1alpha1\nkind: AppDeployment\nmetadata: {name: n8n}\nspec: {server: prod, app: n8n}\n');
    const store = new DesiredStore(dir, { cwd: dir });
    const report = store.loadAll();
    expect(report).toMatchObject({ applied: true, added: ['AppDeployment/n8n', 'DNSRecord/a', 'DNSRecord/b'], updated: [], removed: [], objects: 3, files: 2, revision: undefined });
    expect(report.problems).toEqual([]);
    expect(store.list('DNSRecord').map((o) => o.key)).toEqual(['DNSRecord/a', 'DNSRecord/b']);
    expect(store.list().map((o) => o.key)).toEqual(['AppDeployment/n8n', 'DNSRecord/a', 'DNSRecord/b']);
    expect(store.get('DNSRecord/b')?.source).toEqual({ file: 'a.yaml', line: 12, col: 1 });
    expect(store.get('DNSRecord/zzz')).toBeUndefined();
  });

  it('keeps the last good version of a malformed file in force and reports the problem', () => {
    const dir = tempDir();
    const file = write(dir, 'a.yaml', `${record('a', 'v1')}---\n${record('b', 'v1')}`);
    const store = new DesiredStore(dir, { cwd: dir });
    store.loadAll();
    writeFileSync(file, `${record('a', 'v2')}  ttl: [oops\n`);
    const broken = store.reload([file]);
    expect(changes(broken)).toEqual({ added: [], updated: [], removed: [] });
    expect(contentOf(store, 'DNSRecord/a')).toBe('v1');
    expect(contentOf(store, 'DNSRecord/b')).toBe('v1');
    expect(broken.problems).toHaveLength(1);
    expect(broken.problems[0]!.file).toBe('a.yaml');
    expect(broken.problems[0]!.message).toMatch(/^invalid YAML: /);

    // The full rescan agrees, and fixing the file applies it and clears the problem.
    expect(changes(store.loadAll())).toEqual({ added: [], updated: [], removed: [] });
    writeFileSync(file, record('a', 'v2'));
    const fixed = store.reload([file]);
    expect(changes(fixed)).toEqual({ added: [], updated: ['DNSRecord/a'], removed: ['DNSRecord/b'] });
    expect(fixed.problems).toEqual([]);
  });

  it('in a multi-document file, keeps the last good version of the invalid object and applies the valid ones', () => {
    const dir = tempDir();
    const file = write(dir, 'a.yaml', `${record('a', 'v1')}---\n${record('b', 'v1')}---\n${record('c', 'v1')}`);
    const store = new DesiredStore(dir, { cwd: dir });
    store.loadAll();
    // a changes validly, b becomes invalid, c disappears from the file.
    writeFileSync(file, `${record('a', 'v2')}---\n${record('b', 'v2')}  ttl: 5\n`);
    const report = store.reload([file]);
    expect(changes(report)).toEqual({ added: [], updated: ['DNSRecord/a'], removed: ['DNSRecord/c'] });
    expect(contentOf(store, 'DNSRecord/a')).toBe('v2');
    expect(contentOf(store, 'DNSRecord/b')).toBe('v1');
    expect(report.problems.map(formatProblem)).toEqual(['a.yaml:20:3: DNSRecord/b: spec.ttl: must be an integer from 60 to 86400 or "auto" (got 5)']);
  });

  it('keeps the last good objects of a file when a document no longer says which object it is', () => {
    const dir = tempDir();
    const file = write(dir, 'a.yaml', `${record('a', 'v1')}---\n${record('b', 'v1')}`);
    const store = new DesiredStore(dir, { cwd: dir });
    store.loadAll();
    // b's name becomes invalid: it might be b or a new object, so nothing from this file is dropped.
    writeFileSync(file, `${record('a', 'v2')}---\n${record('B_b', 'v2')}`);
    const report = store.reload([file]);
    expect(changes(report)).toEqual({ added: [], updated: ['DNSRecord/a'], removed: [] });
    expect(contentOf(store, 'DNSRecord/b')).toBe('v1');
    expect(report.problems.map((p) => `${p.line}:${p.col} ${p.kind}/${p.name}`)).toEqual(['14:3 DNSRecord/B_b', '17:3 DNSRecord/B_b']);
  });

  it('applies neither copy of a duplicate: the version already in force stays, at both places a problem', () => {
    const dir = tempDir();
    write(dir, 'a.yaml', record('www', 'from-a'));
    const store = new DesiredStore(dir, { cwd: dir });
    store.loadAll();
    const b = write(dir, 'b.yaml', record('www', 'from-b'));
    const dup = store.reload([b]);
    expect(changes(dup)).toEqual({ added: [], updated: [], removed: [] });
    expect(contentOf(store, 'DNSRecord/www')).toBe('from-a');
    expect(dup.problems.map(formatProblem)).toEqual([
      'a.yaml:2:1: DNSRecord/www: defined more than once (also at b.yaml:2:1); neither copy is applied; the version already in force stays',
      'b.yaml:2:1: DNSRecord/www: defined more than once (also at a.yaml:2:1); neither copy is applied; the version already in force stays',
    ]);
    // Removing one copy resolves the conflict in favour of the other.
    rmSync(join(dir, 'a.yaml'));
    const resolved = store.reload([join(dir, 'a.yaml')]);
    expect(changes(resolved)).toEqual({ added: [], updated: ['DNSRecord/www'], removed: [] });
    expect(contentOf(store, 'DNSRecord/www')).toBe('from-b');
    expect(resolved.problems).toEqual([]);
  });

  it('applies neither copy of a duplicate that was never in force', () => {
    const dir = tempDir();
    write(dir, 'a.yaml', `${record('keep', 'x')}---\n${record('www', 'one')}---\n${record('www', 'two')}`);
    const store = new DesiredStore(dir, { cwd: dir });
    const report = store.loadAll();
    expect(report.added).toEqual(['DNSRecord/keep']);
    expect(store.get('DNSRecord/www')).toBeUndefined();
    expect(report.problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
      '12:1 defined more than once (also at a.yaml:22:1); neither copy is applied',
      '22:1 defined more than once (also at a.yaml:12:1); neither copy is applied',
    ]);
  });

  it('reports an emptied directory as it is: the engine, not the store, holds those deletions for a confirmation', () => {
    const dir = tempDir();
    const a = write(dir, 'a.yaml', record('a', 'v1'));
    const b = write(dir, 'sub/b.yaml', record('b', 'v1'));
    const store = new DesiredStore(dir, { cwd: dir });
    store.loadAll();
    rmSync(a);
    rmSync(join(dir, 'sub'), { recursive: true });
    const report = store.reload([a, b]);
    expect(report.applied).toBe(true);
    expect(changes(report)).toEqual({ added: [], updated: [], removed: ['DNSRecord/a', 'DNSRecord/b'] });
    expect(store.keys()).toEqual([]);
    expect(changes(store.loadAll())).toEqual({ added: [], updated: [], removed: [] });
  });

  it('never removes anything when the directory is missing or unreadable', () => {
    const parent = tempDir();
    const dir = join(parent, 'desired');
    const a = write(dir, 'a.yaml', record('a', 'v1'));
    const store = new DesiredStore(dir, { cwd: parent });
    store.loadAll();
    rmSync(dir, { recursive: true });
    const viaLoad = store.loadAll();
    expect(viaLoad.applied).toBe(false);
    expect(viaLoad.problems.map(formatProblem)[0]).toMatch(/^desired:1:1: cannot read desired directory: ENOENT.*; nothing is removed$/);
    const viaReload = store.reload([a, dir]);
    expect(viaReload.applied).toBe(false);
    expect(viaReload.problems.map(formatProblem)).toEqual(['desired:1:1: desired directory is missing or not a directory; nothing is removed']);
    expect(store.keys()).toEqual(['DNSRecord/a']);
    // A missing directory from the start is a problem too, not a crash.
    const fresh = new DesiredStore(join(parent, 'never'), { cwd: parent });
    expect(fresh.loadAll()).toMatchObject({ applied: false, objects: 0 });
  });

  it('reports exactly the keys an incremental reload changed', () => {
    const dir = tempDir();
    const a = write(dir, 'a.yaml', record('a', 'v1'));
    const b = write(dir, 'b.yaml', record('b', 'v1'));
    const c = write(dir, 'c.yaml', `${record('c1', 'v1')}---\n${record('c2', 'v1')}`);
    const store = new DesiredStore(dir, { cwd: dir });
    store.loadAll();

    writeFileSync(a, record('a', 'v2'));
    expect(changes(store.reload([a]))).toEqual({ added: [], updated: ['DNSRecord/a'], removed: [] });

    // Same meaning, different text: comments, key order, explicit defaults.
    writeFileSync(b, `# comment\n${record('b', 'v1')}  ttl: auto\n  deletionPolicy: Delete\n`);
    expect(changes(store.reload([b]))).toEqual({ added: [], updated: [], removed: [] });

    // Metadata the engine cares about (annotations) is a change even though the spec is not.
    writeFileSync(b, record('b', 'v1', '  annotations: {livchat.ai/paused: "true"}\n'));
    const paused = store.reload([b]);
    expect(changes(paused)).toEqual({ added: [], updated: ['DNSRecord/b'], removed: [] });
    expect(store.get('DNSRecord/b')?.object.metadata.annotations).toEqual({ 'livchat.ai/paused': 'true' });

    const d = write(dir, 'new/d.yaml', record('d', 'v1'));
    rmSync(c);
    expect(changes(store.reload([c, d]))).toEqual({ added: ['DNSRecord/d'], updated: [], removed: ['DNSRecord/c1', 'DNSRecord/c2'] });

    // A rename moves the object without changing it.
    const moved = join(dir, 'moved.yaml');
    renameSync(a, moved);
    expect(changes(store.reload([a, moved]))).toEqual({ added: [], updated: [], removed: [] });
    expect(store.get('DNSRecord/a')?.source?.file).toBe('moved.yaml');

    // A removed directory removes what was below it; ignored and outside paths do nothing.
    rmSync(join(dir, 'new'), { recursive: true });
    write(dir, '.hidden.yaml', record('hidden', 'v1'));
    const outside = write(tempDir(), 'x.yaml', record('x', 'v1'));
    expect(changes(store.reload([join(dir, 'new'), join(dir, '.hidden.yaml'), outside]))).toEqual({ added: [], updated: [], removed: ['DNSRecord/d'] });
    expect(store.keys()).toEqual(['DNSRecord/a', 'DNSRecord/b']);

    // A new directory is scanned; paths may be relative to the store's directory.
    write(dir, 'team/e.yaml', record('e', 'v1'));
    expect(changes(store.reload(['team']))).toEqual({ added: ['DNSRecord/e'], updated: [], removed: [] });
  });

  it('loads 1,000 objects in 100 files, and a rescan of unchanged files reports nothing (speed is measured by npm run bench:core)', () => {
    const dir = tempDir();
    for (let f = 0; f < 100; f++) {
      const text = Array.from({ length: 10 }, (_, i) => record(`r-${f}-${i}`, `value ${f} ${i}`)).join('---\n');
      write(dir, `zone-${f % 10}/file-${f}.yaml`, text);
    }
    const store = new DesiredStore(dir, { cwd: dir });
    const report = store.loadAll();
    expect(report.problems).toEqual([]);
    expect(report.objects).toBe(1_000);
    expect(report.added).toHaveLength(1_000);
    expect(changes(store.loadAll())).toEqual({ added: [], updated: [], removed: [] });
  });
});
