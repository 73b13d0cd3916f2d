// Cloudflare error classification: SDK APIErrors become DomainErrors of the closed code set, exactly once, here.
import Cloudflare from 'cloudflare';
import type { ErrorCode, VendorDetail } from '../engine/errors.js';
import { DomainError } from '../engine/errors.js';
import { scrubProvider } from '../obs/redact.js';

/** Scope shared by every auth failure of one token, so the engine emits one event, not one per object. */
export const TOKEN_SCOPE = 'cloudflare-token';
/** Cloudflare's "Record does not exist." code: callers treat it as already gone. */
import { RECORD_NOT_FOUND } from './cloudflare-not-found.js';

export { RECORD_NOT_FOUND, isRecordNotFound } from './cloudflare-not-found.js';

// 9109/10000 bad or under-privileged token, 1000 invalid token, 9103/9106 key auth, 6003/6103/6111 malformed headers.
const AUTH_CODES = new Set([1000, 9103, 9106, 9109, 10000, 6003, 6103, 6111]);
// 81056: an NS delegation shares the name with other types.
const CONFLICT_CODES = new Set([81053, 81054, 81056, 81057, 81058]);
/** Cloudflare's "Record quota exceeded." code. */
const QUOTA_CODE = 81045;
const ZONE_CODES = new Set([7003, 7000]);
/** Used when a 429 carries no retry-after at all. */
const DEFAULT_RETRY_AFTER_MS = 60_000;

interface CfErrorData { code?: number; message?: string; error_chain?: Array<{ code?: number; message?: string }> }

/**
 * classifyCloudflareError maps an SDK error to a DomainError of the closed code set (a DnsError with a fact for the two
 * NotFounds the DNS port tells apart). `secret` is scrubbed from every message in case a server ever echoes it.
 */
export function classifyCloudflareError(err: unknown, secret: string, now: () => number = Date.now): Error {
  if (err instanceof Cloudflare.APIUserAbortError) return err;
  if (err instanceof Cloudflare.APIConnectionError) {
    // APIConnectionTimeoutError extends APIConnectionError; both mean "try again later".
    const timeout = err instanceof Cloudflare.APIConnectionTimeoutError;
    const message = scrub(`Cloudflare API ${timeout ? 'request timed out' : 'connection failed'}`, secret);
    return new DomainError('Unavailable', message, { provider: 'cloudflare', status: 0, code: timeout ? 'Timeout' : 'ConnectionError', message });
  }
  if (!(err instanceof Cloudflare.APIError) || err.status === undefined) return err instanceof Error ? err : new Error(String(err));

  const status = err.status;
  // Messages, codes, chains and the ray id come from the API and may echo the token: scrubbed on entry.
  const errors = scrubProvider((err.errors ?? []) as CfErrorData[], secret);
  const codes = errors.map((e) => e.code ?? 0);
  const first = errors[0];
  const chain = errors.flatMap((e) => e.error_chain ?? []).map((c) => `${c.code ?? '?'} ${c.message ?? ''}`.trim());
  const base = first?.message ?? `HTTP ${status}`;
  const message = scrub(chain.length > 0 ? `${base}: ${chain.join('; ')}` : base, secret);
  const code = String(first?.code ?? status);
  const requestId = scrubProvider(err.headers?.get('cf-ray') ?? undefined, secret);
  const detail: VendorDetail = { provider: 'cloudflare', status, code, message, ...(requestId ? { requestId } : {}), details: errors };
  const text = `Cloudflare ${status} (code ${code}): ${message}`;
  const e = (c: ErrorCode, opts: ConstructorParameters<typeof DomainError>[3] = {}) => new DomainError(c, text, detail, opts);
  const has = (set: Set<number>) => codes.some((c) => set.has(c));

  if (status === 429) return e('RateLimited', { retryAfterMs: parseRetryAfter(err.headers?.get('retry-after') ?? null, now) ?? DEFAULT_RETRY_AFTER_MS });
  if (status === 401 || status === 403 || (status === 400 && has(AUTH_CODES))) return e('Unauthorized', { scope: TOKEN_SCOPE });
  if (status === 400 && has(CONFLICT_CODES)) return e('Conflict');
  // Retrying cannot help until someone deletes records or upgrades the plan.
  if (codes.includes(QUOTA_CODE)) return e('QuotaExceeded');
  if (status === 404 && codes.includes(Number(RECORD_NOT_FOUND))) return e('NotFound', { fact: 'RecordNotFound' });
  // Traces show 7003/7000 for a bad zone id with both 400 (older) and 404 (2025).
  if ((status === 404 || status === 400) && has(ZONE_CODES)) return e('NotFound', { fact: 'ZoneNotFound' });
  if (status === 408 || status === 409 || status >= 500) return e('Unavailable');
  if (status === 400 || status === 422) return e('Invalid');
  if (status === 404) return e('NotFound');
  return e('Unavailable');
}

/** parseRetryAfter reads `retry-after` as seconds or an HTTP date, in ms. */
export function parseRetryAfter(value: string | null, now: () => number = Date.now): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

function scrub(text: string, secret: string): string {
  return secret.length >= 4 ? text.split(secret).join('[redacted]') : text;
}
