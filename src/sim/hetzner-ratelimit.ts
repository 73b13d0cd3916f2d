// Hetzner simulator rate limit: one refilling token bucket per API token, exposed through RateLimit-* headers.
import { createHash } from 'node:crypto';
import type { SimResponse } from './framework.js';
import { herror } from './hetzner-http.js';

interface Bucket { tokens: number; last: number }

export class SimBuckets {
  #buckets = new Map<string, Bucket>();
  readonly #perMs: number;

  constructor(readonly limit: number, readonly windowMs: number) {
    this.#perMs = limit / windowMs;
  }

  /** take spends one request for `token` and returns the headers, or the 429 when the bucket is empty. */
  take(token: string, now: number): { reject?: SimResponse; headers: Record<string, string> } {
    // Buckets are keyed by a hash so persisted sim state never holds a token.
    const key = createHash('sha256').update(token).digest('hex').slice(0, 16);
    const b = this.#buckets.get(key) ?? { tokens: this.limit, last: now };
    b.tokens = Math.min(this.limit, b.tokens + Math.max(0, now - b.last) * this.#perMs);
    b.last = now;
    this.#buckets.set(key, b);
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    const headers = {
      'RateLimit-Limit': String(this.limit),
      'RateLimit-Remaining': String(Math.floor(b.tokens)),
      // Reset is the unix second at which the bucket will be full again.
      'RateLimit-Reset': String(Math.ceil((now + (this.limit - b.tokens) / this.#perMs) / 1000)),
    };
    if (ok) return { headers };
    const per = this.windowMs === 3_600_000 ? 'hour' : `${this.windowMs / 1000} seconds`;
    const reject = herror(429, 'rate_limit_exceeded', `Limit of '${this.limit}' requests per ${per} for token '${token.slice(0, 4)}…' reached.`);
    reject.headers = headers;
    return { reject, headers };
  }

  snapshot(): Record<string, Bucket> {
    return Object.fromEntries([...this.#buckets].map(([k, v]) => [k, { ...v }]));
  }

  restore(raw: unknown): void {
    this.#buckets = new Map(Object.entries((raw ?? {}) as Record<string, Bucket>).map(([k, v]) => [k, { ...v }]));
  }

  reset(): void { this.#buckets.clear(); }
}
