// Generated app secrets: created once per (server, app, name), kept only in the vault, rotated only by annotation.
// They are never removed, not even with the app: its volumes are kept, and data on them may be encrypted with these keys.
import { createHash } from 'node:crypto';
import { generateSecret, type TemplateSecret } from './template.js';

/** SecretVault is the slice of the vault the AppDeployment kind uses (every value read or written is registered for scrubbing). */
export interface SecretVault {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

export const ANNOTATION_ROTATE_SECRET = 'livchat.ai/rotate-secret';

/** vaultName names a secret's vault entry; long names are hashed to fit the vault's 63-character limit. */
export function vaultName(server: string, app: string, name: string): string {
  const plain = `app.${server}.${app}.${name}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  if (plain.length <= 63) return plain;
  return `app.${createHash('sha256').update(`${server}\0${app}\0${name}`).digest('hex').slice(0, 40)}`;
}

/** ResolvedSecrets are the values plus, per name, a short digest that changes on rotation (for versioned Docker secret names). */
export interface ResolvedSecrets {
  values: Record<string, string>;
  digests: Record<string, string>;
  /** Names generated (or rotated) in this call: events say so, never with the value. */
  created: string[];
  rotated: string[];
}

/**
 * resolveSecrets returns every declared secret, generating the missing ones. A rotation annotation names one secret;
 * it is honoured once per generation (`rotatedAt` records the generations already done).
 */
export function resolveSecrets(
  vault: SecretVault, server: string, app: string, specs: readonly Pick<TemplateSecret, 'name' | 'length' | 'alphabet'>[],
  rotate: { name: string | undefined; generation: number; done: Record<string, number> },
): ResolvedSecrets {
  const out: ResolvedSecrets = { values: {}, digests: {}, created: [], rotated: [] };
  for (const s of specs) {
    const key = vaultName(server, app, s.name);
    let value = vault.get(key);
    const wantsRotation = rotate.name === s.name && rotate.done[s.name] !== rotate.generation;
    if (value === undefined || wantsRotation) {
      if (value !== undefined) out.rotated.push(s.name); else out.created.push(s.name);
      value = generateSecret(s);
      vault.set(key, value);
    }
    out.values[s.name] = value;
    out.digests[s.name] = createHash('sha256').update(value).digest('hex').slice(0, 10);
  }
  return out;
}
