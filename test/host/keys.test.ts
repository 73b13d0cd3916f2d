// Tests key generation, parsing and fingerprints against OpenSSH's own ssh-keygen.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, parsePublicKeyLine, publicKeyFingerprintSha256, rawEd25519Public, rawEd25519Seed, sameKey, OPENSSH_PRIVATE_BEGIN, OPENSSH_PRIVATE_END } from '../../src/host/keys.js';

const sshKeygen = '/usr/bin/ssh-keygen';

describe('keys', () => {
  it('generates an ed25519 pair whose public line parses back with its comment', () => {
    const kp = generateEd25519KeyPair('livchat web-1');
    expect(kp.privateKey.startsWith(`${OPENSSH_PRIVATE_BEGIN}\n`)).toBe(true);
    expect(kp.privateKey.endsWith(`${OPENSSH_PRIVATE_END}\n`)).toBe(true);
    const parsed = parsePublicKeyLine(kp.publicKey);
    expect(parsed.type).toBe('ssh-ed25519');
    expect(parsed.comment).toBe('livchat web-1');
    expect(parsed.blob.length).toBe(51);
    expect(sameKey(kp.publicKey, `${kp.publicKey.split(' ').slice(0, 2).join(' ')} other-comment`)).toBe(true);
    expect(sameKey(kp.publicKey, generateEd25519KeyPair('x').publicKey)).toBe(false);
  });

  it('always encodes a 32-byte public key, even when it starts with zero bytes', () => {
    // ssh2's generator strips leading zeros (about 1 key in 256); 600 keys make a miss very likely to show.
    for (let i = 0; i < 600; i++) {
      const kp = generateEd25519KeyPair(`k${i}`);
      expect(parsePublicKeyLine(kp.publicKey).blob.length).toBe(51);
      expect(ssh2.utils.parseKey(kp.privateKey)).not.toBeInstanceOf(Error);
    }
  });

  it('rejects malformed and spliced key lines', () => {
    expect(() => parsePublicKeyLine('not a key')).toThrow(/invalid OpenSSH public key/);
    expect(() => parsePublicKeyLine('ssh-ed25519')).toThrow(/invalid OpenSSH public key/);
    const blob = generateEd25519KeyPair('x').publicKey.split(' ')[1];
    expect(() => parsePublicKeyLine(`ssh-rsa ${blob}`)).toThrow(/does not encode key type ssh-rsa/);
  });

  it.skipIf(!existsSync(sshKeygen))('matches ssh-keygen: derived public key and SHA256 fingerprint', async () => {
    const kp = generateEd25519KeyPair('check');
    const dir = await mkdtemp(join(tmpdir(), 'livchat-keys-'));
    try {
      await writeFile(join(dir, 'k'), kp.privateKey, { mode: 0o600 });
      await writeFile(join(dir, 'k.pub'), `${kp.publicKey}\n`);
      const derived = execFileSync(sshKeygen, ['-y', '-f', join(dir, 'k')], { encoding: 'utf8' }).trim();
      expect(sameKey(derived, kp.publicKey)).toBe(true);
      const listed = execFileSync(sshKeygen, ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
      expect(listed.split(' ')[1]).toBe(publicKeyFingerprintSha256(kp.publicKey));
    } finally { await rm(dir, { recursive: true, force: true }); }
  });
});

describe('key generation at volume', () => {
  it('generates 5,000 keys without the JWK export path, each private key matching its public half', () => {
    // Regression: Node 20.20 deadlocked in JWK export within a few thousand keys; DER export must survive this loop.
    const data = Buffer.from('livchat host key check');
    for (let i = 0; i < 5000; i++) {
      const kp = generateEd25519KeyPair(`bulk-${i}`);
      const parsed = ssh2.utils.parseKey(kp.privateKey);
      if (parsed instanceof Error) throw parsed;
      const pubBlob = parsePublicKeyLine(kp.publicKey).blob;
      // The private key derives the same public blob, and a signature made with it verifies under the public line.
      expect(parsed.getPublicSSH().equals(pubBlob)).toBe(true);
      const sig = parsed.sign(data);
      const pub = ssh2.utils.parseKey(kp.publicKey);
      if (pub instanceof Error) throw pub;
      expect(pub.verify(data, sig)).toBe(true);
    }
  });

  it('takes raw key bytes only from the expected DER shapes', () => {
    expect(() => rawEd25519Public(Buffer.alloc(44))).toThrow(/SPKI/);
    expect(() => rawEd25519Seed(Buffer.alloc(48))).toThrow(/PKCS#8/);
  });
});
