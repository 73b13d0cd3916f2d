// Pinned SSH host keys per server, kept apart from status files so losing one never means trusting whatever key a server shows.
import { createHash } from 'node:crypto';

/** HostKeyStore keeps each server's pinned public host key and the private key generated for its cloud-init. */
export interface HostKeyStore {
  /** pinned returns the pinned public key line, or undefined when none is known. */
  pinned(server: string): string | undefined;
  /** pin records the public key this server must present from now on. */
  pin(server: string, publicKey: string): void;
  /** savePrivate stores the generated private host key (a secret) so the server's identity can be restored. */
  savePrivate(server: string, privateKey: string): void;
  /** forget drops both entries once the server is deleted. */
  forget(server: string): void;
}

/** Vault entry names are at most 63 characters; long server names keep a readable prefix plus a hash. */
export function hostKeyEntry(kind: 'hostkey' | 'hostkey-private', server: string): string {
  const plain = `${kind}.${server}`;
  if (plain.length <= 63) return plain;
  const digest = createHash('sha256').update(server).digest('hex').slice(0, 12);
  return `${kind}.${server.slice(0, 63 - kind.length - 2 - digest.length)}-${digest}`;
}

/** MemoryHostKeyStore is the in-process store for tests and plans; the daemon uses the vault-backed one. */
export class MemoryHostKeyStore implements HostKeyStore {
  readonly public = new Map<string, string>();
  readonly private = new Map<string, string>();
  pinned(server: string): string | undefined { return this.public.get(server); }
  pin(server: string, publicKey: string): void { this.public.set(server, publicKey); }
  savePrivate(server: string, privateKey: string): void { this.private.set(server, privateKey); }
  forget(server: string): void { this.public.delete(server); this.private.delete(server); }
}
