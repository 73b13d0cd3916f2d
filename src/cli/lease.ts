// Takes the instance lease for run and apply: a conflict is a startup error (exit 1); an unreachable provider only a warning.
import { CliError, EXIT } from './io.js';
import { LeaseConflictError, type InstanceLease } from '../daemon/lease.js';
import type { Logger } from '../obs/log.js';
import { TerminalError } from '../engine/errors.js';

/**
 * takeLease acquires the lease (run) or only checks it (apply: one read, so a converged apply still writes nothing), or
 * throws a CliError naming the conflict; without a usable Hetzner token it warns and goes on.
 */
export async function takeLease(rt: { lease: InstanceLease; log: Logger; instance: string }, mode: 'hold' | 'check' = 'hold'): Promise<void> {
  try {
    if (mode === 'hold') await rt.lease.acquire(); else await rt.lease.check();
  } catch (err) {
    if (err instanceof LeaseConflictError) throw new CliError(err.message, EXIT.error);
    // No token (a DNS-only setup), a bad one, or an outage: the daemon checks again at every refresh.
    const level = err instanceof TerminalError && err.reason === 'CredentialsMissing' ? 'debug' : 'warn';
    rt.log[level]({ instance: rt.instance, err: (err as Error).message }, 'instance lease could not be checked');
  }
}
