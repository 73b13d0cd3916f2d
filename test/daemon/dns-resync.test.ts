// The composed daemon ties the DNS list cache to the configured resync: with a short resync, drift is corrected at the next one.
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/daemon/compose.js';
import { ManualClock } from '../../src/engine/clock.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { DEFAULT_CONSISTENCY } from '../../src/sim/cloudflare.js';
import { dnsYaml, tempDir, writeFiles } from '../helpers/cli.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanup) await c(); cleanup = []; });

describe('DNS resync in the composed runtime', () => {
  it('a 20 s resync lists the zone again at the next resync and restores an edited record', async () => {
    const sim = await startSimCloud({ zones: ['example.com'] });
    cleanup.push(() => sim.server.close());
    const desired = tempDir('lc-resync-desired-');
    const stateDir = tempDir('lc-resync-state-');
    writeFiles(desired, { 'www.yaml': dnsYaml('www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.5', ttl: 300 }) });
    const clock = new ManualClock(Date.now());
    const rt = await createRuntime({
      dir: desired, stateDir, instance: 'resync', cloud: { mode: 'sim', url: sim.urls.url }, env: { HOME: stateDir },
      logLevel: 'silent', clock, settings: { DNSRecord: { resyncMs: 20_000 } },
    });
    cleanup.push(async () => { await rt.manager.stop(1000); await rt.close(); });
    rt.manager.start();
    await rt.manager.idle();
    const zone = sim.cloudflare.zoneByName('example.com')!;
    const rec = [...sim.cloudflare.state.records.get(zone.id)!.values()][0]!;
    expect(rec.content).toBe('203.0.113.5');
    rec.content = '198.51.100.66';
    sim.server.clock.advance(DEFAULT_CONSISTENCY.listLagMs);
    // One resync interval plus its 10 % jitter: far below the 300 s the cache used to live regardless.
    clock.advance(22_000);
    await rt.manager.idle();
    expect(rec.content).toBe('198.51.100.66');
    expect([...sim.cloudflare.state.records.get(zone.id)!.values()][0]!.content).toBe('203.0.113.5');
  });
});
