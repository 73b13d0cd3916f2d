// The mass-deletion guard end to end: removing most files at once deletes nothing until the operator confirms.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCloud } from '../../src/sim/cloud.js';
import { cli, dnsYaml, tempDir, writeFiles } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
let desired: string;
let stateDir: string;
const N = 8;

const records = () => [...sim.cloudflare.state.records.get(sim.cloudflare.zoneByName('example.com')!.id)!.values()];
const apply = (...extra: string[]) => cli(['apply', desired, '--sim', sim.urls.url, '--timeout', '30s', '--state-dir', stateDir, '--instance', 'guard', '--log-level', 'silent', ...extra]);

beforeAll(async () => {
  sim = await startSimCloud({ zones: ['example.com'] });
  desired = tempDir('lc-guard-desired-');
  stateDir = tempDir('lc-guard-state-');
  const files: Record<string, string> = {};
  for (let i = 0; i < N; i++) files[`r${i}.yaml`] = dnsYaml(`r${i}`, { zone: 'example.com', name: `r${i}`, type: 'TXT', content: `v${i}` });
  writeFiles(desired, files);
});
afterAll(async () => { await sim.server.close(); });

describe('mass-deletion guard', () => {
  it('holds the deletion of 6 of 8 objects, then deletes them once confirmed', async () => {
    expect((await apply()).code).toBe(0);
    expect(records()).toHaveLength(N);
    for (let i = 0; i < 6; i++) rmSync(join(desired, `r${i}.yaml`));
    const held = await apply();
    expect(held.code).toBe(3);
    expect(held.stderr).toMatch(/6 objects disappeared at once/);
    expect(records()).toHaveLength(N);
    const confirmed = await apply('--confirm-deletions');
    expect(confirmed.code).toBe(0);
    expect(records().map((r) => r.name).sort()).toEqual(['r6.example.com', 'r7.example.com']);
  });
});
