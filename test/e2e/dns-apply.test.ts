// End to end: `livchat plan` and `livchat apply --sim` over 50 DNSRecord files in 2 zones against a loopback simulator.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCloud } from '../../src/sim/cloud.js';
import { DEFAULT_CONSISTENCY, type CfRecord } from '../../src/sim/cloudflare.js';
import { writes } from '../helpers/harness.js';
import { cli, condition, dnsYaml, tempDir, writeFiles, type ListItem } from '../helpers/cli.js';

const PATCH = 'PATCH /client/v4/zones/{zone_id}/dns_records/{dns_record_id}';
const DELETE = 'DELETE /client/v4/zones/{zone_id}/dns_records/{dns_record_id}';
const POST = 'POST /client/v4/zones/{zone_id}/dns_records';
const ZONES = ['example.com', 'example.org'];
const N = 50;

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
let desired: string;
let stateDir: string;
let unowned: CfRecord;

const spec = (i: number, content = `203.0.113.${i + 1}`) => ({ zone: ZONES[i % 2]!, name: `host${i}`, type: 'A', content, ttl: 300 });
const global = () => ['--state-dir', stateDir, '--instance', 'e2e', '--log-level', 'silent'];
// Each run is a new process with empty caches: first let the simulated Cloudflare's lists catch up with earlier writes.
const settle = () => sim.server.clock.advance(DEFAULT_CONSISTENCY.listLagMs);
const apply = () => { settle(); return cli(['apply', desired, '--sim', sim.urls.url, '--timeout', '30s', ...global()]); };
const plan = () => { settle(); return cli(['plan', desired, '--sim', sim.urls.url, ...global()]); };
const list = async (): Promise<ListItem[]> => {
  const r = await cli(['get', 'dnsrecords', '-o', 'json', '--state-dir', stateDir]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { items: ListItem[] }).items;
};
const zoneRecords = (zone: string): CfRecord[] => [...sim.cloudflare.state.records.get(sim.cloudflare.zoneByName(zone)!.id)!.values()];
const ours = (): CfRecord[] => ZONES.flatMap(zoneRecords).filter((r) => r.comment?.includes('livchat'));
const byRoute = (route: string): number => sim.server.requests().byRoute[route] ?? 0;

beforeAll(async () => {
  sim = await startSimCloud({ zones: ZONES });
  desired = tempDir('lc-e2e-desired-');
  stateDir = tempDir('lc-e2e-state-');
  const files: Record<string, string> = {};
  for (let i = 0; i < N; i++) files[`zone-${i % 2}/host${i}.yaml`] = dnsYaml(`host${i}`, spec(i));
  writeFiles(desired, files);
  // An unowned record created outside livchat, before livchat ever ran.
  unowned = structuredClone(sim.cloudflare.createRecord(sim.cloudflare.zoneByName('example.com')!.id, { type: 'A', name: 'legacy', content: '198.51.100.7', ttl: 1 }));
});
afterAll(async () => { await sim.server.close(); });

