// Loads the secret registry for CLI commands that print state, as the daemon does: vault entries and token variables.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Vault } from '../store/vault.js';
import type { SecretRegistry } from '../obs/redact.js';

/** TOKEN_VARS are the environment variables that may hold provider tokens. */
const TOKEN_VARS = ['HCLOUD_TOKEN', 'CLOUDFLARE_API_TOKEN', 'LIVCHAT_SIM_TOKEN'] as const;

/**
 * loadSecrets registers every vault value and token variable for scrubbing; it returns a warning when the vault could
 * not be opened (output is then scrubbed of generic credential shapes and env tokens only). It never creates a key.
 */
export async function loadSecrets(stateDir: string, env: NodeJS.ProcessEnv, secrets: SecretRegistry): Promise<string | undefined> {
  for (const v of TOKEN_VARS) if (env[v]) secrets.register(env[v]!);
  // Without a vault file there is nothing to register, and opening it would generate a master key.
  if (!existsSync(join(stateDir, 'vault.json'))) return undefined;
  // A reader must never generate a master key: that would leave a wrong key beside a vault made with another one.
  const keyKnown = !!env.LIVCHAT_MASTER_KEY_FILE || (!!env.CREDENTIALS_DIRECTORY && existsSync(join(env.CREDENTIALS_DIRECTORY, 'master.key'))) || existsSync(join(stateDir, 'master.key'));
  if (!keyKnown) return 'warning: no vault master key found (set LIVCHAT_MASTER_KEY_FILE); output is scrubbed of known credential shapes only\n';
  try {
    await Vault.open({ stateDir, env, secrets });
    return undefined;
  } catch (err) {
    return `warning: the vault could not be opened (${(err as Error).message}); output is scrubbed of known credential shapes only\n`;
  }
}
