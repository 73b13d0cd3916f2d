// Tests for the encrypted vault: round trip, modes, key resolution, tamper detection, name rules, secret registration.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDACTED, SecretRegistry } from '../../src/obs/redact.js';
import { Vault, VaultError, parseMasterKey } from '../../src/store/vault.js';

let root: string;
let stateDir: string;
const env: NodeJS.ProcessEnv = {};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vault-test-'));
  stateDir = join(root, 'state');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const open = (e: NodeJS.ProcessEnv = env, secrets = new SecretRegistry()): Promise<Vault> => Vault.open({ stateDir, env: e, secrets });
const mode = (p: string): number => statSync(p).mode & 0o777;
const vaultJson = (): { version: number; entries: Record<string, { iv: string; tag: string; data: string }> } =>
  JSON.parse(readFileSync(join(stateDir, 'vault.json'), 'utf8'));
const writeVault = (doc: unknown): void => writeFileSync(join(stateDir, 'vault.json'), JSON.stringify(doc));

async function expectVaultError(p: Promise<unknown> | (() => unknown), code: string, fragment: string): Promise<VaultError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(VaultError);
  const e = caught as VaultError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(fragment);
  return e;
}

describe('Vault', () => {
  it('round-trips values and lists names sorted', async () => {
    const v = await open();
    v.set('hetzner-token', 'hz-secret-value-1');
    v.set('cloudflare.token', 'cf-secret-value-2');
    v.set('a_b', 'unicode ✓ value "quoted"\n');
    expect(v.get('hetzner-token')).toBe('hz-secret-value-1');
    expect(v.get('a_b')).toBe('unicode ✓ value "quoted"\n');
    expect(v.get('missing')).toBeUndefined();
    expect(v.has('cloudflare.token')).toBe(true);
    expect(v.has('missing')).toBe(false);
    expect(v.list()).toEqual(['a_b', 'cloudflare.token', 'hetzner-token']);
    v.set('hetzner-token', 'hz-secret-value-rotated');
    expect(v.get('hetzner-token')).toBe('hz-secret-value-rotated');
    expect(v.remove('a_b')).toBe(true);
    expect(v.remove('a_b')).toBe(false);
    expect(v.list()).toEqual(['cloudflare.token', 'hetzner-token']);
    const again = await open();
    expect(again.get('cloudflare.token')).toBe('cf-secret-value-2');
  });

  it('sees writes made by another instance (another process) without reopening', async () => {
    const daemon = await open();
    const cli = await open();
    daemon.set('shared', 'written-by-daemon');
    expect(cli.get('shared')).toBe('written-by-daemon');
    cli.set('other', 'written-by-cli');
    expect(daemon.list()).toEqual(['other', 'shared']);
  });

  it('stores the file, key and directory with private modes and a fresh IV per write', async () => {
    const v = await open();
    v.set('x1', 'same-value-twice');
    const first = vaultJson().entries['x1']!;
    v.set('x1', 'same-value-twice');
    const second = vaultJson().entries['x1']!;
    expect(first.iv).not.toBe(second.iv);
    expect(first.data).not.toBe(second.data);
    expect(Buffer.from(second.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(second.tag, 'base64')).toHaveLength(16);
    expect(vaultJson().version).toBe(1);
    expect(mode(join(stateDir, 'vault.json'))).toBe(0o600);
    expect(mode(join(stateDir, 'master.key'))).toBe(0o600);
    expect(mode(stateDir)).toBe(0o700);
  });

  it('never writes values in plaintext (nor base64 of them)', async () => {
    const v = await open();
    const value = 'plaintext-canary-value-0123456789';
    v.set('canary', value);
    const raw = readFileSync(join(stateDir, 'vault.json'), 'utf8');
    expect(raw).not.toContain(value);
    expect(raw).not.toContain(Buffer.from(value).toString('base64').slice(0, 16));
    expect(raw).not.toContain(Buffer.from(value).toString('hex').slice(0, 16));
  });

  it('validates entry names', async () => {
    const v = await open();
    for (const bad of ['', 'Upper', '-lead', '.lead', 'has space', 'slash/x', 'x'.repeat(64), 'ünï']) {
      await expectVaultError(() => v.set(bad, 'value-123456'), 'InvalidName', 'invalid vault entry name');
      await expectVaultError(() => v.get(bad), 'InvalidName', 'invalid vault entry name');
    }
    v.set('x'.repeat(63), 'ok-value');
    v.set('0.a_b-c', 'ok-value');
    expect(v.list()).toHaveLength(2);
  });

  it('registers values read or written in the SecretRegistry', async () => {
    const secrets = new SecretRegistry();
    const v = await open(env, secrets);
    v.set('w', 'written-secret-value');
    expect(secrets.scrub('x written-secret-value')).toBe(`x ${REDACTED}`);
    // A fresh registry: values are registered when the vault is opened and when they are read.
    const other = new SecretRegistry();
    await open(env, other);
    expect(other.scrub('written-secret-value')).toBe(REDACTED);
  });
});

describe('master key resolution', () => {
  it('generates <stateDir>/master.key on first use as base64 of 32 bytes', async () => {
    const v = await open();
    expect(v.keyInfo).toMatchObject({ source: 'state-dir', path: join(stateDir, 'master.key'), generated: true, insecurePermissions: false });
    const content = readFileSync(join(stateDir, 'master.key'), 'utf8').trim();
    expect(Buffer.from(content, 'base64')).toHaveLength(32);
    const again = await open();
    expect(again.keyInfo.generated).toBe(false);
  });

  it('prefers $CREDENTIALS_DIRECTORY/master.key over the state dir', async () => {
    const cred = join(root, 'cred');
    mkdirP(cred);
    writeFileSync(join(cred, 'master.key'), randomBytes(32).toString('hex'), { mode: 0o400 });
    const v = await open({ CREDENTIALS_DIRECTORY: cred });
    expect(v.keyInfo).toMatchObject({ source: 'credentials', path: join(cred, 'master.key'), generated: false });
    v.set('k1', 'value-under-cred-key');
    expect(() => statSync(join(stateDir, 'master.key'))).toThrow();
    // Without master.key in the credentials directory the state dir key is used.
    const empty = join(root, 'cred-empty');
    mkdirP(empty);
    expect((await Vault.open({ stateDir: join(root, 'state2'), env: { CREDENTIALS_DIRECTORY: empty }, secrets: new SecretRegistry() })).keyInfo.source).toBe('state-dir');
  });

  it('prefers $LIVCHAT_MASTER_KEY_FILE over everything, and refuses a missing one', async () => {
    const cred = join(root, 'cred');
    mkdirP(cred);
    writeFileSync(join(cred, 'master.key'), randomBytes(32));
    const keyFile = join(root, 'explicit.key');
    writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
    const v = await open({ LIVCHAT_MASTER_KEY_FILE: keyFile, CREDENTIALS_DIRECTORY: cred });
    expect(v.keyInfo).toMatchObject({ source: 'env-file', path: keyFile, insecurePermissions: false });
    await expectVaultError(open({ LIVCHAT_MASTER_KEY_FILE: join(root, 'nope.key') }), 'KeyMissing', join(root, 'nope.key'));
  });

  it('refuses a group- or world-readable key file, naming the file and the chmod 600 fix', async () => {
    const keyFile = join(root, 'loose.key');
    writeFileSync(keyFile, randomBytes(32).toString('base64'));
    for (const mode of [0o644, 0o640, 0o604]) {
      chmodSync(keyFile, mode);
      const e = await expectVaultError(open({ LIVCHAT_MASTER_KEY_FILE: keyFile }), 'KeyInsecure', keyFile);
      expect(e.message).toContain(`chmod 600 ${keyFile}`);
      expect(e.message).toContain(`0${mode.toString(8)}`);
    }
    // A generated key in the state dir is checked the same way on the next open.
    const sd = join(root, 'state-loose');
    await Vault.open({ stateDir: sd, env: {}, secrets: new SecretRegistry() });
    chmodSync(join(sd, 'master.key'), 0o644);
    await expectVaultError(Vault.open({ stateDir: sd, env: {}, secrets: new SecretRegistry() }), 'KeyInsecure', join(sd, 'master.key'));
    chmodSync(keyFile, 0o600);
    const v = await open({ LIVCHAT_MASTER_KEY_FILE: keyFile });
    expect(v.keyInfo.insecurePermissions).toBe(false);
  });

  it('accepts raw, base64 and hex keys and rejects anything else without echoing it', async () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key, 'f')).toEqual(key);
    expect(parseMasterKey(Buffer.from(key.toString('base64') + '\n'), 'f')).toEqual(key);
    expect(parseMasterKey(Buffer.from(key.toString('base64url')), 'f')).toEqual(key);
    expect(parseMasterKey(Buffer.from(key.toString('hex').toUpperCase()), 'f')).toEqual(key);
    const keyFile = join(root, 'bad.key');
    writeFileSync(keyFile, 'my-short-password-secret', { mode: 0o600 });
    const e = await expectVaultError(open({ LIVCHAT_MASTER_KEY_FILE: keyFile }), 'KeyInvalid', keyFile);
    expect(e.message).not.toContain('my-short-password-secret');
    expect(() => parseMasterKey(randomBytes(31), 'x')).toThrow(VaultError);
    expect(() => parseMasterKey(Buffer.from(randomBytes(16).toString('base64')), 'x')).toThrow(VaultError);
  });
});

