// Renders the cloud-init user_data that boots a server with a host key we generated (no trust on first use).
import { stringify } from 'yaml';
import { OPENSSH_PRIVATE_BEGIN, parsePublicKeyLine, type KeyPair } from './keys.js';

/** Hetzner rejects user_data above 32 KiB. */
export const USER_DATA_MAX_BYTES = 32 * 1024;

export interface UserDataInput {
  /** The ed25519 host key the server must present; its public half is pinned by the daemon. */
  hostKey: KeyPair;
  /** Extra keys for the default user, added on first boot (the daemon's own key goes through the provider). */
  authorizedKeys?: string[];
  /** Hostname set on first boot, so logs carry the right name before Ansible runs. */
  hostname?: string;
}

/** renderUserData returns a `#cloud-config` document; it throws when the result would exceed 32 KiB. */
export function renderUserData(input: UserDataInput): string {
  const pub = parsePublicKeyLine(input.hostKey.publicKey);
  if (pub.type !== 'ssh-ed25519') throw new Error(`host key must be ssh-ed25519, got ${pub.type}`);
  if (!input.hostKey.privateKey.includes(OPENSSH_PRIVATE_BEGIN)) {
    throw new Error('host private key must be in OpenSSH format');
  }
  for (const k of input.authorizedKeys ?? []) parsePublicKeyLine(k);
  const doc: Record<string, unknown> = {
    // Delete image keys and generate none, so the only host key is the one we pinned.
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: {
      ed25519_private: input.hostKey.privateKey.endsWith('\n') ? input.hostKey.privateKey : `${input.hostKey.privateKey}\n`,
      ed25519_public: input.hostKey.publicKey.trim(),
    },
  };
  if (input.authorizedKeys?.length) doc.ssh_authorized_keys = input.authorizedKeys.map((k) => k.trim());
  if (input.hostname) {
    if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(input.hostname)) throw new Error(`invalid hostname ${JSON.stringify(input.hostname)}`);
    doc.hostname = input.hostname.split('.')[0];
    if (input.hostname.includes('.')) doc.fqdn = input.hostname;
  }
  const out = `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
  const size = Buffer.byteLength(out, 'utf8');
  if (size > USER_DATA_MAX_BYTES) throw new Error(`user_data is ${size} bytes, over the ${USER_DATA_MAX_BYTES}-byte limit`);
  return out;
}
