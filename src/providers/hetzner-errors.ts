// Classifies Hetzner API failures once: which ones the client retries, and which closed-set code each final failure gets.
import type { ErrorCode, VendorDetail } from '../engine/errors.js';
import { DomainError } from '../engine/errors.js';
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

/** vendorDetail keeps what Hetzner said, for messages and debugging. */
export function vendorDetail(f: HetznerFailure): VendorDetail {
  return { provider: 'hetzner', status: f.status, code: f.code, message: f.message, ...(f.requestId ? { requestId: f.requestId } : {}), details: f.details };
}

/** classifyFailure maps the final failure to a DomainError of the closed code set (with a ServerFact where the port documents one). */
export function classifyFailure(failure: HetznerFailure, token?: string): DomainError {
  // Code, fields and request id come from the API and may echo the token: scrubbed before anything reads them.
  const f = scrubProvider(failure, token);
  const d = vendorDetail(f);
  const msg = describe(f);
  const e = (code: ErrorCode, opts: ConstructorParameters<typeof DomainError>[3] = {}) => new DomainError(code, msg, d, opts);
  if (f.status === 401 || ['unauthorized', 'forbidden', 'token_readonly'].includes(f.code)) return e('Unauthorized', { scope: 'hetzner-token' });
  if (f.code === 'invalid_input' || f.code === 'json_error') return e('Invalid');
  // A type change the API can never do (other architecture, smaller disk): retrying cannot help.
  if (f.code === 'invalid_server_type') return e('Invalid', { fact: 'TypeNotPossible' });
  if (f.code === 'not_implemented' || f.status === 501) return e('Invalid', { fact: 'NotSupported' });
  // Sold out is a state of the provider, not of our request: wait minutes, not seconds, before asking again.
  if (f.code === 'resource_unavailable' || f.code === 'server_type_unavailable') return e('Unavailable', { fact: 'NoCapacity', retryAfterMs: CAPACITY_RETRY_MS });
  if (f.code === 'locked') return e('Locked');
  // The server is in a state that forbids the action until something else finishes (e.g. not off before change_type).
  if (f.code === 'server_not_stopped') return e('Locked', { fact: 'NotStopped' });
  // Delete or rebuild protection: the API refuses until the protection is lifted.
  if (f.code === 'protected') return e('Locked');
  if (f.code === 'rate_limit_exceeded' || f.status === 429) return e('RateLimited', f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {});
  if (f.code === 'uniqueness_error') return e('Conflict');
  if (f.code === 'not_found' || f.status === 404) return e('NotFound');
  if (f.code === 'resource_limit_exceeded') return e('QuotaExceeded');
  // Hetzner's `conflict` means the resource changed during the request: transient, unlike a uniqueness clash.
  return e('Unavailable');
}

/** connectionFailure is a request that got no HTTP answer: the outcome is unknown to the caller. */
export function connectionFailure(op: string, message: string, cause: unknown): DomainError {
  return new DomainError('Unavailable', message, { provider: 'hetzner', status: 0, code: 'connection_error', message }, { cause });
}

/** actionFailure is a started operation that ended in error, or one the API no longer knows. */
export function actionFailure(message: string, code: string, missing = false): DomainError {
  const d: VendorDetail = { provider: 'hetzner', status: missing ? 404 : 200, code, message };
  return missing ? new DomainError('NotFound', message, d) : new DomainError('Unavailable', message, d, { fact: 'ActionFailed' });
}
