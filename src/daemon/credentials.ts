// Provider credentials and endpoints: from the vault or the conventional environment variables, or the simulated cloud.
import type { Vault } from '../store/vault.js';
import type { SecretRegistry } from '../obs/redact.js';

/** CloudMode picks the real APIs, the embedded simulator, or a running `livchat simulate`. */
export type CloudMode = { mode: 'real' } | { mode: 'simulate' } | { mode: 'sim'; url: string };

/** Endpoints are the resolved base URLs and tokens; a missing token is undefined. */
export interface Endpoints {
  hetzner: { url: string; token: string | undefined };
  cloudflare: { url: string; token: string | undefined };
  simulated: boolean;
}

export const HETZNER_API = 'https://api.hetzner.cloud/v1';
export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';

/** resolveEndpoints applies vault → environment for tokens, and the cloud mode for URLs. */
export function resolveEndpoints(mode: CloudMode, vault: Vault, env: NodeJS.ProcessEnv, secrets: SecretRegistry, simUrl?: string, simToken?: string): Endpoints {
  const hToken = vault.get('hetzner-token') ?? env.HCLOUD_TOKEN;
  const cToken = vault.get('cloudflare-token') ?? env.CLOUDFLARE_API_TOKEN;
  for (const t of [hToken, cToken, simToken]) if (t) secrets.register(t);
  if (mode.mode === 'real') {
    return {
      hetzner: { url: env.HCLOUD_ENDPOINT || HETZNER_API, token: hToken },
      cloudflare: { url: env.CLOUDFLARE_BASE_URL || CLOUDFLARE_API, token: cToken },
      simulated: false,
    };
  }
  const base = (mode.mode === 'sim' ? mode.url : simUrl!).replace(/\/+$/, '');
  // A running simulator without --token accepts any non-empty token.
  const token = simToken ?? env.LIVCHAT_SIM_TOKEN ?? 'livchat-simulated-token';
  // The token sent to a simulator is scrubbed like a real one (LIVCHAT_SIM_TOKEN was not registered before).
  if (env.LIVCHAT_SIM_TOKEN) secrets.register(env.LIVCHAT_SIM_TOKEN);
  return {
    hetzner: { url: `${base}/v1`, token: mode.mode === 'sim' ? env.LIVCHAT_SIM_TOKEN ?? hToken ?? token : token },
    cloudflare: { url: `${base}/client/v4`, token: mode.mode === 'sim' ? env.LIVCHAT_SIM_TOKEN ?? cToken ?? token : token },
    simulated: true,
  };
}
