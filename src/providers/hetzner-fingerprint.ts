// MD5 fingerprint of an OpenSSH public key, in Hetzner's colon-hex form, for looking keys up before creating them.
import { createHash } from 'node:crypto';

/** fingerprintMd5 hashes the base64 key blob of `type AAAA… [comment]`; it throws on a malformed line. */
export function fingerprintMd5(publicKeyLine: string): string {
  const parts = publicKeyLine.trim().split(/\s+/);
  const type = parts[0] ?? '';
  const b64 = parts[1] ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('public key is not in OpenSSH "type base64 [comment]" form');
  const blob = Buffer.from(b64, 'base64');
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  // The blob embeds its own key type; a mismatch means the line is corrupt or pasted wrongly.
  if (len < 0 || blob.length < 4 + len || blob.subarray(4, 4 + len).toString('latin1') !== type) {
    throw new Error('public key blob does not match its key type');
  }
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}
