// The fetch the Cloudflare SDK runs on: client-side limiting, per-request reporting, 429 pausing and our own timeout.
import type { Clock } from '../engine/clock.js';
import type { TokenBucket } from './limiter.js';
import { parseRetryAfter } from './cloudflare-errors.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface LimitedFetchOptions {
  limiter: TokenBucket;
  /** Second limiter for the per-IP cap, taken before the token's permit. */
  ipLimiter?: TokenBucket;
  clock: Clock;
  /** The SDK's baseURL, used to turn URLs into stable operation labels. */
  baseURL: string;
  /** Per-attempt timeout, started only after a limiter permit is granted. */
  timeoutMs: number;
  /** Called once per real HTTP attempt; status 0 means no response (connection error or timeout). */
  onRequest?: (op: string, status: number) => void;
  /** Used when a 429 has no retry-after and no Ratelimit reset. */
  defaultRetryAfterMs?: number;
}

/**
 * limitedFetch wraps the global fetch for the SDK. Every attempt (retries and pagination pages included)
 * first takes a limiter permit. Ratelimit headers keep the limiter in step with the server, and a 429
 * pauses the limiter and is marked `x-should-retry: false` so the SDK never sleeps on it: the engine reschedules.
 */
export function limitedFetch(opts: LimitedFetchOptions): FetchLike {
  const basePath = new URL(opts.baseURL).pathname.replace(/\/+$/, '');
  let inflight = 0;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const op = operationLabel(method, new URL(url).pathname, basePath);
    const outer = init?.signal ?? undefined;
    // The per-IP pace first: a token permit must be spent at once, or the in-flight count behind the sync is wrong.
    await opts.ipLimiter?.acquire(outer);
    await opts.limiter.acquire(outer);
    const ac = new AbortController();
    const onAbort = () => ac.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    // The SDK's own timer would also count time spent waiting for a permit, so the per-attempt timeout lives here.
    const cancel = opts.clock.setTimer(() => ac.abort(new DOMException(`Cloudflare request timed out after ${opts.timeoutMs} ms`, 'TimeoutError')), opts.timeoutMs);
    inflight++;
    let res: Response;
    try {
      const raw = await fetch(input, { ...init, signal: ac.signal });
      // Read the whole body here: a reply cut off mid-body is then a connection error the SDK retries, not a parse crash.
      const body = raw.status === 204 || raw.status === 304 ? null : await raw.arrayBuffer();
      res = new Response(body, { status: raw.status, statusText: raw.statusText, headers: raw.headers });
    } catch (err) {
      opts.onRequest?.(op, 0);
      throw err;
    } finally {
      inflight--;
      cancel();
      outer?.removeEventListener('abort', onAbort);
    }
    opts.onRequest?.(op, res.status);
    const reset = observeRateLimit(res.headers, opts, inflight);
    if (res.status !== 429) return res;
    const waitMs = parseRetryAfter(res.headers.get('retry-after'), () => opts.clock.now()) ?? reset ?? opts.defaultRetryAfterMs ?? 60_000;
    opts.limiter.pauseFor(waitMs);
    const headers = new Headers(res.headers);
    headers.set('x-should-retry', 'false');
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

/** operationLabel names a request by resource and verb, e.g. `dns_records.list`, for metrics and tests. */
export function operationLabel(method: string, pathname: string, basePath = ''): string {
  const path = pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname;
  const s = path.split('/').filter(Boolean);
  if (s[0] === 'zones' && s.length === 1) return method === 'GET' ? 'zones.list' : `zones.${method.toLowerCase()}`;
  if (s[0] === 'zones' && s.length === 2) return method === 'GET' ? 'zones.get' : `zones.${method.toLowerCase()}`;
  if (s[0] === 'zones' && s[2] === 'dns_records') {
    if (s.length === 3) return method === 'GET' ? 'dns_records.list' : method === 'POST' ? 'dns_records.create' : `dns_records.${method.toLowerCase()}`;
    if (s.length === 4 && s[3] === 'batch') return 'dns_records.batch';
    if (s.length === 4) return `dns_records.${({ GET: 'get', PATCH: 'edit', PUT: 'update', DELETE: 'delete' } as Record<string, string>)[method] ?? method.toLowerCase()}`;
  }
  return `other.${method.toLowerCase()}`;
}

// `Ratelimit: "default";r=<remaining>;t=<seconds>`: lower our estimate, and stop before the server would say 429.
function observeRateLimit(headers: Headers, opts: LimitedFetchOptions, othersInFlight: number): number | undefined {
  const h = headers.get('ratelimit');
  if (!h) return undefined;
  const r = /(?:^|;)\s*r=(\d+)/.exec(h);
  const t = /(?:^|;)\s*t=(\d+)/.exec(h);
  const resetMs = t ? Number(t[1]) * 1000 : undefined;
  if (!r) return resetMs;
  // Requests already sent but not yet answered will spend part of what the server reports as remaining.
  const remaining = Number(r[1]) - othersInFlight;
  opts.limiter.sync(Math.max(0, remaining));
  if (remaining <= 0 && resetMs !== undefined) opts.limiter.pauseFor(resetMs);
  return resetMs;
}
