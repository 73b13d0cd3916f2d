// End to end: 300 DNSRecords against a simulator limited to 60 requests per window: zero 429s and all Ready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCloud } from '../../src/sim/cloud.js';
import { cli, condition, dnsYaml, tempDir, writeFiles, type ListItem } from '../helpers/cli.js';

// The scenario is 60 requests per 10 s; the same ratio over 2 s keeps `npm test` fast. Wall time against the
// minimum the limit allows is measured by bench/dns-rate.ts at the real 10 s window, never asserted here.
const LIMIT = 60;
const WINDOW_S = 2;
const RECORDS = 300;

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
let desired: string;
let stateDir: string;

beforeAll(async () => {
  sim = await startSimCloud({ zones: ['example.com'] });
  sim.cloudflare.setRateLimit(LIMIT, WINDOW_S * 1000);
  desired = tempDir('lc-rate-desired-');
  stateDir = tempDir('lc-rate-state-');
  const files: Record<string, string> = {};
  for (let i = 0; i < RECORDS; i++) files[`r${i}.yaml`] = dnsYaml(`r${i}`, { zone: 'example.com', name: `host-${i}`, type: 'A', content: `203.0.113.${(i % 250) + 1}`, ttl: 300 });
  writeFiles(desired, files);
});
afterAll(async () => { await sim?.server.close(); });

describe(`apply of ${RECORDS} records under a ${LIMIT}/${WINDOW_S}s Cloudflare limit`, () => {
  it('sends every request within the limit (zero 429s) and converges all 300 to Ready', async () => {
    const r = await cli(['apply', desired, '--sim', sim.urls.url, '--state-dir', stateDir, '--instance', 'rate', '--log-level', 'silent', '--timeout', '60s'], {
      env: { HOME: stateDir, LIVCHAT_CLOUDFLARE_RATE_LIMIT: `${LIMIT}/${WINDOW_S}` },
    });
    const req = sim.server.requests();
    const why = JSON.stringify({ req, stderr: r.stderr, tail: r.stdout.slice(-300) });
    expect(req.byStatus['429'] ?? 0, why).toBe(0);
    expect(r.stderr, why).toBe('');
    expect(r.code, why).toBe(0);
    // Every request succeeded at the first attempt, and there were enough of them that the limit had to bind.
    expect(req.byStatus['200']).toBe(req.total);
    expect(req.total).toBeGreaterThan(RECORDS);
    expect(req.byRoute['POST /client/v4/zones/{zone_id}/dns_records']).toBe(RECORDS);
    expect(sim.cloudflare.state.records.get(sim.cloudflare.zoneByName('example.com')!.id)!.size).toBe(RECORDS);

    const list = JSON.parse((await cli(['get', 'dnsrecords', '-o', 'json', '--state-dir', stateDir])).stdout) as { items: ListItem[] };
    expect(list.items).toHaveLength(RECORDS);
    expect(list.items.filter((i) => condition(i, 'Ready') === 'True')).toHaveLength(RECORDS);
  });

  it('the simulator really enforces the budget: one more request in the window is refused with 429 code 971', async () => {
    // A long window, so a slow machine cannot see it roll over mid-probe.
    sim.cloudflare.setRateLimit(LIMIT, 600_000);
    const token = 'rate-probe-token-0123456789';
    const zone = sim.cloudflare.zoneByName('example.com')!;
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      const res = await fetch(`${sim.urls.cloudflare}/zones/${zone.id}`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(res.status);
      if (res.status === 429) expect(((await res.json()) as { errors: Array<{ code: number }> }).errors[0]!.code).toBe(971);
      else await res.arrayBuffer();
    }
    expect(statuses.slice(0, LIMIT).every((s) => s === 200)).toBe(true);
    expect(statuses[LIMIT]).toBe(429);
  });
});
