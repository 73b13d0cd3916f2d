// End to end: 300 DNSRecords against a simulator limited to 60 requests per window: zero 429s, all Ready, near the minimum time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCloud } from '../../src/sim/cloud.js';
import { cli, condition, dnsYaml, tempDir, writeFiles, type ListItem } from '../helpers/cli.js';

// The scenario is 60 requests per 10 s; the same ratio over 2 s keeps `npm test` fast (bench/dns-rate.ts runs 10 s).
const LIMIT = 60;
const WINDOW_MS = 2000;
const RECORDS = 300;

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
afterAll(async () => { await sim?.server.close(); });

/** minimumMs is the earliest the R-th request can be sent: the simulator's windows are fixed and open at the first request. */
function minimumMs(requests: number): number {
  return Math.max(0, Math.ceil((requests - LIMIT) / LIMIT)) * WINDOW_MS;
}

describe(`apply of ${RECORDS} records under a ${LIMIT}/${WINDOW_MS / 1000}s Cloudflare limit`, () => {
  let desired: string;
  let stateDir: string;
  beforeAll(async () => {
    // Load the command's modules up front so module loading is not timed.
    await import('../../src/cli/commands/apply.js');
    sim = await startSimCloud({ zones: ['example.com'] });
    sim.cloudflare.setRateLimit(LIMIT, WINDOW_MS);
    desired = tempDir('lc-rate-desired-');
    stateDir = tempDir('lc-rate-state-');
    const files: Record<string, string> = {};
    for (let i = 0; i < RECORDS; i++) files[`r${i}.yaml`] = dnsYaml(`r${i}`, { zone: 'example.com', name: `host-${i}`, type: 'A', content: `203.0.113.${(i % 250) + 1}`, ttl: 300 });
    writeFiles(desired, files);
  });

  it('sends every request within the limit (zero 429s) and converges all 300 to Ready', async () => {
    // Sample the simulator's counter to learn when the first request arrived: the limit's clock starts there.
    let firstAt: number | undefined;
    const sampler = setInterval(() => { if (sim.server.requests().total > 0) firstAt ??= Date.now(); }, 5);
    let r: Awaited<ReturnType<typeof cli>>;
    let spanMs: number;
    try {
      r = await cli(['apply', desired, '--sim', sim.urls.url, '--state-dir', stateDir, '--instance', 'rate', '--log-level', 'silent', '--timeout', '60s'], {
        env: { HOME: stateDir, LIVCHAT_CLOUDFLARE_RATE_LIMIT: `${LIMIT}/${WINDOW_MS / 1000}` },
      });
      spanMs = Date.now() - firstAt!;
    } finally {
      clearInterval(sampler);
    }
    const req = sim.server.requests();
    expect(req.byStatus['429'] ?? 0).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(req.byRoute['POST /client/v4/zones/{zone_id}/dns_records']).toBe(RECORDS);
    expect(sim.cloudflare.state.records.get(sim.cloudflare.zoneByName('example.com')!.id)!.size).toBe(RECORDS);

    const list = JSON.parse((await cli(['get', 'dnsrecords', '-o', 'json', '--state-dir', stateDir])).stdout) as { items: ListItem[] };
    expect(list.items.filter((i) => condition(i, 'Ready') === 'True')).toHaveLength(RECORDS);

    // The limit really binds: the run cannot be faster than the windows allow.
    const min = minimumMs(req.total);
    const waits = min / WINDOW_MS;
    expect(waits).toBeGreaterThanOrEqual(4);
    expect(spanMs).toBeGreaterThanOrEqual(min);
    // Nor much slower: a reset is announced in whole seconds, so each wait may overshoot the window by under 1 s,
    // plus the last burst itself (a few seconds allowed under a loaded test run). The 1.1× bound is held by
    // bench/dns-rate.ts at the real 10 s window.
    expect(spanMs).toBeLessThan(min + waits * 1000 + 5000);
  });
});
