// plan and apply build their runtime through one path: plan reads and never writes state, apply records last good versions.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOneShot } from '../../src/ops/one-shot.js';
import { plan } from '../../src/ops/plan.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { dnsYaml, tempDir, writeFiles } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
beforeAll(async () => { sim = await startSimCloud({ zones: ['example.com'] }); });
afterAll(async () => { await sim.server.close(); });

describe('openOneShot', () => {
  it('plan: a read-only runtime whose plan says create; apply: the same construction, writing last good versions', async () => {
    const desired = tempDir('lc-os-desired-');
    const stateDir = tempDir('lc-os-state-');
    writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: 'one' }) });
    const common = { cwd: desired, dir: '.', stateDir, env: {}, cloud: { mode: 'sim' as const, url: sim.urls.url }, logLevel: 'silent' };
    const p = await openOneShot({ purpose: 'plan', ...common });
    try {
      expect((await plan(p)).map((i) => [i.key, i.action])).toEqual([['DNSRecord/a', 'create']]);
    } finally { await p.close(); }
    expect(existsSync(join(stateDir, 'last-good')) ? readdirSync(join(stateDir, 'last-good')) : []).toEqual([]);
    const a = await openOneShot({ purpose: 'apply', ...common });
    await a.close();
    expect(readdirSync(join(stateDir, 'last-good')).length).toBe(1);
  });
});
