// `livchat … | head -1`: a reader closing the pipe early ends the command quietly, on stdout and on stderr.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/daemon.js';
import { tempDir } from '../helpers/cli.js';

let desired: string;
beforeAll(() => {
  ensureBuilt();
  desired = tempDir('lc-epipe-');
  // Far more than a pipe buffer (64 KiB) of problem lines, so the writer is still writing when head leaves.
  const docs = Array.from({ length: 3000 }, (_, i) => `kind: Nope\nmetadata: {name: x${i}}\n`).join('---\n');
  for (let f = 0; f < 3; f++) writeFileSync(join(desired, `bad-${f}.yaml`), docs);
});

/** pipeline runs `livchat ARGS` in bash with one stream piped into `head -1`, and returns the exit codes and captured stderr. */
function pipeline(args: string[], stream: 'stdout' | 'stderr'): { codes: string; stderr: string; head: string } {
  const cmd = `node ${JSON.stringify(CLI)} ${args.map((a) => JSON.stringify(a)).join(' ')}`;
  const script = stream === 'stdout'
    ? `${cmd} 2>"$ERRF" | head -1; echo "codes \${PIPESTATUS[*]}" >&2`
    : `${cmd} 2>&1 >/dev/null | head -1; echo "codes \${PIPESTATUS[*]}" >&2`;
  const errf = join(tempDir('lc-epipe-err-'), 'stderr');
  writeFileSync(errf, '');
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-livchat-test-home', ERRF: errf }, timeout: 60_000 });
  const codes = /codes (.*)/.exec(r.stderr)?.[1] ?? '';
  const stderr = (stream === 'stdout' ? spawnSync('cat', [errf], { encoding: 'utf8' }).stdout : '') + r.stderr.replace(/codes .*\n?/, '');
  return { codes, stderr, head: r.stdout };
}

describe('EPIPE', () => {
  it('validate | head -1 prints one line and no stack trace; validate still exits 1 for the problems', () => {
    const r = pipeline(['validate', desired], 'stdout');
    expect(r.head).toMatch(/bad-0\.yaml:1:1: Nope\/x0/);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
    expect(r.codes).toBe('1 0');
  });

  it('validate -o json | head -1 too', () => {
    const r = pipeline(['validate', '-o', 'json', desired], 'stdout');
    expect(r.head).toBe('[\n');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(r.codes).toBe('1 0');
  });

  it('a reader of stderr leaving early (apply printing its problems) is quiet as well', () => {
    const state = tempDir('lc-epipe-state-');
    const r = pipeline(['--state-dir', state, 'apply', desired, '--sim', 'http://127.0.0.1:9'], 'stderr');
    expect(r.head).toMatch(/bad-0\.yaml:1:1: Nope\/x0/);
    expect(r.head).not.toMatch(/EPIPE|Unhandled/);
    expect(r.codes).toBe('1 0');
  });
});
