// readGitRevision against real repositories made with the git CLI (only the test spawns git; the code never does).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findGitDir, readGitRevision } from '../../src/source/git.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();

/** repo creates a repository with a desired/ directory and one commit on main. */
function repo(): { root: string; desired: string; first: string } {
  const root = mkdtempSync(join(tmpdir(), 'livchat-git-'));
  temps.push(root);
  git(root, 'init', '-q', '-b', 'main');
  const desired = join(root, 'desired', 'team');
  mkdirSync(desired, { recursive: true });
  writeFileSync(join(desired, 'a.yaml'), 'a: 1\n');
  git(root, 'add', '.');
  git(root, 'commit', '-q', '-m', 'first');
  return { root, desired, first: git(root, 'rev-parse', 'HEAD') };
}

describe('readGitRevision', () => {
  it('reads a loose branch ref from a subdirectory of the checkout', () => {
    const { root, desired, first } = repo();
    expect(existsSync(join(root, '.git/refs/heads/main'))).toBe(true);
    expect(readGitRevision(desired)).toBe(first);
    writeFileSync(join(desired, 'b.yaml'), 'b: 1\n');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'second');
    const second = git(root, 'rev-parse', 'HEAD');
    expect(second).not.toBe(first);
    expect(readGitRevision(desired)).toBe(second);
  });

  it('reads a packed ref', () => {
    const { root, desired, first } = repo();
    git(root, 'pack-refs', '--all', '--prune');
    expect(existsSync(join(root, '.git/refs/heads/main'))).toBe(false);
    expect(readGitRevision(desired)).toBe(first);
  });

  it('reads a detached HEAD', () => {
    const { root, desired, first } = repo();
    writeFileSync(join(desired, 'b.yaml'), 'b: 1\n');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'second');
    git(root, 'checkout', '-q', '--detach', first);
    expect(readGitRevision(desired)).toBe(first);
  });

  it('follows a symbolic ref chain', () => {
    const { root, desired, first } = repo();
    git(root, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    git(root, 'symbolic-ref', 'HEAD', 'refs/heads/alias');
    expect(readGitRevision(desired)).toBe(first);
  });

  it('follows a .git file into a linked worktree', () => {
    const { root, first } = repo();
    writeFileSync(join(root, 'desired/team/b.yaml'), 'b: 1\n');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'second on main');
    const wt = join(root, '..', `${root.split('/').pop()}-wt`);
    temps.push(wt);
    git(root, 'worktree', 'add', '-q', '-b', 'feature', wt, first);
    expect(findGitDir(join(wt, 'desired'))).toBe(join(root, '.git/worktrees', wt.split('/').pop()!));
    expect(readGitRevision(join(wt, 'desired/team'))).toBe(first);
    expect(readGitRevision(join(root, 'desired'))).toBe(git(root, 'rev-parse', 'HEAD'));
  });

  it('is undefined outside a checkout and on an unborn branch', () => {
    const plain = mkdtempSync(join(tmpdir(), 'livchat-nogit-'));
    temps.push(plain);
    expect(readGitRevision(plain)).toBeUndefined();
    git(plain, 'init', '-q', '-b', 'main');
    expect(readGitRevision(plain)).toBeUndefined();
    expect(readGitRevision(join(plain, 'does/not/exist'))).toBeUndefined();
  });
});
