// Takes the instance lease for run and apply: a conflict throws LeaseConflictError; an unreachable provider only warns.
import type { InstanceLease } from './lease.js';
import type { Logger } from '../obs/log.js';
import { TerminalError } from '../engine/errors.js';
import { LeaseConflictError } from './lease.js';

/** How long start-up waits for the lease before going on with a warning. */
export const LEASE_START_TIMEOUT_MS = 20_000;

/**
 * takeLease acquires the lease (run) or only checks it (apply: one read, so a converged apply still writes nothing);
 * a conflict is rethrown; without a usable Hetzner token it warns and goes on.
 */
export async function takeLease(rt: { lease: InstanceLease; log: Logger; instance: string }, mode: 'hold' | 'check' = 'hold'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // An unreachable provider must not hold the daemon's start for the client's whole retry schedule.
  const slow = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${LEASE_START_TIMEOUT_MS / 1000} s`)), LEASE_START_TIMEOUT_MS); timer.unref(); });
  try {
    const taking = mode === 'hold' ? rt.lease.acquire() : rt.lease.check();
    // Left running after a timeout, its late failure must not become an unhandled rejection.
    taking.catch(() => undefined);
    await Promise.race([taking, slow]);
  } catch (err) {
    if (err instanceof LeaseConflictError) throw err;
    // No token (a DNS-only setup), a bad one, or an outage: the daemon checks again at every refresh.
    const level = err instanceof TerminalError && err.reason === 'CredentialsMissing' ? 'debug' : 'warn';
    rt.log[level]({ instance: rt.instance, err: (err as Error).message }, 'instance lease could not be checked');
  } finally {
    clearTimeout(timer);
  }
}
