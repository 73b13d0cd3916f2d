// Last good objects across a restart: a file broken while the daemon was down keeps its objects; only real removals count.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DesiredStore } from '../../src/source/desired-store.js';
import { LastGoodStore } from '../../src/store/last-good.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'livchat-lastgood-'));
  temps.push(d);
  return d;
};
const record = (name: string, content: string): string =>
  `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: ${name}\nspec:\n  zone: example.com\n  name: ${name}\n  type: TXT\n  content: "${content}"\n`;
const write = (dir: string, rel: string, text: string): string => {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
};

/** twenty writes r0..r19, one per file, loads them with a persisted last-good store, and returns a restart function. */
function twenty() {
  const dir = tempDir();
  const state = tempDir();
  for (let i = 0; i < 20; i++) write(dir, `r${i}.yaml`, record(`r${i}`, `v${i}`));
  const first = new DesiredStore(dir, { cwd: dir, git: false, lastGood: new LastGoodStore(state) });
  expect(first.loadAll().objects).toBe(20);
  const restart = () => {
    const store = new DesiredStore(dir, { cwd: dir, git: false, lastGood: new LastGoodStore(state) });
    return { store, report: store.loadAll() };
  };
  return { dir, state, restart };
}

const all = Array.from({ length: 20 }, (_, i) => `DNSRecord/r${i}`).sort();

describe('last good objects persist across a restart', () => {
  it('a syntax error in 4 of 20 files keeps their objects in force after a restart', () => {
    const { dir, restart } = twenty();
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, `r${i}.yaml`), 'apiVersion: [unclosed\n');
    const { store, report } = restart();
    expect(report.removed).toEqual([]);
    expect(store.keys()).toEqual(all);
    expect((store.get('DNSRecord/r0')!.object.spec as { content: string }).content).toBe('v0');
    expect(report.problems.filter((p) => p.message.startsWith('invalid YAML')).map((p) => p.file).sort()).toEqual(['r0.yaml', 'r1.yaml', 'r2.yaml', 'r3.yaml']);
  });

  it('a duplicate name introduced while down keeps the version in force; neither copy replaces it', () => {
    const { dir, restart } = twenty();
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, `r${i}.yaml`), record(`r${i + 10}`, 'intruder'));
    const { store, report } = restart();
    // r0..r3 were renamed away (their documents really left files that load); r10..r13 are now defined twice.
    expect(report.removed).toEqual(['DNSRecord/r0', 'DNSRecord/r1', 'DNSRecord/r2', 'DNSRecord/r3']);
    expect((store.get('DNSRecord/r10')!.object.spec as { content: string }).content).toBe('v10');
    expect(report.problems.filter((p) => p.message.includes('defined more than once'))).toHaveLength(8);
  });

  it('an unreadable file (replaced by a FIFO, or mode 000 for non-root) keeps its objects after a restart', () => {
    const { dir, restart } = twenty();
    for (let i = 0; i < 2; i++) {
      rmSync(join(dir, `r${i}.yaml`));
      execFileSync('mkfifo', [join(dir, `r${i}.yaml`)]);
    }
    const unreadable = [join(dir, 'r2.yaml'), join(dir, 'r3.yaml')];
    for (const f of unreadable) chmodSync(f, 0o000);
    const { store, report } = restart();
    expect(report.removed).toEqual([]);
    expect(store.keys()).toEqual(all);
    expect(report.problems.filter((p) => p.message.includes('FIFO')).map((p) => `${p.file}:${p.line}:${p.col}`)).toEqual(['r0.yaml:1:1', 'r1.yaml:1:1']);
  });

  it('an oversized file keeps its objects after a restart', () => {
    const { dir, state, restart } = twenty();
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, `r${i}.yaml`), `${record(`r${i}`, 'big')}# ${'x'.repeat(1024 * 1024)}\n`);
    const { store, report } = restart();
    expect(report.removed).toEqual([]);
    expect(store.keys()).toEqual(all);
    expect(report.problems.filter((p) => /over the 1048576-byte limit/.test(p.message))).toHaveLength(4);
    expect(readdirSync(join(state, 'last-good')).filter((n) => n.endsWith('.json'))).toHaveLength(20);
  });

  it('a file really gone, or a document really removed from a file that loads, is a removal after a restart', () => {
    const { dir, restart } = twenty();
    rmSync(join(dir, 'r0.yaml'));
    writeFileSync(join(dir, 'r1.yaml'), '# emptied on purpose\n');
    const { store, report } = restart();
    expect(report.removed).toEqual(['DNSRecord/r0', 'DNSRecord/r1']);
    expect(store.size).toBe(18);
    // The removal is persisted too: a second restart does not bring them back.
    expect(restart().store.size).toBe(18);
  });

  it('without a persisted store a fresh process knows nothing, which is what the engine hold is for', () => {
    const dir = tempDir();
    write(dir, 'a.yaml', 'apiVersion: [unclosed\n');
    const store = new DesiredStore(dir, { cwd: dir, git: false });
    expect(store.loadAll().objects).toBe(0);
  });
});
