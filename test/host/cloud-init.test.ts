// Tests the cloud-init user_data that pre-installs our generated host key.
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderUserData, USER_DATA_MAX_BYTES } from '../../src/host/cloud-init.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';

describe('renderUserData', () => {
  const hostKey = generateEd25519KeyPair('livchat-host web-1');

  it('is a valid #cloud-config carrying exactly our host key, under 32 KiB', () => {
    const person = generateEd25519KeyPair('alice@laptop').publicKey;
    const out = renderUserData({ hostKey, authorizedKeys: [person], hostname: 'web-1.example.com' });
    expect(out.startsWith('#cloud-config\n')).toBe(true);
    expect(Buffer.byteLength(out)).toBeLessThan(USER_DATA_MAX_BYTES);
    const doc = parse(out) as Record<string, any>;
    expect(doc.ssh_deletekeys).toBe(true);
    expect(doc.ssh_genkeytypes).toEqual([]);
    expect(doc.ssh_keys.ed25519_public).toBe(hostKey.publicKey);
    expect(doc.ssh_keys.ed25519_private).toBe(hostKey.privateKey);
    // The private half in the document must really belong to the pinned public half.
    const parsed = ssh2.utils.parseKey(doc.ssh_keys.ed25519_private);
    if (parsed instanceof Error) throw parsed;
    const pubBlob = Buffer.from(hostKey.publicKey.split(' ')[1]!, 'base64');
    expect(parsed.getPublicSSH().equals(pubBlob)).toBe(true);
    expect(doc.ssh_authorized_keys).toEqual([person]);
    expect(doc.hostname).toBe('web-1');
    expect(doc.fqdn).toBe('web-1.example.com');
  });

  it('omits optional sections when not asked for', () => {
    const doc = parse(renderUserData({ hostKey })) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(['ssh_deletekeys', 'ssh_genkeytypes', 'ssh_keys']);
  });

  it('rejects non-ed25519 host keys, bad hostnames and oversize output', () => {
    const ecdsa = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
    expect(() => renderUserData({ hostKey: { privateKey: ecdsa.private, publicKey: ecdsa.public } })).toThrow(/ssh-ed25519/);
    expect(() => renderUserData({ hostKey, hostname: 'bad name' })).toThrow(/hostname/);
    const many = Array.from({ length: 400 }, (_, i) => generateEd25519KeyPair(`person-${i}`).publicKey);
    expect(() => renderUserData({ hostKey, authorizedKeys: many })).toThrow(/32768-byte limit/);
  });
});
