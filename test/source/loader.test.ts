// YAML loader: multi-document files, ignore rules, hostile input (billion laughs, size, tags) and duplicates.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/engine/types.js';
import { isIgnoredName } from '../../src/source/ignore.js';
import { loadDesiredDirectory } from '../helpers/load-dir.js';
import { loadDesiredFile, parseDesiredText } from '../../src/source/yaml-loader.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/desired');
const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** tempTree writes files (path → content) under a fresh temp directory. */
function tempTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'livchat-loader-'));
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

const app = (name: string): string =>
  `apiVersion: livchat.ai/v1alpha1\nkind: AppDeployment\nmetadata:\n  name: ${name}\nspec:\n  server: prod\n  app: n8n\n`;

describe('loading files', () => {
  it('reads every object of a multi-document file and skips empty documents', () => {
    const load = loadDesiredFile(join(FIXTURES, 'multi/stack.yaml'), { cwd: ROOT })!;
    expect(load.problems).toEqual([]);
    expect(load.complete).toBe(true);
    expect(load.objects.map((o) => [o.key, o.source])).toEqual([
      ['Server/prod', { file: 'test/fixtures/desired/multi/stack.yaml', line: 4, col: 1 }],
      ['AppDeployment/n8n', { file: 'test/fixtures/desired/multi/stack.yaml', line: 18, col: 1 }],
      ['DNSRecord/www', { file: 'test/fixtures/desired/multi/stack.yaml', line: 32, col: 1 }],
    ]);
    expect(load.objects[1]!.object.spec).toEqual({ server: 'prod', app: 'n8n', env: { GENERIC_TIMEZONE: 'UTC', WORKERS: 2 }, deletionPolicy: 'Delete' });
    expect(load.objects[1]!.object.metadata).toEqual({ name: 'n8n', labels: { team: 'automation' } });
  });

  it('hashes only the spec, as canonical JSON with sorted keys', () => {
    const a = parseDesiredText(`${app('a')}  version: "1"\n`, '/x/a.yaml').objects[0]!;
    const b = parseDesiredText(
      'kind: AppDeployment\napiVersion: livchat.ai/v1alpha1\nmetadata: {name: a, labels: {x: y}}\nspec: {version: "1", app: n8n, server: prod}\n',
      '/x/b.yaml',
    ).objects[0]!;
    const canonical = '{"app":"n8n","deletionPolicy":"Delete","server":"prod","version":"1"}';
    expect(a.specHash).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(b.specHash).toBe(a.specHash);
  });

  it('shows paths relative to the working directory when below it, absolute otherwise', () => {
    const file = join(FIXTURES, 'hostile/custom-tag.yaml');
    expect(loadDesiredFile(file, { cwd: ROOT })!.problems[0]!.file).toBe('test/fixtures/desired/hostile/custom-tag.yaml');
    expect(loadDesiredFile(file, { cwd: join(ROOT, 'src') })!.problems[0]!.file).toBe(file);
  });

  it('says missing for a file that does not exist', () => {
    expect(loadDesiredFile(join(FIXTURES, 'nope.yaml'))).toBeUndefined();
  });
});

describe('hostile input', () => {
  // How fast it stops is measured by npm run bench:core; here, that the alias limit stops it at all.
  it('stops a billion-laughs file at the alias limit', () => {
    const load = loadDesiredFile(join(FIXTURES, 'hostile/billion-laughs.yaml'), { cwd: ROOT })!;
    expect(load.objects).toEqual([]);
    expect(load.complete).toBe(false);
    expect(load.problems.map(formatProblem)).toEqual([
      'test/fixtures/desired/hostile/billion-laughs.yaml:2:1: invalid YAML: too many alias expansions (limit 100)',
    ]);
  });

  it('refuses a file over the size limit before parsing it', () => {
    const bigText = `${app('big')}# ${'x'.repeat(1024 * 1024)}\n`;
    const dir = tempTree({ 'big.yaml': bigText, 'small.yaml': app('small') });
    const big = loadDesiredFile(join(dir, 'big.yaml'), { cwd: dir })!;
    expect(big.problems.map(formatProblem)).toEqual([`big.yaml:1:1: file is ${bigText.length} bytes, over the 1048576-byte limit; not loaded`]);
    expect(big.objects).toEqual([]);
    expect(loadDesiredFile(join(dir, 'small.yaml'), { cwd: dir })!.objects).toHaveLength(1);
    const limited = loadDesiredFile(join(dir, 'small.yaml'), { cwd: dir, maxFileBytes: 50 })!;
    expect(limited.problems.map((p) => p.message)).toEqual([`file is ${app('small').length} bytes, over the 50-byte limit; not loaded`]);
  });

  it('rejects custom tags and YAML 1.1 tags instead of resolving them', () => {
    const load = loadDesiredFile(join(FIXTURES, 'hostile/custom-tag.yaml'), { cwd: ROOT })!;
    expect(load.objects).toEqual([]);
    expect(load.problems.map(formatProblem)).toEqual([
      'test/fixtures/desired/hostile/custom-tag.yaml:10:13: invalid YAML: unknown tag !vault; custom tags are not allowed',
      'test/fixtures/desired/hostile/custom-tag.yaml:11:11: invalid YAML: unknown tag !!binary; custom tags are not allowed',
    ]);
  });

  it('rejects duplicate keys and syntax errors with their position', () => {
    const dup = parseDesiredText(`${app('a')}  app: redis\n`, '/x/a.yaml', { cwd: '/x' });
    expect(dup.problems.map(formatProblem)).toEqual(['a.yaml:8:3: invalid YAML: duplicate key']);
    const broken = parseDesiredText(`${app('a')}  env: [unclosed\n`, '/x/a.yaml', { cwd: '/x' });
    expect(broken.complete).toBe(false);
    expect(broken.problems).toHaveLength(1);
    expect(broken.problems[0]!.message).toMatch(/^invalid YAML: /);
  });

  it('keeps the valid documents of a file in which another document is broken', () => {
    const load = parseDesiredText(`${app('good')}---\n${app('bad')}  extra: 1\n---\nkey: [\n`, '/x/a.yaml', { cwd: '/x' });
    expect(load.objects.map((o) => o.key)).toEqual(['AppDeployment/good']);
    expect(load.invalidKeys).toEqual(['AppDeployment/bad']);
    expect(load.complete).toBe(false);
    expect(load.problems.map(formatProblem)[0]).toBe('a.yaml:16:3: AppDeployment/bad: spec.extra: unknown field');
  });
});

