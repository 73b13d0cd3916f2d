// The daemon's host-setup routing and vault-backed host keys: one playbook hash per process, pins that outlive status files, no TOFU.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { TerminalError } from '../../src/engine/errors.js';
import { buildHostSetup } from '../../src/daemon/host-setup.js';
import { simulatedHosts } from '../../src/sim/host-endpoints.js';
import { loadIdentity, vaultHostKeys } from '../../src/daemon/identity.js';
import { hostKeyEntry } from '../../src/host/host-keys.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';
import { createLogger } from '../../src/obs/log.js';
import { REDACTED, SecretRegistry } from '../../src/obs/redact.js';
import { Vault } from '../../src/store/vault.js';

let dirs: string[] = [];
afterEach(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); dirs = []; });

async function tmp(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function world() {
  const stateDir = await tmp('lc-hs-state-');
  const secrets = new SecretRegistry();
  const vault = await Vault.open({ stateDir, env: {}, secrets });
  const playbooks = await tmp('lc-hs-pb-');
  await mkdir(join(playbooks, 'roles'));
  await writeFile(join(playbooks, 'site.yml'), '- hosts: all\n');
  await writeFile(join(playbooks, 'roles', 'a.yml'), 'a: 1\n');
  return { stateDir, secrets, vault, playbooks };
}

describe('buildHostSetup', () => {
  it('hashes the playbook tree once per process and again only after invalidate()', async () => {
    const w = await world();
    const host = buildHostSetup({ simulated: true, identity: loadIdentity(w.vault, 'test'), clock: realClock, log: createLogger({ level: 'silent' }), playbook: join(w.playbooks, 'site.yml') });
    const first = await host.playbookHash();
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    await writeFile(join(w.playbooks, 'roles', 'a.yml'), 'a: 2\n');
    // Still the cached value: reconciles do not re-read the tree.
    expect(await host.playbookHash()).toBe(first);
    host.invalidate!();
    const second = await host.playbookHash();
    expect(second).not.toBe(first);
    expect(await host.playbookHash()).toBe(second);
  });

  it('never trusts on first use: a loopback server without pin or approval is refused before any connection', async () => {
    const w = await world();
    const host = buildHostSetup({ simulated: true, hosts: simulatedHosts('http://127.0.0.1:9'), identity: loadIdentity(w.vault, 'test'), clock: realClock, log: createLogger({ level: 'silent' }), playbook: join(w.playbooks, 'site.yml') });
    const err = await host.setup({ serverId: 1, name: 'prod', ipv4: '127.0.0.1', setup: {}, authorizedKeys: [] }, new AbortController().signal, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).reason).toBe('HostKeyUnknown');
  });
});

describe('vaultHostKeys', () => {
  it('keeps pins in the vault across reopening, with the private key as a scrubbed secret', async () => {
    const w = await world();
    const keys = vaultHostKeys(w.vault);
    const kp = generateEd25519KeyPair('livchat-host');
    keys.savePrivate('prod', kp.privateKey);
    keys.pin('prod', kp.publicKey);
    expect(w.vault.list()).toEqual(['hostkey-private.prod', 'hostkey.prod']);
    expect(w.secrets.scrub(`leak ${kp.privateKey}`)).toBe(`leak ${REDACTED}`);
    const again = vaultHostKeys(await Vault.open({ stateDir: w.stateDir, env: {}, secrets: new SecretRegistry() }));
    expect(again.pinned('prod')).toBe(kp.publicKey);
    expect(again.pinned('prod2')).toBeUndefined();
    again.forget('prod');
    expect(w.vault.list()).toEqual([]);
  });

  it('maps every valid server name to a valid vault entry name', async () => {
    const w = await world();
    const long = `a${'b'.repeat(61)}c`;
    const other = `a${'b'.repeat(61)}d`;
    expect(hostKeyEntry('hostkey-private', long).length).toBeLessThanOrEqual(63);
    expect(hostKeyEntry('hostkey', long)).not.toBe(hostKeyEntry('hostkey', other));
    const keys = vaultHostKeys(w.vault);
    keys.pin(long, 'ssh-ed25519 AAAAlong');
    keys.savePrivate(long, 'private-long-value');
    expect(keys.pinned(long)).toBe('ssh-ed25519 AAAAlong');
    expect(keys.pinned(other)).toBeUndefined();
  });
});
