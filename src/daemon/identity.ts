// The daemon's SSH identity (an ed25519 key pair generated once, private key in the vault) and the vault-backed host-key pins.
import type { Vault } from '../store/vault.js';
import { generateEd25519KeyPair, type KeyPair } from '../host/keys.js';
import { renderUserData } from '../host/cloud-init.js';
import { fingerprintMd5 } from '../providers/hetzner.js';
import { hostKeyEntry, type HostKeyStore } from '../host/host-keys.js';

export interface Identity {
  /** get returns the key pair, creating and storing it on first use. */
  get(): KeyPair;
  /** serverDeps are the identity-related dependencies of the Server controller. */
  serverDeps: {
    identity(): Promise<{ publicKey: string }>;
    newHostKey(): KeyPair;
    userData(input: { hostKey: KeyPair; hostname: string }): string;
    fingerprint(publicKey: string): string;
    hostKeys: HostKeyStore;
  };
}

/**
 * vaultHostKeys keeps pinned host keys in the vault (`hostkey.<server>`, and the generated private key as
 * `hostkey-private.<server>`), so a lost or reset status file never loses a pin. Every vault value is scrubbed from output.
 */
export function vaultHostKeys(vault: Vault): HostKeyStore {
  return {
    pinned: (server) => vault.get(hostKeyEntry('hostkey', server)),
    pin: (server, publicKey) => vault.set(hostKeyEntry('hostkey', server), publicKey),
    savePrivate: (server, privateKey) => vault.set(hostKeyEntry('hostkey-private', server), privateKey),
    forget: (server) => { vault.remove(hostKeyEntry('hostkey', server)); vault.remove(hostKeyEntry('hostkey-private', server)); },
  };
}

/** loadIdentity wraps the vault entries `ssh-private-key` and `ssh-public-key`. */
export function loadIdentity(vault: Vault, instance: string): Identity {
  const get = (): KeyPair => {
    const privateKey = vault.get('ssh-private-key');
    const publicKey = vault.get('ssh-public-key');
    if (privateKey && publicKey) return { privateKey, publicKey };
    const pair = generateEd25519KeyPair(`livchat-${instance}`);
    vault.set('ssh-private-key', pair.privateKey);
    vault.set('ssh-public-key', pair.publicKey);
    return pair;
  };
  return {
    get,
    serverDeps: {
      identity: async () => ({ publicKey: get().publicKey }),
      newHostKey: () => generateEd25519KeyPair('livchat-host'),
      userData: ({ hostKey, hostname }) => renderUserData({ hostKey, hostname }),
      fingerprint: fingerprintMd5,
      hostKeys: vaultHostKeys(vault),
    },
  };
}