describe('loading a directory', () => {
  it('walks subdirectories for .yaml and .yml files', () => {
    const load = loadDesiredDirectory(join(FIXTURES, 'multi'), { cwd: ROOT });
    expect(load.problems).toEqual([]);
    expect(load.objects.map((o) => o.key)).toEqual(['AppDeployment/n8n', 'DNSRecord/apex', 'DNSRecord/www', 'Server/prod']);
    expect(load.objects[1]!.source).toEqual({ file: 'test/fixtures/desired/multi/nested/deeper/record.yml', line: 3, col: 1 });
  });

  it('ignores dotfiles, dot-dirs, node_modules, editor temp files and non-YAML files', () => {
    const broken = 'this: [is not loaded\n';
    const dir = tempTree({
      'ok.yaml': app('ok'),
      'sub/ok.yml': app('ok2'),
      '.hidden.yaml': broken,
      '.git/objects.yaml': broken,
      '.config/x.yaml': broken,
      'node_modules/pkg/x.yaml': broken,
      'sub/node_modules/y.yaml': broken,
      'ok.yaml~': broken,
      '.#ok.yaml': broken,
      '#ok.yaml#': broken,
      '.ok.yaml.swp': broken,
      'ok.yaml.swp': broken,
      'ok.yaml.swx': broken,
      'ok.yaml.tmp': broken,
      '4913': broken,
      'notes.txt': broken,
      'README.md': broken,
    });
    const load = loadDesiredDirectory(dir, { cwd: dir });
    expect(load.problems).toEqual([]);
    expect(load.objects.map((o) => o.key)).toEqual(['AppDeployment/ok', 'AppDeployment/ok2']);
    expect(['.git', 'node_modules', 'a.yaml~', '.#a.yaml', '#a.yaml#', 'a.swp', 'a.SWX', 'a.tmp', '4913'].filter((n) => !isIgnoredName(n))).toEqual([]);
    expect(['a.yaml', 'values.yml', 'x4913.yaml'].filter(isIgnoredName)).toEqual([]);
  });

  it('reports a duplicate Kind/name at both places and applies neither copy', () => {
    const load = loadDesiredDirectory(join(FIXTURES, 'duplicates'), { cwd: ROOT });
    expect(load.objects.map((o) => o.key)).toEqual(['DNSRecord/mail']);
    expect(load.problems.map(formatProblem)).toEqual([
      'test/fixtures/desired/duplicates/a.yaml:3:1: DNSRecord/www: defined more than once (also at test/fixtures/desired/duplicates/b.yaml:13:1); neither copy is applied',
      'test/fixtures/desired/duplicates/b.yaml:13:1: DNSRecord/www: defined more than once (also at test/fixtures/desired/duplicates/a.yaml:3:1); neither copy is applied',
    ]);
  });

  it('reports a missing directory as a problem', () => {
    const load = loadDesiredDirectory(join(FIXTURES, 'does-not-exist'), { cwd: ROOT });
    expect(load.objects).toEqual([]);
    expect(load.problems.map(formatProblem)[0]).toMatch(/^test\/fixtures\/desired\/does-not-exist:1:1: cannot read desired directory: ENOENT/);
  });
});
