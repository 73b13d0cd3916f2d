// The CLI's face of the instance lease: a lease conflict becomes a startup error (exit 1).
import { CliError, EXIT } from './io.js';
import { LeaseConflictError, type InstanceLease } from '../daemon/lease.js';
import { takeLease as take } from '../daemon/take-lease.js';
import type { Logger } from '../obs/log.js';

export { LEASE_START_TIMEOUT_MS } from '../daemon/take-lease.js';

/** takeLease is the daemon's takeLease with a conflict turned into a CliError naming it. */
export async function takeLease(rt: { lease: InstanceLease; log: Logger; instance: string }, mode: 'hold' | 'check' = 'hold'): Promise<void> {
  try {
    await take(rt, mode);
  } catch (err) {
    if (err instanceof LeaseConflictError) throw new CliError(err.message, EXIT.error);
    throw err;
  }
}
