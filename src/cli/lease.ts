// Takes the instance lease for run and apply: a conflict is a startup error (exit 1); an unreachable provider only a warning.
import { CliError, EXIT } from './io.js';
import { LeaseConflictError, type InstanceLease } from '../daemon/lease.js';
import type { Logger } from '../obs/log.js';

/** takeLease acquires the lease or throws a CliError naming the conflict; without a usable Hetzner token it warns and goes on. */
export async function takeLease(rt: { lease: InstanceLease; log: Logger; instance: string }): Promise<void> {
  try {
    await rt.lease.acquire();
  } catch (err) {
    if (err instanceof LeaseConflictError) throw new CliError(err.message, EXIT.error);
    // No token, a bad one, or an outage: the lease is checked again at every refresh.
    rt.log.warn({ instance: rt.instance, err: (err as Error).message }, 'instance lease could not be checked at start; retrying at the next refresh');
  }
}
