// Cloudflare simulator rate limit: a fixed window per token with Ratelimit headers and 429 code 971.
import { createHash } from 'node:crypto';
import type { SimResponse } from './framework.js';
import { failure, MSG } from './cloudflare-envelope.js';

export interface RateWindow { start: number; count: number }

/** RateLimitState is the persisted part: the budget and each token's current window (keyed by a token hash). */
export interface RateLimitState { limit: number; windowMs: number; windows: Array<[string, RateWindow]> }

/** CfRateLimiter counts requests per token in fixed windows that open at the token's first request. */
export class CfRateLimiter {
  #windows = new Map<string, RateWindow>();
  constructor(public limit: number, public windowMs: number) {}

  /** check counts one request; rejected requests are not counted, so retry-after is exact. */
  check(token: string, now: number): { reject?: SimResponse; headers: Record<string, string> } {
    const key = tokenKey(token);
    let w = this.#windows.get(key);
    if (!w || now >= w.start + this.windowMs) {
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    const resetS = Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
    if (w.count >= this.limit) {
      const headers = { ...this.#headers(0, resetS), 'retry-after': String(resetS) };
      return { reject: { ...failure(429, [{ code: 971, message: MSG.throttle }]), headers }, headers };
    }
    w.count++;
    return { headers: this.#headers(this.limit - w.count, resetS) };
  }

  /** configure changes the budget and forgets current windows. */
  configure(limit: number, windowMs: number): void {
    this.limit = limit;
    this.windowMs = windowMs;
    this.#windows.clear();
  }

  snapshot(now: number): RateLimitState {
    const live = [...this.#windows].filter(([, w]) => now < w.start + this.windowMs);
    return { limit: this.limit, windowMs: this.windowMs, windows: live.map(([k, w]) => [k, { ...w }]) };
  }

  restore(s: RateLimitState): void {
    this.limit = s.limit;
    this.windowMs = s.windowMs;
    this.#windows = new Map(s.windows.map(([k, w]) => [k, { ...w }]));
  }

  #headers(remaining: number, resetS: number): Record<string, string> {
    return {
      Ratelimit: `"default";r=${remaining};t=${resetS}`,
      'Ratelimit-Policy': `"burst";q=${this.limit};w=${Math.ceil(this.windowMs / 1000)}`,
    };
  }
}

// Persisted state files never hold the token itself.
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}
