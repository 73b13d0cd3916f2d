// Typed reconcile errors: the engine picks retry policy from the error's class, never from flags.

/** RetryableError is a transient failure (5xx, timeout, 429): the key is retried with per-key exponential backoff. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  /** Stable machine code, suitable as a metric label, e.g. `RateLimited`, `ProviderUnavailable`. */
  readonly reason: string;
  /** Minimum delay the provider asked for (Retry-After), if any. */
  readonly retryAfterMs: number | undefined;
  constructor(reason: string, message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.reason = reason;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** WaitError means something external is still converging: requeue after `afterMs`, not counted as a failure. */
export class WaitError extends Error {
  override readonly name = 'WaitError';
  readonly reason: string;
  readonly afterMs: number;
  /** Keys of other objects this one waits on, shown by `describe`. */
  readonly waitingOn: string[];
  constructor(reason: string, message: string, afterMs: number, waitingOn: string[] = []) {
    super(message);
    this.reason = reason;
    this.afterMs = afterMs;
    this.waitingOn = waitingOn;
  }
}

/** TerminalError needs a human: the object is marked Stalled and not retried until its spec changes. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly reason: string;
  /** Scope groups errors that share one cause (e.g. `cloudflare-token`) so one event is emitted, not one per object. */
  readonly scope: string | undefined;
  constructor(reason: string, message: string, opts: { scope?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.reason = reason;
    this.scope = opts.scope;
  }
}

/** ERROR_CODES is the closed set of failure codes every provider maps its failures to; the engine's policy table keys on it. */
export const ERROR_CODES = ['NotFound', 'Conflict', 'RateLimited', 'Unauthorized', 'Invalid', 'Unavailable', 'Locked', 'QuotaExceeded'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** VendorDetail keeps what the provider itself said, for messages and debugging; controllers never branch on it. */
export interface VendorDetail {
  provider: string;
  /** HTTP status, 0 for a connection failure. */
  status: number;
  /** The vendor's own error code (e.g. `uniqueness_error`, `81044`). */
  code: string;
  message: string;
  requestId?: string;
  details?: unknown;
}

/** DomainError is a provider failure mapped to the closed code set; its retry policy comes from the engine's table. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly detail: VendorDetail;
  /** Minimum delay the provider asked for (Retry-After), if any. */
  readonly retryAfterMs: number | undefined;
  /** Scope groups failures with one shared cause (e.g. `cloudflare-token`): one event, not one per object. */
  readonly scope: string | undefined;
  /** A fact the port documents beyond the code (e.g. `ZoneNotFound`, `NoCapacity`); each kind's `failure.ts` names its facts. */
  readonly fact: string | undefined;
  constructor(code: ErrorCode, message: string, detail: VendorDetail, opts: { retryAfterMs?: number; scope?: string; fact?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.detail = detail;
    this.retryAfterMs = opts.retryAfterMs;
    this.scope = opts.scope;
    this.fact = opts.fact;
  }
}

/** factOf finds the port fact of an error or of one of its causes. */
export function factOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DomainError && e.fact) return e.fact;
  }
  return undefined;
}

/** errorCode finds the closed-set code of an error or of one of its causes. */
export function errorCode(err: unknown): ErrorCode | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DomainError) return e.code;
  }
  return undefined;
}

/** hasCode tells whether an error (or a cause) carries one of the given codes: the only way controllers branch on failures. */
export function hasCode(err: unknown, ...codes: ErrorCode[]): boolean {
  const c = errorCode(err);
  return c !== undefined && codes.includes(c);
}
