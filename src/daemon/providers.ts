// Provider clients for one runtime, with request metrics; a missing token turns every call into one clear Stalled error.
import type { Clock } from '../engine/clock.js';
import { TerminalError } from '../engine/errors.js';
import type { Metrics } from '../obs/metrics.js';
import { CloudflareDns } from '../providers/cloudflare.js';
import { HetznerClient } from '../providers/hetzner.js';
import type { DnsPort } from '../../controllers/dns-record.js';
import type { ServerPort } from '../../controllers/server.js';
import type { Endpoints } from './credentials.js';
import { TokenBucket } from '../providers/limiter.js';

/** parseRate reads `N/SECONDS` (e.g. `1200/300`), the client-side budget per token. */
export function parseRate(text: string | undefined, limit: number, seconds: number): { limit: number; windowMs: number } {
  if (!text) return { limit, windowMs: seconds * 1000 };
  const m = /^(\d+)\/(\d+)s?$/.exec(text.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`invalid rate limit ${JSON.stringify(text)}: expected REQUESTS/SECONDS, e.g. 1200/300`);
  return { limit: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

/** missing returns a port whose every method fails with a terminal, token-scoped error. */
function missing<T extends object>(what: string, scope: string, hint: string): T {
  return new Proxy({} as T, {
    get: () => async () => { throw new TerminalError('CredentialsMissing', `no ${what} token: ${hint}`, { scope }); },
  });
}

/** buildProviders creates the Hetzner and Cloudflare clients for the resolved endpoints. */
export function buildProviders(ep: Endpoints, metrics: Metrics, clock: Clock, env: NodeJS.ProcessEnv = {}): { dns: DnsPort; hcloud: ServerPort } {
  const cfRate = parseRate(env.LIVCHAT_CLOUDFLARE_RATE_LIMIT, 1200, 300);
  const hzRate = parseRate(env.LIVCHAT_HETZNER_RATE_LIMIT, 3600, 3600);
  const count = (provider: string) => (op: string, status: number): void => { metrics.providerApiRequests.inc({ provider, operation: op, code: String(status) }); };
  const dns: DnsPort = ep.cloudflare.token
    ? new CloudflareDns({ token: ep.cloudflare.token, baseURL: ep.cloudflare.url, clock, onRequest: count('cloudflare'), limiter: new TokenBucket({ ...cfRate, clock }) })
    : missing('Cloudflare', 'cloudflare-token', 'run `livchat secret set cloudflare-token` or set CLOUDFLARE_API_TOKEN');
  const hcloud: ServerPort = ep.hetzner.token
    ? new HetznerClient({ token: ep.hetzner.token, endpoint: ep.hetzner.url, clock, onRequest: count('hetzner'), limiter: new TokenBucket({ ...hzRate, clock }) })
    : missing('Hetzner', 'hetzner-token', 'run `livchat secret set hetzner-token` or set HCLOUD_TOKEN');
  return { dns, hcloud };
}
