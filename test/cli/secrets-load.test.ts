// Read commands load the vault's secrets for scrubbing, but never create a master key to do so.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';
import { loadSecrets } from '../../src/cli/secrets.js';

describe('loadSecrets', () => {
  it('warns instead of generating a master key when the vault exists but its key is elsewhere', async () => {
    const stateDir = tempDir('lc-ls-');
    expect((await cli(['secret', 'set', 'db-password', '--state-dir', stateDir], { stdin: 'a-long-secret-value' })).code).toBe(0);
    const away = join(tempDir('lc-ls-key-'), 'master.key');
    renameSync(join(stateDir, 'master.key'), away);
    expect(await loadSecrets(stateDir, {})).toMatch(/no vault master key found/);
    expect(existsSync(join(stateDir, 'master.key'))).toBe(false);
    expect(await loadSecrets(stateDir, { LIVCHAT_MASTER_KEY_FILE: away })).toBeUndefined();
  });

  it('describe scrubs a vault secret from an old state file, and get -o wide from the message column', async () => {
    const stateDir = tempDir('lc-ls-');
    const secret = 'vault-only-secret-4c1d9e2b7a';
    expect((await cli(['secret', 'set', 'api-key', '--state-dir', stateDir], { stdin: secret })).code).toBe(0);
    mkdirSync(join(stateDir, 'objects', 'DNSRecord'), { recursive: true });
    writeFileSync(join(stateDir, 'objects', 'DNSRecord', 'old.json'), JSON.stringify({ key: 'DNSRecord/old', generation: 1, specHash: 'h', createdAt: '2026-01-01T00:00:00.000Z', internal: {},
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Old', message: `msg ${secret}`, lastTransitionTime: '2026-01-01T00:00:00.000Z' }], events: [] } }));
    for (const argv of [['describe', 'DNSRecord/old'], ['get', '-o', 'wide']]) {
      const r = await cli([...argv, '--state-dir', stateDir]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('msg [REDACTED]');
      expect(r.stdout).not.toContain(secret);
    }
  });
});
