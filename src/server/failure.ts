// Server-port failure facts finer than the closed code set: set by the provider, read by the Server controller.
import { DomainError, type ErrorCode, type VendorDetail } from '../engine/errors.js';

/**
 * ServerFact is what the Server port documents beyond the code:
 * `NotStopped` the server must be off first, `TypeNotPossible` the type change can never work, `NoCapacity` the type
 * is sold out in the location (retry in minutes), `NotSupported` the API does not implement it, `ActionFailed` a
 * started operation ended in error.
 */
export type ServerFact = 'NotStopped' | 'TypeNotPossible' | 'NoCapacity' | 'NotSupported' | 'ActionFailed';

/** ServerError is a DomainError of the Server port that may carry a ServerFact. */
export class ServerError extends DomainError {
  readonly fact: ServerFact | undefined;
  constructor(code: ErrorCode, message: string, detail: VendorDetail, opts: { fact?: ServerFact; retryAfterMs?: number; scope?: string; cause?: unknown } = {}) {
    super(code, message, detail, opts);
    this.fact = opts.fact;
  }
}

/** serverFact finds the ServerFact of an error or of one of its causes. */
export function serverFact(err: unknown): ServerFact | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ServerError && e.fact) return e.fact;
  }
  return undefined;
}
