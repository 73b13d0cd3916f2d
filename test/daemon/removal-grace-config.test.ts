// LIVCHAT_REMOVAL_GRACE parsing: per-kind durations; a bad entry is an error, never silently ignored.
import { describe, expect, it } from 'vitest';
import { parseRemovalGrace } from '../../src/daemon/compose.js';

describe('parseRemovalGrace', () => {
  it('reads Kind=duration pairs', () => {
    expect(parseRemovalGrace('Server=10m, DNSRecord=30s,AppDeployment=0')).toEqual({ Server: 600_000, DNSRecord: 30_000, AppDeployment: 0 });
    expect(parseRemovalGrace('')).toEqual({});
  });
  it('refuses what it cannot read', () => {
    expect(() => parseRemovalGrace('Server')).toThrow(/use Kind=duration/);
    expect(() => parseRemovalGrace('Server=soon')).toThrow(/invalid duration/);
  });
});
