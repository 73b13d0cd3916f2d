// Tests AnsibleHostSetup end to end against a real sshd with the smoke playbook.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { RetryableError, TerminalError } from '../../src/engine/errors.js';
import { AnsibleHostSetup, classifyRun, setupVars, type HostSetup } from '../../src/host/host-setup.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';
import { hashPlaybooks } from '../../src/host/playbook-hash.js';
import { hostToolsMissing, startSshd, type TestSshd } from '../helpers/sshd.js';

const SMOKE = join(import.meta.dirname, '../fixtures/ansible/smoke.yml');
const missing = hostToolsMissing();
if (missing) console.warn(`test/host/host-setup.test.ts ${missing}`);

describe('setup mapping', () => {
  it('maps the Server setup spec onto role variables, leaving unset fields to the defaults', () => {
    expect(setupVars({ host: 'h', privateKey: 'k', hostKey: 'x' })).toEqual({});
    expect(setupVars({
      host: 'h', privateKey: 'k', hostKey: 'x', hostname: 'web-1', authorizedKeys: ['ssh-ed25519 AAAA a'],
      setup: { timezone: 'America/Sao_Paulo', swapSize: '0' }, network: 'traefik-public',
    })).toEqual({
      livchat_timezone: 'America/Sao_Paulo', livchat_swap_size: '0', livchat_hostname: 'web-1',
      livchat_authorized_keys: ['ssh-ed25519 AAAA a'], livchat_network: 'traefik-public',
    });
  });

  it('classifies run outcomes into the engine error types', () => {
    const ok = { ok: 3, changed: 1, failed: 0, unreachable: 0, skipped: 0, exitCode: 0, hostKeyMismatch: false, recap: true };
    expect(() => classifyRun(ok, undefined)).not.toThrow();
    const reason = (f: () => void) => { try { f(); return 'none'; } catch (e) { return `${(e as Error).name}:${(e as RetryableError).reason}`; } };
    expect(reason(() => classifyRun({ ...ok, exitCode: 4, unreachable: 1, hostKeyMismatch: true }, undefined))).toBe('TerminalError:HostKeyMismatch');
    expect(reason(() => classifyRun({ ...ok, exitCode: 4, unreachable: 1 }, undefined))).toBe('RetryableError:HostUnreachable');
    expect(reason(() => classifyRun({ ...ok, exitCode: 2, failed: 1 }, 'fatal: [server]: FAILED!'))).toBe('RetryableError:PlaybookFailed');
    expect(reason(() => classifyRun({ ...ok, ok: 0, exitCode: 4, recap: false }, 'ERROR! bad'))).toBe('TerminalError:PlaybookInvalid');
  });
});

describe.skipIf(!!missing)('AnsibleHostSetup (real sshd + smoke playbook)', () => {
  let sshd: TestSshd;
  let work: string;
  beforeAll(async () => { sshd = await startSshd(); });
  afterAll(async () => { await sshd?.stop(); });
  beforeEach(async () => { work = await mkdtemp(join(tmpdir(), 'livchat-setup-')); });
  afterEach(async () => { await rm(work, { recursive: true, force: true }); });

  const input = (hostKey = sshd.hostKey.publicKey) => ({
    host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.clientKey.privateKey, hostKey,
    setup: { timezone: 'America/Sao_Paulo', swapSize: '0' },
  });

  it('waits for ssh, checks cloud-init, runs the playbook and returns the applied hash', async () => {
    const setup: HostSetup = new AnsibleHostSetup({ playbook: SMOKE, clock: new ManualClock(), extraVars: { smoke_dir: work } });
    const lines: string[] = [];
    const res = await setup.setup(input(), new AbortController().signal, (l) => lines.push(l));
    expect(res.playbookHash).toBe(await hashPlaybooks(dirname(SMOKE)));
    expect(await (setup as AnsibleHostSetup).playbookHash()).toBe(res.playbookHash);
    expect(readFileSync(join(work, 'smoke-ran'), 'utf8')).toContain('tz=America/Sao_Paulo');
    expect(lines[0]).toMatch(/^ssh: connected to .* host key SHA256:/);
    expect(lines[1]).toMatch(/^cloud-init: (absent|done|degraded)$/);
    expect(lines).toContain('TASK [Write the marker file] ***************************************************');
    expect(lines.at(-1)).toMatch(/^ansible: ok=\d+ changed=1 playbook sha256:/);
  });

  it('turns a failed task into a retryable PlaybookFailed carrying the failure line', async () => {
    const setup = new AnsibleHostSetup({ playbook: SMOKE, clock: new ManualClock(), extraVars: { smoke_dir: work, smoke_fail: true } });
    const err = await setup.setup(input(), new AbortController().signal, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('PlaybookFailed');
    expect((err as Error).message).toContain('1 task(s) failed (exit 2)');
    expect((err as Error).message).toContain('smoke failure requested');
  });

  it('stops with HostKeyMismatch before running anything when the server presents another key', async () => {
    const setup = new AnsibleHostSetup({ playbook: SMOKE, clock: new ManualClock(), extraVars: { smoke_dir: work } });
    const lines: string[] = [];
    const err = await setup.setup(input(generateEd25519KeyPair('expected').publicKey), new AbortController().signal, (l) => lines.push(l))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).reason).toBe('HostKeyMismatch');
    expect(lines).toEqual([]);
    expect(existsSync(join(work, 'smoke-ran'))).toBe(false);
  });
});
