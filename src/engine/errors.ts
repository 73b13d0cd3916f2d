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

/** ProviderError is an HTTP failure classified once at the client boundary. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly provider: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** isCode narrows an unknown error to a ProviderError with one of the given codes. */
export function isProviderCode(err: unknown, ...codes: string[]): err is ProviderError {
  return err instanceof ProviderError && codes.includes(err.code);
}
