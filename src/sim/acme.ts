// Simulated Let's Encrypt for the simulated Traefik: issuance needs the name to resolve to the server, under LE's limits.

/** The limits of letsencrypt.org/docs/rate-limits that a small setup can hit. */
export const LE_LIMITS = { failedPerHostPerHour: 5, duplicatesPerWeek: 5 } as const;
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
/** How soon Traefik tries a failed name again (its own back-off; the daemon withdraws the router after 2 failures). */
export const RETRY_MS = 60_000;

export interface Certificate { host: string; issuer: string; notAfter: number; issuedAt: number }
export interface Attempt { host: string; at: number; ok: boolean; error?: string }

/**
 * AcmeLedger is the ACME account of the simulated edge: one certificate per host (kept, as acme.json keeps it), every
 * attempt recorded, failures limited per host per hour and duplicates per week.
 */
export class AcmeLedger {
  readonly #certs = new Map<string, Certificate>();
  readonly #attempts: Attempt[] = [];
  readonly #issued: Array<{ host: string; at: number }> = [];

  constructor(private readonly now: () => number) {}

  /** certificate returns the host's certificate, trying to obtain one when a router asks and the last try is old enough. */
  certificate(host: string, resolves: () => boolean): { cert?: Certificate; error?: string } {
    const have = this.#certs.get(host);
    if (have && have.notAfter > this.now()) return { cert: have };
    const last = this.#attempts.filter((a) => a.host === host).at(-1);
    if (last && !last.ok && this.now() - last.at < RETRY_MS) return { error: last.error! };
    return this.#attempt(host, resolves());
  }

  #attempt(host: string, resolves: boolean): { cert?: Certificate; error?: string } {
    const now = this.now();
    const failures = this.#attempts.filter((a) => a.host === host && !a.ok && now - a.at < HOUR).length;
    // Rejected before any validation: these do not count as new failures.
    if (failures >= LE_LIMITS.failedPerHostPerHour) return { error: `too many failed authorizations recently: ${failures} for ${host} in the last hour` };
    const duplicates = this.#issued.filter((i) => i.host === host && now - i.at < WEEK).length;
    if (duplicates >= LE_LIMITS.duplicatesPerWeek) return { error: `too many certificates (${duplicates}) already issued for this exact set of identifiers in the last 168h0m0s: ${host}` };
    if (!resolves) {
      const error = `acme: error: 400 :: urn:ietf:params:acme:error:dns :: DNS problem: NXDOMAIN or wrong address looking up A for ${host}`;
      this.#attempts.push({ host, at: now, ok: false, error });
      return { error };
    }
    const cert = { host, issuer: 'Simulated Let\'s Encrypt R11', issuedAt: now, notAfter: now + 90 * 24 * HOUR };
    this.#attempts.push({ host, at: now, ok: true });
    this.#issued.push({ host, at: now });
    this.#certs.set(host, cert);
    return { cert };
  }

  /** attempts lists every issuance attempt for a host (tests, and the edge's control API). */
  attempts(host: string): Attempt[] { return this.#attempts.filter((a) => a.host === host); }

  /** forget drops the stored certificates, as a lost acme.json does: the next request for a host is a duplicate order. */
  forget(): void { this.#certs.clear(); }
}
