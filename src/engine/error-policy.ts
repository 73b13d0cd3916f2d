// The one table that maps a provider failure code to what the engine does with the key.
import type { ErrorCode } from './errors.js';

/** ErrorPolicy: `backoff` retries with per-key exponential backoff (honouring retry-after); `stall` waits for a human. */
export interface ErrorPolicy { action: 'backoff' | 'stall'; reason: string }

/** ERROR_POLICY decides retries for every code a controller lets escape; controllers handle expected codes themselves. */
export const ERROR_POLICY: Readonly<Record<ErrorCode, ErrorPolicy>> = {
  // The resource vanished between observe and act: the next pass observes again.
  NotFound: { action: 'backoff', reason: 'NotFound' },
  // Something that is not ours is in the way: retrying cannot remove it.
  Conflict: { action: 'stall', reason: 'Conflict' },
  RateLimited: { action: 'backoff', reason: 'RateLimited' },
  // A bad or under-privileged token: a human fixes it, then SIGHUP or a restart retries.
  Unauthorized: { action: 'stall', reason: 'AuthenticationFailed' },
  // The provider rejected the request as malformed: the spec must change.
  Invalid: { action: 'stall', reason: 'InvalidRequest' },
  Unavailable: { action: 'backoff', reason: 'ProviderUnavailable' },
  // Another operation holds the resource (Hetzner 423): it ends by itself.
  Locked: { action: 'backoff', reason: 'Locked' },
  QuotaExceeded: { action: 'stall', reason: 'QuotaExceeded' },
};
