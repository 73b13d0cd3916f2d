// Provider clients for one runtime, with request metrics; a missing token turns every call into one clear Stalled error.
import type { Clock } from '../engine/clock.js';
import { DomainError, TerminalError } from '../engine/errors.js';
import type { Metrics } from '../obs/metrics.js';
import type { CloudflareDns, CloudflareDnsOptions } from '../providers/cloudflare.js';
import { HetznerClient } from '../providers/hetzner.js';
import { HetznerServers } from '../providers/hetzner-servers.js';
import type { Endpoints } from './credentials.js';
import { TokenBucket } from '../providers/limiter.js';
import type { LeasePort } from './lease.js';

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

// The clients' own types: the composition root checks them against the kinds' ports, so nothing here imports controllers/.
type DnsPort = Pick<CloudflareDns, 'findZone' | 'listRecords' | 'createRecord' | 'editRecord' | 'deleteRecord' | 'getRecord'>;
type ServerPort = HetznerClient;

/** Providers are the clients and ports plus `update`, which swaps in new clients when a token or endpoint changed (SIGHUP). */
export interface Providers {
  dns: DnsPort;
  /** The Hetzner client itself (wire API), behind the credential breaker. */
  hcloud: ServerPort;
  /** The Server kind's domain port over the same client and breaker. */
  servers: HetznerServers;
  /** The Hetzner SSH-key calls the instance lease makes (same client, its own breaker). */
  lease: LeasePort;
  update(ep: Endpoints): boolean;
  /** resetBreakers forgets remembered credential failures, so the next call really asks the provider again. */
  resetBreakers(): void;
}

/** lazyDns loads the Cloudflare SDK on the first DNS call: it costs about a second at start-up that servers-only runs skip. */
function lazyDns(opts: CloudflareDnsOptions): DnsPort {
  let client: Promise<DnsPort> | undefined;
  const get = (): Promise<DnsPort> => (client ??= import('../providers/cloudflare.js').then((m) => new m.CloudflareDns(opts)));
  return new Proxy({} as DnsPort, {
    get: (_t, prop) => async (...args: unknown[]) => {
      const c = (await get()) as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
      return c[prop]!(...args);
    },
  });
}

/**
 * breaker remembers a credential failure (a TerminalError or DomainError with a scope) and fails every later call at once, without a
 * request: one bad token costs one request, not one per object. Replacing the client (update) resets it.
 */
export function breaker<T extends object>(target: () => T, resets?: Array<() => void>): T {
  let tripped: Error | undefined;
  let seen: T | undefined;
  // A token fixed in the provider's dashboard keeps its value: SIGHUP must be able to re-arm without a new client.
  resets?.push(() => { tripped = undefined; });
  return new Proxy({} as T, {
    get: (_t, prop) => async (...args: unknown[]) => {
      const cur = target();
      if (cur !== seen) { seen = cur; tripped = undefined; }
      if (tripped) throw tripped;
      try {
        return await (cur as Record<string | symbol, (...a: unknown[]) => unknown>)[prop]!(...args);
      } catch (err) {
        if ((err instanceof TerminalError || err instanceof DomainError) && err.scope) tripped = err;
        throw err;
      }
    },
  });
}

/** buildProviders creates the Hetzner and Cloudflare clients for the resolved endpoints. */
export function buildProviders(ep: Endpoints, metrics: Metrics, clock: Clock, env: NodeJS.ProcessEnv = {}): Providers {
  const cfRate = parseRate(env.LIVCHAT_CLOUDFLARE_RATE_LIMIT, 1200, 300);
  const hzRate = parseRate(env.LIVCHAT_HETZNER_RATE_LIMIT, 3600, 3600);
  const count = (provider: string) => (op: string, status: number): void => { metrics.providerApiRequests.inc({ provider, operation: op, code: String(status) }); };
  const makeDns = (e: Endpoints): DnsPort => e.cloudflare.token
    ? lazyDns({ token: e.cloudflare.token, baseURL: e.cloudflare.url, clock, onRequest: count('cloudflare'), limiter: new TokenBucket({ ...cfRate, clock }) })
    : missing('Cloudflare', 'cloudflare-token', 'run `livchat secret set cloudflare-token` or set CLOUDFLARE_API_TOKEN, then reload');
  const makeHcloud = (e: Endpoints): ServerPort => e.hetzner.token
    ? new HetznerClient({ token: e.hetzner.token, endpoint: e.hetzner.url, clock, onRequest: count('hetzner'), limiter: new TokenBucket({ ...hzRate, clock }) })
    : missing('Hetzner', 'hetzner-token', 'run `livchat secret set hetzner-token` or set HCLOUD_TOKEN, then reload');
  let cur = ep;
  let dns = makeDns(ep);
  let hcloud = makeHcloud(ep);
  const resets: Array<() => void> = [];
  const hcloudPort = breaker(() => hcloud, resets);
  return {
    dns: breaker(() => dns, resets),
    hcloud: hcloudPort,
    // The adapter holds no credentials: a replaced client (update) is picked up through the breaker.
    servers: new HetznerServers(hcloudPort, { clock }),
    // The missing-token port fails every method, updateSshKey included, so the cast only widens the type.
    lease: breaker(() => hcloud as unknown as LeasePort, resets),
    resetBreakers() { for (const r of resets) r(); },
    update(next) {
      let changed = false;
      if (next.cloudflare.token !== cur.cloudflare.token || next.cloudflare.url !== cur.cloudflare.url) { dns = makeDns(next); changed = true; }
      if (next.hetzner.token !== cur.hetzner.token || next.hetzner.url !== cur.hetzner.url) { hcloud = makeHcloud(next); changed = true; }
      cur = next;
      return changed;
    },
  };
}
