// Classifies Portainer (and proxied Docker) failures once, into DomainErrors with the closed codes, scrubbed of secrets.
import { DomainError, type ErrorCode } from '../engine/errors.js';
import { scrubProvider } from '../obs/redact.js';

/** Scope shared by every auth failure of one server's API key, so one event is emitted, not one per app. */
export const PORTAINER_TOKEN_SCOPE = 'portainer-token';
/** How long a /api/auth ban lasts in Portainer (NewRateLimiter(10, 1s, 1h)). */
export const AUTH_BAN_MS = 3_600_000;

/** PortainerFailure is one failed exchange, parsed from `{message, details}` (Portainer) or `{message}` (Docker). */
export interface PortainerFailure {
  op: string;
  method: string;
  /** Path below the base URL, e.g. `/api/stacks/3`. */
  path: string;
  /** HTTP status; 0 when no response came (connection refused, reset, timeout). */
  status: number;
  message: string;
  details?: string;
  retryAfterMs?: number;
  /** `redirect-reason` of a 303 (AdminInitTimeout). */
  redirectReason?: string;
}

function codeOf(f: PortainerFailure): ErrorCode {
  if (f.status === 0) return 'Unavailable';
  if (f.status === 409) return /in progress/i.test(`${f.message} ${f.details ?? ''}`) ? 'Locked' : 'Conflict';
  if (f.status === 404) return 'NotFound';
  if (f.status === 429) return 'RateLimited';
  // Portainer answers a banned address on /api/auth with 403 Access denied: a temporary ban, not a bad credential.
  if (f.status === 403 && /\/api\/auth$/.test(f.path) && f.message === 'Access denied') return 'RateLimited';
  if (f.status === 401 || f.status === 403) return 'Unauthorized';
  if (f.status === 400 || f.status === 422) return 'Invalid';
  // 303 AdminInitTimeout: the instance locked itself until restarted; 5xx and gateways are transient.
  if (f.status === 303 || f.status >= 500) return 'Unavailable';
  return 'Invalid';
}

/** classifyPortainer maps the final failure to a DomainError; `secrets` (API key, JWT, passwords, values) never survive into it. */
export function classifyPortainer(failure: PortainerFailure, ...secrets: Array<string | undefined>): DomainError {
  const f = scrubProvider(failure, ...secrets);
  const code = codeOf(f);
  const what = f.status === 0 ? f.message : `${f.message}${f.details && f.details !== f.message ? ` (${f.details})` : ''} (HTTP ${f.status})`;
  const hint = f.redirectReason === 'AdminInitTimeout' ? ': Portainer locked itself (admin initialisation timeout) until it is restarted' : '';
  const retryAfterMs = f.retryAfterMs ?? (code === 'RateLimited' && f.status === 403 ? AUTH_BAN_MS : undefined);
  return new DomainError(code, `portainer ${f.op}: ${what}${hint}`, {
    provider: 'portainer',
    status: f.status,
    code: f.redirectReason ?? (f.status === 0 ? 'network' : `http_${f.status}`),
    message: f.message,
    details: { details: f.details, method: f.method, path: f.path },
  }, {
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(code === 'Unauthorized' ? { scope: PORTAINER_TOKEN_SCOPE } : {}),
  });
}

/** parseRetryAfter reads `retry-after` as seconds or an HTTP date, in ms. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
