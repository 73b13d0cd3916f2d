// Classifies Hetzner API failures once: which ones the client retries, and which engine error each final failure becomes.
import { ProviderError, RetryableError, TerminalError } from '../engine/errors.js';
import { scrubProvider } from '../obs/redact.js';

/** HetznerFailure is one failed HTTP exchange, already parsed from the error envelope. */
export interface HetznerFailure {
  op: string;
  status: number;
  code: string;
  message: string;
  details: unknown;
  requestId: string | undefined;
  retryAfterMs?: number;
}

const GATEWAY = new Set([502, 503, 504]);
/** How long to wait before retrying after the API reports no capacity for a type in a location. */
export const CAPACITY_RETRY_MS = 5 * 60_000;
const TRANSIENT_CODES = new Set(['conflict', 'timeout', 'bad_gateway', 'unavailable', 'maintenance']);

/** shouldRetry: rate limits never executed, so any method may retry them; other transients only when idempotent. */
export function shouldRetry(f: Pick<HetznerFailure, 'status' | 'code'>, idempotent: boolean): boolean {
  if (f.code === 'rate_limit_exceeded' || f.status === 429) return true;
  if (!idempotent) return false;
  return GATEWAY.has(f.status) || TRANSIENT_CODES.has(f.code);
}

/** fieldSummary renders `details.fields[{name,messages}]` as `name: msg; other: msg`. */
export function fieldSummary(details: unknown): string {
  const fields = (details as { fields?: Array<{ name?: string; messages?: string[] }> } | null)?.fields;
  if (!Array.isArray(fields) || fields.length === 0) return '';
  return fields.map((f) => `${f.name ?? '?'}: ${(f.messages ?? []).join(', ') || 'invalid'}`).join('; ');
}

/** redact removes the token, and the token prefix the API echoes in rate-limit messages. */
export function redact(text: string, token: string): string {
  let out = text.replace(/token '[^']*'/g, "token '<redacted>'");
  if (token.length > 0) out = out.split(token).join('<redacted>');
  return out;
}

function describe(f: HetznerFailure): string {
  const fields = fieldSummary(f.details);
  return `hetzner ${f.op}: ${f.message} (${f.code}, HTTP ${f.status})${fields ? ` [${fields}]` : ''}${f.requestId ? ` (request ${f.requestId})` : ''}`;
}

export function toProviderError(f: HetznerFailure): ProviderError {
  return new ProviderError('hetzner', f.status, f.code, describe(f), f.requestId, f.details);
}

/** classifyFailure maps the final failure to the engine's typed errors; the ProviderError stays as `cause`. */
export function classifyFailure(failure: HetznerFailure): Error {
  // Code, fields and request id come from the API and may echo the token: scrubbed before anything reads them.
  const f = scrubProvider(failure);
  const cause = toProviderError(f);
  const msg = cause.message;
  if (f.status === 401 || ['unauthorized', 'forbidden', 'token_readonly'].includes(f.code)) {
    return new TerminalError('AuthenticationFailed', msg, { scope: 'hetzner-token', cause });
  }
  if (f.code === 'invalid_input' || f.code === 'json_error') return new TerminalError('InvalidSpec', msg, { cause });
  // A type change the API can never do (other architecture, smaller disk): retrying cannot help.
  if (f.code === 'invalid_server_type') return new TerminalError('InvalidServerType', msg, { cause });
  if (f.code === 'not_implemented' || f.status === 501) return new TerminalError('NotSupported', msg, { cause });
  // Sold out is a state of the provider, not of our request: wait minutes, not seconds, before asking again.
  if (f.code === 'resource_unavailable' || f.code === 'server_type_unavailable') return new RetryableError('CapacityUnavailable', msg, { cause, retryAfterMs: CAPACITY_RETRY_MS });
  if (f.code === 'locked') return new RetryableError('Locked', msg, { cause });
  if (f.code === 'rate_limit_exceeded' || f.status === 429) return new RetryableError('RateLimited', msg, { cause, retryAfterMs: f.retryAfterMs });
  if (f.code === 'conflict') return new RetryableError('Conflict', msg, { cause });
  if (f.status >= 500 || f.code === 'timeout' || f.code === 'unavailable' || f.code === 'maintenance') {
    return new RetryableError('ProviderUnavailable', msg, { cause });
  }
  return cause;
}
