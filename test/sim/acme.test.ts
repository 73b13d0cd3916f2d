// Simulated Let's Encrypt: issuance only for a name that resolves to the server, 5 failures per host per hour, 5 duplicates per week.
import { describe, expect, it } from 'vitest';
import { AcmeLedger, LE_LIMITS, RETRY_MS } from '../../src/sim/acme.js';

function ledger() {
  let now = 1_000_000;
  return { l: new AcmeLedger(() => now), advance: (ms: number) => { now += ms; } };
}

describe('simulated ACME', () => {
  it('issues only once the name resolves, keeps the certificate, and does not re-order it', () => {
    const { l, advance } = ledger();
    expect(l.certificate('a.example.com', () => false).error).toMatch(/DNS problem/);
    // Traefik waits before it tries the same name again: asking sooner changes nothing.
    expect(l.certificate('a.example.com', () => true).error).toMatch(/DNS problem/);
    advance(RETRY_MS);
    expect(l.certificate('a.example.com', () => true).cert?.issuer).toContain('Let\'s Encrypt');
    expect(l.certificate('a.example.com', () => false).cert).toBeDefined();
    expect(l.attempts('a.example.com').map((a) => a.ok)).toEqual([false, true]);
  });

  it('refuses a host after 5 failed validations in an hour, without counting more, until the hour has passed', () => {
    const { l, advance } = ledger();
    for (let i = 0; i < LE_LIMITS.failedPerHostPerHour; i++) { l.certificate('b.example.com', () => false); advance(RETRY_MS); }
    const locked = l.certificate('b.example.com', () => true);
    expect(locked.error).toMatch(/too many failed authorizations recently/);
    expect(l.attempts('b.example.com')).toHaveLength(LE_LIMITS.failedPerHostPerHour);
    // Another host is not affected.
    expect(l.certificate('c.example.com', () => true).cert).toBeDefined();
    advance(3_600_000);
    expect(l.certificate('b.example.com', () => true).cert).toBeDefined();
  });

  it('a lost acme.json re-orders the same certificate: the sixth in a week is refused', () => {
    const { l, advance } = ledger();
    for (let i = 0; i < LE_LIMITS.duplicatesPerWeek; i++) {
      expect(l.certificate('d.example.com', () => true).cert).toBeDefined();
      l.forget();
      advance(RETRY_MS);
    }
    expect(l.certificate('d.example.com', () => true).error).toMatch(/too many certificates \(5\) already issued/);
    advance(7 * 24 * 3_600_000);
    expect(l.certificate('d.example.com', () => true).cert).toBeDefined();
  });
});