describe('tamper detection', () => {
  const secretValue = 'tamper-canary-secret-value';

  async function seeded(): Promise<void> {
    const v = await open();
    v.set('alpha', secretValue);
    v.set('beta', 'second-secret-value');
  }

  function expectClean(e: VaultError): void {
    expect(e.message).not.toContain(secretValue);
    expect(e.message).not.toContain('second-secret-value');
    expect(e.message).not.toContain(readFileSync(join(stateDir, 'master.key'), 'utf8').trim());
  }

  it('refuses a wrong master key', async () => {
    await seeded();
    writeFileSync(join(stateDir, 'master.key'), randomBytes(32).toString('base64'));
    const e = await expectVaultError(open(), 'AuthFailed',
      "vault entry 'alpha' failed authentication: the vault file was modified or the master key is wrong");
    expectClean(e);
  });

  it('refuses a flipped ciphertext byte and a flipped tag byte', async () => {
    await seeded();
    const doc = vaultJson();
    const original = JSON.stringify(doc);
    const data = Buffer.from(doc.entries['beta']!.data, 'base64');
    data[0] = data[0]! ^ 0x01;
    doc.entries['beta']!.data = data.toString('base64');
    writeVault(doc);
    expectClean(await expectVaultError(open(), 'AuthFailed', "vault entry 'beta' failed authentication"));

    const doc2 = JSON.parse(original) as typeof doc;
    const tag = Buffer.from(doc2.entries['alpha']!.tag, 'base64');
    tag[15] = tag[15]! ^ 0x80;
    doc2.entries['alpha']!.tag = tag.toString('base64');
    writeVault(doc2);
    await expectVaultError(open(), 'AuthFailed', "vault entry 'alpha' failed authentication");
  });

  it('refuses swapped entries', async () => {
    await seeded();
    const doc = vaultJson();
    const a = doc.entries['alpha']!;
    doc.entries['alpha'] = doc.entries['beta']!;
    doc.entries['beta'] = a;
    writeVault(doc);
    expectClean(await expectVaultError(open(), 'AuthFailed', 'failed authentication'));
  });

  it('refuses a vault tampered after open on the next read', async () => {
    await seeded();
    const v = await open();
    const doc = vaultJson();
    doc.entries['alpha'] = doc.entries['beta']!;
    writeVault(doc);
    await expectVaultError(() => v.get('alpha'), 'AuthFailed', "vault entry 'alpha' failed authentication");
    expect(v.get('beta')).toBe('second-secret-value');
  });

  it('refuses bad JSON and a malformed structure without quoting the file', async () => {
    await seeded();
    writeFileSync(join(stateDir, 'vault.json'), `{"version":1, "entries": {"alpha": "${secretValue}"`);
    const e = await expectVaultError(open(), 'Corrupt', 'is not valid JSON');
    expect(e.message).not.toContain(secretValue);
    writeVault({ version: 2, entries: {} });
    await expectVaultError(open(), 'Corrupt', 'unsupported version');
    writeVault({ version: 1, entries: { alpha: { iv: 'AAAA', tag: 'x', data: secretValue } } });
    expectClean(await expectVaultError(open(), 'Corrupt', "entry 'alpha' does not have a valid iv"));
    writeVault({ version: 1, entries: { 'Bad Name': {} } });
    await expectVaultError(open(), 'Corrupt', 'entry name');
  });
});

function mkdirP(p: string): void {
  // Test-only: credentials directories are created 0700 like systemd does.
  rmSync(p, { recursive: true, force: true });
  mkdirSync(p, { recursive: true, mode: 0o700 });
}
