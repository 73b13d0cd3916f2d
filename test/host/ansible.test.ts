// Tests runPlaybook with a real ansible-playbook over a real sshd, pinned host key included.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TerminalError } from '../../src/engine/errors.js';
import { parseRecap, runPlaybook } from '../../src/host/ansible.js';
import { knownHostsName } from '../../src/host/ansible-workspace.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';
import { hostToolsMissing, startSshd, type TestSshd } from '../helpers/sshd.js';

const SMOKE = join(import.meta.dirname, '../fixtures/ansible/smoke.yml');
const missing = hostToolsMissing();
if (missing) console.warn(`test/host/ansible.test.ts ${missing}`);

describe('parseRecap', () => {
  it('sums the recap counters of every host', () => {
    const lines = [
      'TASK [x] ***', 'ok: [a]', '',
      'PLAY RECAP *********',
      'a                          : ok=4    changed=1    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0',
      'b                          : ok=1    changed=0    unreachable=1    failed=1    skipped=0    rescued=0    ignored=0',
    ];
    expect(parseRecap(lines)).toEqual({ ok: 5, changed: 1, failed: 1, unreachable: 1, skipped: 2, recap: true });
    expect(parseRecap(['ERROR! the playbook could not be found']).recap).toBe(false);
  });

  it('formats known_hosts names the way OpenSSH looks them up', () => {
    expect(knownHostsName('203.0.113.10', 22)).toBe('203.0.113.10');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(knownHostsName('2001:db8::1', 2222)).toBe('[2001:db8::1]:2222');
  });
});

describe('runPlaybook without ansible-playbook', () => {
  it('fails terminally with AnsibleNotInstalled and leaves no temp files', async () => {
    const tmpRoot = await mkdtemp(join(tmpdir(), 'livchat-runs-'));
    try {
      const kp = generateEd25519KeyPair('k');
      const err = await runPlaybook({
        playbook: SMOKE, host: '127.0.0.1', port: 1, user: 'root', privateKey: kp.privateKey, pinnedHostKey: kp.publicKey,
        ansiblePlaybookBin: join(tmpRoot, 'no-such-ansible-playbook'), tmpRoot,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect((err as TerminalError).reason).toBe('AnsibleNotInstalled');
      expect(readdirSync(tmpRoot)).toEqual([]);
    } finally { await rm(tmpRoot, { recursive: true, force: true }); }
  });
});

describe.skipIf(!!missing)('runPlaybook (real sshd + ansible-playbook)', () => {
  let sshd: TestSshd;
  let work: string;
  let tmpRoot: string;
  beforeAll(async () => { sshd = await startSshd(); });
  afterAll(async () => { await sshd?.stop(); });
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'livchat-smoke-'));
    tmpRoot = await mkdtemp(join(tmpdir(), 'livchat-runs-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
    await rm(tmpRoot, { recursive: true, force: true });
  });

  const run = (over: { pinnedHostKey?: string; onLine?: (l: string) => void; signal?: AbortSignal } = {}) =>
    runPlaybook({
      playbook: SMOKE,
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      privateKey: sshd.clientKey.privateKey,
      pinnedHostKey: over.pinnedHostKey ?? sshd.hostKey.publicKey,
      extraVars: { smoke_dir: work },
      tmpRoot,
      ...(over.onLine ? { onLine: over.onLine } : {}),
      ...(over.signal ? { signal: over.signal } : {}),
    });

  it('runs the smoke playbook with the pinned key, streams lines and removes the key file', async () => {
    const lines: string[] = [];
    const keyModes: number[] = [];
    const res = await run({
      onLine: (l) => {
        lines.push(l);
        // While the run is in flight the workspace holds the key with owner-only permissions.
        if (keyModes.length === 0) {
          const [ws] = readdirSync(tmpRoot);
          if (ws) keyModes.push(statSync(join(tmpRoot, ws)).mode & 0o777, statSync(join(tmpRoot, ws, 'id_key')).mode & 0o777);
        }
      },
    });
    expect(res).toMatchObject({ exitCode: 0, failed: 0, unreachable: 0, changed: 1, hostKeyMismatch: false, recap: true });
    expect(res.ok).toBeGreaterThanOrEqual(3);
    expect(readFileSync(join(work, 'smoke-ran'), 'utf8')).toMatch(new RegExp(`^user=${sshd.user} `));
    expect(lines.some((l) => l.startsWith('PLAY RECAP'))).toBe(true);
    expect(lines.some((l) => l.includes('TASK [Write the marker file]'))).toBe(true);
    expect(keyModes).toEqual([0o700, 0o600]);
    const keyBody = sshd.clientKey.privateKey.split('\n')[1]!;
    expect(lines.join('\n')).not.toContain(keyBody);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('fails with StrictHostKeyChecking after sshd swaps its host key, creating nothing', async () => {
    const pinned = sshd.hostKey.publicKey;
    await sshd.restart({ hostKey: generateEd25519KeyPair('impostor') });
    try {
      const lines: string[] = [];
      const res = await run({ pinnedHostKey: pinned, onLine: (l) => lines.push(l) });
      expect(res.exitCode).not.toBe(0);
      expect(res.unreachable).toBe(1);
      expect(res.hostKeyMismatch).toBe(true);
      expect(lines.join('\n')).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
      expect(existsSync(join(work, 'smoke-ran'))).toBe(false);
      expect(readdirSync(tmpRoot)).toEqual([]);
    } finally {
      await sshd.restart();
    }
  });

  it('abort kills the run and still removes the temp files', async () => {
    const ac = new AbortController();
    const reason = new Error('stop now');
    const err = await run({ signal: ac.signal, onLine: (l) => { if (l.startsWith('PLAY [')) ac.abort(reason); } }).catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(readdirSync(tmpRoot)).toEqual([]);
    expect(existsSync(join(work, 'smoke-ran'))).toBe(false);
  });
});
