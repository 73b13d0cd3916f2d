// Cloudflare simulator rate limits: a per-token window that blocks for a full period once exceeded, and a per-IP 200/s cap.
import { createHash } from 'node:crypto';
import type { SimResponse } from './framework.js';
import { failure, MSG } from './cloudflare-envelope.js';

export interface RateWindow { start: number; count: number; blockedUntil?: number }

/** RateLimitState is the persisted part: the budget and each token's current window (keyed by a token hash). */
export interface RateLimitState { limit: number; windowMs: number; blockMs?: number; windows: Array<[string, RateWindow]> }

/**
 * CfRateLimiter counts requests per token in fixed windows that open at the token's first request. Once a request
 * finds the window spent, every call of that token is refused for the following `blockMs` (Cloudflare: "every call
 * for the next 5 minutes"), not merely until the window would have ended.
 */
export class CfRateLimiter {
  #windows = new Map<string, RateWindow>();
  constructor(public limit: number, public windowMs: number, public blockMs = windowMs) {}

  /** check counts one request; rejected requests are not counted, so retry-after is exact. */
  check(token: string, now: number): { reject?: SimResponse; headers: Record<string, string> } {
    const key = tokenKey(token);
    let w = this.#windows.get(key);
    if (w?.blockedUntil !== undefined && now < w.blockedUntil) return this.#reject(Math.ceil((w.blockedUntil - now) / 1000));
    if (!w || now >= w.start + this.windowMs || w.blockedUntil !== undefined) {
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    const resetS = Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
    if (w.count >= this.limit) {
      w.blockedUntil = now + this.blockMs;
      return this.#reject(Math.max(1, Math.ceil(this.blockMs / 1000)));
    }
    w.count++;
    return { headers: this.#headers(this.limit - w.count, resetS) };
  }

  /** configure changes the budget (the block lasts one window unless given) and forgets current windows. */
  configure(limit: number, windowMs: number, blockMs = windowMs): void {
    this.limit = limit;
    this.windowMs = windowMs;
    this.blockMs = blockMs;
    this.#windows.clear();
  }

  snapshot(now: number): RateLimitState {
    const live = [...this.#windows].filter(([, w]) => now < w.start + this.windowMs || (w.blockedUntil ?? 0) > now);
    return { limit: this.limit, windowMs: this.windowMs, blockMs: this.blockMs, windows: live.map(([k, w]) => [k, { ...w }]) };
  }

  restore(s: RateLimitState): void {
    this.limit = s.limit;
    this.windowMs = s.windowMs;
    this.blockMs = s.blockMs ?? s.windowMs;
    this.#windows = new Map(s.windows.map(([k, w]) => [k, { ...w }]));
  }

  #reject(retryS: number): { reject: SimResponse; headers: Record<string, string> } {
    const headers = { ...this.#headers(0, retryS), 'retry-after': String(retryS) };
    return { reject: { ...failure(429, [{ code: 971, message: MSG.throttle }]), headers }, headers };
  }

  #headers(remaining: number, resetS: number): Record<string, string> {
    return {
      Ratelimit: `"default";r=${remaining};t=${resetS}`,
      'Ratelimit-Policy': `"burst";q=${this.limit};w=${Math.ceil(this.windowMs / 1000)}`,
    };
  }
}

/** IpRateLimiter caps requests per client address in a sliding window (Cloudflare: 200 requests per second per IP). */
export class IpRateLimiter {
  #seen = new Map<string, number[]>();
  constructor(public limit = 200, public windowMs = 1000) {}

  /** check counts one request from `ip`; over the cap it answers 429 with a one-second retry-after. */
  check(ip: string, now: number): SimResponse | undefined {
    if (this.limit <= 0) return undefined;
    let stamps = this.#seen.get(ip);
    if (!stamps) this.#seen.set(ip, (stamps = []));
    while (stamps.length && stamps[0]! <= now - this.windowMs) stamps.shift();
    if (stamps.length >= this.limit) {
      const retryS = Math.max(1, Math.ceil((stamps[0]! + this.windowMs - now) / 1000));
      return { ...failure(429, [{ code: 971, message: MSG.throttle }]), headers: { 'retry-after': String(retryS) } };
    }
    stamps.push(now);
    return undefined;
  }

  reset(): void { this.#seen.clear(); }
}

// Persisted state files never hold the token itself.
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}
