// --instance never silently replaces the stored installation name; --rename-instance does it on purpose.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveInstance } from '../../src/config.js';
import { cli, tempDir } from '../helpers/cli.js';

describe('installation name', () => {
  it('resolveInstance refuses a different --instance unless rename is asked for', () => {
    const dir = tempDir('lc-inst-');
    expect(resolveInstance(dir, 'alpha')).toBe('alpha');
    expect(resolveInstance(dir, 'alpha')).toBe('alpha');
    expect(resolveInstance(dir, undefined)).toBe('alpha');
    expect(() => resolveInstance(dir, 'beta')).toThrow(/--instance beta differs from the installation name "alpha" stored in .*--rename-instance/);
    expect(readFileSync(join(dir, 'instance'), 'utf8').trim()).toBe('alpha');
    expect(resolveInstance(dir, 'beta', { rename: true })).toBe('beta');
    expect(readFileSync(join(dir, 'instance'), 'utf8').trim()).toBe('beta');
  });

  it('apply with a different --instance exits 1 and changes nothing; --rename-instance renames', async () => {
    const stateDir = tempDir('lc-inst-state-');
    const desired = tempDir('lc-inst-desired-');
    const base = ['--state-dir', stateDir, '--log-level', 'silent'];
    expect((await cli([...base, '--instance', 'alpha', 'apply', desired, '--simulate', '--timeout', '20s'])).code).toBe(0);
    const r = await cli([...base, '--instance', 'beta', 'apply', desired, '--simulate', '--timeout', '20s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('differs from the installation name "alpha"');
    expect(readFileSync(join(stateDir, 'instance'), 'utf8').trim()).toBe('alpha');
    expect((await cli([...base, '--instance', 'beta', '--rename-instance', 'apply', desired, '--simulate', '--timeout', '20s'])).code).toBe(0);
    expect(readFileSync(join(stateDir, 'instance'), 'utf8').trim()).toBe('beta');
  });
});
