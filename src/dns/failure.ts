// DNS-port failure facts finer than the closed code set: which thing was not found, set by the provider.
import { DomainError, type ErrorCode, type VendorDetail } from '../engine/errors.js';

/** DnsFact tells a NotFound apart: `ZoneNotFound` the zone (a setup problem), `RecordNotFound` one record (already gone). */
export type DnsFact = 'ZoneNotFound' | 'RecordNotFound';

/** DnsError is a DomainError of the DNS port that may carry a DnsFact. */
export class DnsError extends DomainError {
  readonly fact: DnsFact | undefined;
  constructor(code: ErrorCode, message: string, detail: VendorDetail, opts: { fact?: DnsFact; retryAfterMs?: number; scope?: string; cause?: unknown } = {}) {
    super(code, message, detail, opts);
    this.fact = opts.fact;
  }
}

/** dnsFact finds the DnsFact of an error or of one of its causes. */
export function dnsFact(err: unknown): DnsFact | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DnsError && e.fact) return e.fact;
  }
  return undefined;
}

/** isRecordNotFound tells whether an error says the record does not exist (so a delete is already done). */
export const isRecordNotFound = (err: unknown): boolean => dnsFact(err) === 'RecordNotFound';
