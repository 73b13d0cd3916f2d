// Across a daemon restart, files broken while it was down (syntax, duplicate, FIFO, oversized) delete nothing;
// a file really removed still is a removal.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/daemon/compose.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { dnsYaml, tempDir, writeFiles } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
beforeAll(async () => { sim = await startSimCloud({ zones: ['restart.example'] }); });
afterAll(async () => { await sim.server.close(); });
const records = () => [...(sim.cloudflare.state.records.get(sim.cloudflare.zoneByName('restart.example')!.id)?.values() ?? [])];
const yaml = (i: number, content = `v${i}`) => dnsYaml(`r${i}`, { zone: 'restart.example', name: `r${i}`, type: 'TXT', content });

describe('a restart with broken files', () => {
  it('keeps the last good objects of 4 broken files in force and deletes only a file really gone', async () => {
    const desired = tempDir('lc-restart-desired-');
    const stateDir = tempDir('lc-restart-state-');
    writeFiles(desired, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`r${i}.yaml`, yaml(i)])));
    const start = async () => {
      const rt = await createRuntime({ dir: desired, stateDir, instance: 'restart', cloud: { mode: 'sim', url: sim.urls.url }, env: { HOME: stateDir }, logLevel: 'silent', removalGraceMs: 0 });
      rt.manager.start();
      await rt.manager.idle();
      return rt;
    };
    const first = await start();
    expect(records()).toHaveLength(20);
    await first.manager.stop(5000);
    await first.close();

    writeFileSync(join(desired, 'r0.yaml'), 'apiVersion: [unclosed\n');
    writeFileSync(join(desired, 'r1.yaml'), `${yaml(1)}---\n${yaml(2, 'duplicate')}`);
    rmSync(join(desired, 'r3.yaml'));
    execFileSync('mkfifo', [join(desired, 'r3.yaml')]);
    writeFileSync(join(desired, 'r4.yaml'), `${yaml(4)}# ${'x'.repeat(1024 * 1024)}\n`);
    const second = await start();
    expect(second.lastLoad.removed).toEqual([]);
    // r2 is reported too: it is one of the two places of the duplicate.
    expect([...new Set(second.lastLoad.problems.map((p) => basename(p.file)))].sort()).toEqual(['r0.yaml', 'r1.yaml', 'r2.yaml', 'r3.yaml', 'r4.yaml']);
    expect(records()).toHaveLength(20);
    expect(second.store.list().filter((s) => s.removed)).toEqual([]);

    // Really gone: removed (apply-like grace 0 here; the daemon would wait its grace).
    rmSync(join(desired, 'r19.yaml'));
    const r = second.reload([join(desired, 'r19.yaml')]);
    expect(r.removed).toEqual(['DNSRecord/r19']);
    second.manager.desiredChanged(r.removed);
    await second.manager.idle();
    expect(records().map((x) => x.name)).not.toContain('r19.restart.example');
    expect(records()).toHaveLength(19);
    await second.manager.stop(5000);
    await second.close();
  }, 60_000);
});
