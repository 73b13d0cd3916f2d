// The state directory is private: an existing group/world-accessible one is tightened to 0700.
import { chmodSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureStateDir } from '../../src/store/status-store.js';
import { resolveInstance } from '../../src/config.js';

describe('ensureStateDir', () => {
  it('tightens an existing 0755 state dir to 0700', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lc-sd-')), 'state');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    ensureStateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('creates a new one as 0700, and the daemon start path (resolveInstance) tightens too', () => {
    const root = mkdtempSync(join(tmpdir(), 'lc-sd-'));
    ensureStateDir(join(root, 'fresh'));
    expect(statSync(join(root, 'fresh')).mode & 0o777).toBe(0o700);
    const loose = join(root, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o775);
    resolveInstance(loose, undefined);
    expect(statSync(loose).mode & 0o777).toBe(0o700);
  });
});