describe('apply --sim on 50 DNSRecords in 2 zones', () => {
  it('plan before apply reports 50 creates, exits 2 and writes nothing', async () => {
    sim.server.resetCounters();
    const r = await plan();
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`Plan: ${N} to create, 0 to update, 0 to delete, 0 conflicts, 0 blocked, 0 unchanged.`);
    expect(r.stdout).toMatch(/^\+ DNSRecord\/host0: create/m);
    expect(writes(sim.server)).toBe(0);
    expect(ours()).toHaveLength(0);
  });

  it('converges all 50 to Ready and exits 0, leaving the unowned record alone', async () => {
    sim.server.resetCounters();
    const r = await apply();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`apply: ${N} objects Ready and Synced`);
    expect(byRoute(POST)).toBe(N);
    expect(writes(sim.server)).toBe(N);
    const items = await list();
    expect(items).toHaveLength(N);
    expect(items.filter((i) => condition(i, 'Ready') === 'True' && condition(i, 'Synced') === 'True')).toHaveLength(N);
    expect(zoneRecords('example.com').filter((r) => r.comment?.includes('livchat'))).toHaveLength(N / 2);
    expect(zoneRecords('example.org')).toHaveLength(N / 2);
    expect(zoneRecords('example.com').find((r) => r.id === unowned.id)).toEqual(unowned);
  });

  it('plan after apply exits 0 with no changes and writes nothing', async () => {
    sim.server.resetCounters();
    const r = await plan();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Plan: 0 to create, 0 to update, 0 to delete, 0 conflicts, 0 blocked, ${N} unchanged.`);
    expect(writes(sim.server)).toBe(0);
  });

  it('editing one file changes exactly that record with one PATCH', async () => {
    const before = new Map(ours().map((r) => [r.id, structuredClone(r)]));
    writeFileSync(join(desired, 'zone-1/host7.yaml'), dnsYaml('host7', spec(7, '203.0.113.200')));
    sim.server.resetCounters();
    const p = await plan();
    expect(p.code).toBe(2);
    expect(p.stdout).toContain('~ DNSRecord/host7: update');
    expect(p.stdout).toContain('content: "203.0.113.8" → "203.0.113.200"');
    expect(p.stdout).toContain(`Plan: 0 to create, 1 to update, 0 to delete, 0 conflicts, 0 blocked, ${N - 1} unchanged.`);
    expect(writes(sim.server)).toBe(0);

    const r = await apply();
    expect(r.code).toBe(0);
    expect(byRoute(PATCH)).toBe(1);
    expect(writes(sim.server)).toBe(1);
    const after = ours();
    const changed = after.filter((r) => JSON.stringify(r) !== JSON.stringify(before.get(r.id)));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ name: 'host7.example.org', content: '203.0.113.200' });
    expect(after).toHaveLength(N);
    const host7 = (await list()).find((i) => i.metadata.name === 'host7')!;
    expect(host7.status.content).toBe('203.0.113.200');
    expect(condition(host7, 'Ready')).toBe('True');
  });

  it('removing one file deletes exactly that record with one DELETE', async () => {
    const before = ours();
    const gone = before.find((r) => r.name === 'host12.example.com')!;
    rmSync(join(desired, 'zone-0/host12.yaml'));
    sim.server.resetCounters();
    const p = await plan();
    expect(p.code).toBe(2);
    expect(p.stdout).toContain('- DNSRecord/host12: delete');
    expect(writes(sim.server)).toBe(0);

    const r = await apply();
    expect(r.code).toBe(0);
    expect(byRoute(DELETE)).toBe(1);
    expect(writes(sim.server)).toBe(1);
    const after = ours();
    expect(after.map((x) => x.id).sort()).toEqual(before.filter((x) => x.id !== gone.id).map((x) => x.id).sort());
    const items = await list();
    expect(items.map((i) => i.metadata.name)).not.toContain('host12');
    expect(items.filter((i) => condition(i, 'Ready') === 'True')).toHaveLength(N - 1);
  });

  it('a desired record that names the unowned one is a Stalled conflict: exit 3, zero writes, the record untouched', async () => {
    writeFiles(desired, { 'legacy.yaml': dnsYaml('legacy', { zone: 'example.com', name: 'legacy', type: 'A', content: '203.0.113.99' }) });
    sim.server.resetCounters();
    const p = await plan();
    expect(p.code).toBe(2);
    expect(p.stdout).toContain('! DNSRecord/legacy: conflict — unowned A legacy.example.com → 198.51.100.7');
    expect(writes(sim.server)).toBe(0);

    const r = await apply();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('apply: needs a human: DNSRecord/legacy');
    expect(writes(sim.server)).toBe(0);
    const items = await list();
    const legacy = items.find((i) => i.metadata.name === 'legacy')!;
    expect(condition(legacy, 'Stalled')).toBe('True');
    expect(legacy.status.conditions.find((c) => c.type === 'Stalled')!.reason).toBe('Conflict');
    expect(condition(legacy, 'Ready')).not.toBe('True');
    expect(items.filter((i) => condition(i, 'Ready') === 'True')).toHaveLength(N - 1);
    expect(zoneRecords('example.com').find((x) => x.id === unowned.id)).toEqual(unowned);

    const get = await cli(['get', 'dnsrecord', 'legacy', '--state-dir', stateDir]);
    expect(get.stdout).toMatch(/^DNSRecord\s+legacy\s+False\s+\S+\s+Conflict\s+\d+s$/m);
  });

  let afterRemoval: Awaited<ReturnType<typeof apply>>;
  it('removing the conflicting file never touches the unowned record', async () => {
    rmSync(join(desired, 'legacy.yaml'));
    sim.server.resetCounters();
    afterRemoval = await apply();
    expect(writes(sim.server)).toBe(0);
    expect(zoneRecords('example.com').find((x) => x.id === unowned.id)).toEqual(unowned);
    expect((await list()).filter((i) => condition(i, 'Ready') === 'True')).toHaveLength(N - 1);
  });

  // Regression: a Stalled object whose file is removed must still be cleaned up (the stall holds only while desired).
  it('…and then converges: exit 0 and the removed object is forgotten', async () => {
    expect(afterRemoval.code).toBe(0);
    expect((await list()).map((i) => i.metadata.name)).not.toContain('legacy');
  });
});
