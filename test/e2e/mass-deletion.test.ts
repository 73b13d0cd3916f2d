// The mass-deletion guard end to end: apply and the daemon hold deletions of half or more (or all) of the objects
// until explicitly confirmed; the hold follows the files; SIGHUP never confirms; plan shows the removal grace.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { cli, dnsYaml, memoryIO, tempDir, until, writeFiles } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;

const zoneId = (zone: string) => sim.cloudflare.zoneByName(zone)!.id;
const records = (zone: string) => [...(sim.cloudflare.state.records.get(zoneId(zone))?.values() ?? [])];
const files = (zone: string, n: number, from = 0): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, k) => { const i = k + from; return [`r${i}.yaml`, dnsYaml(`r${i}`, { zone, name: `r${i}`, type: 'TXT', content: `v${i}` })]; }));

function setup(zone: string, n: number) {
  const desired = tempDir('lc-guard-desired-');
  const stateDir = tempDir('lc-guard-state-');
  writeFiles(desired, files(zone, n));
  const apply = (...extra: string[]) => cli(['apply', desired, '--sim', sim.urls.url, '--timeout', '30s', '--state-dir', stateDir, '--instance', 'guard', '--log-level', 'silent', ...extra]);
  const plan = () => cli(['plan', desired, '--sim', sim.urls.url, '--state-dir', stateDir, '--instance', 'guard', '--log-level', 'silent']);
  return { desired, stateDir, apply, plan };
}

beforeAll(async () => { sim = await startSimCloud({ zones: ['example.com', 'empty.example', 'half.example', 'plan.example', 'daemon.example', 'start.example'] }); });
afterAll(async () => { await sim.server.close(); });

describe('mass-deletion guard with apply', () => {
  it('holds the deletion of 6 of 8 objects, then deletes them once confirmed', async () => {
    const t = setup('example.com', 8);
    expect((await t.apply()).code).toBe(0);
    expect(records('example.com')).toHaveLength(8);
    for (let i = 0; i < 6; i++) rmSync(join(t.desired, `r${i}.yaml`));
    const held = await t.apply();
    expect(held.code).toBe(3);
    expect(held.stderr).toMatch(/6 objects disappeared at once/);
    expect(records('example.com')).toHaveLength(8);
    const confirmed = await t.apply('--confirm-deletions');
    expect(confirmed.code).toBe(0);
    expect(records('example.com').map((r) => r.name).sort()).toEqual(['r6.example.com', 'r7.example.com']);
  });

  it('an emptied desired/ with only 4 known objects deletes nothing until confirmed', async () => {
    const t = setup('empty.example', 4);
    expect((await t.apply()).code).toBe(0);
    expect(records('empty.example')).toHaveLength(4);
    for (let i = 0; i < 4; i++) rmSync(join(t.desired, `r${i}.yaml`));
    const held = await t.apply();
    expect(held.code).toBe(3);
    expect(held.stderr).toMatch(/4 objects disappeared at once .*their deletion is held: DNSRecord\/r0, DNSRecord\/r1, DNSRecord\/r2, DNSRecord\/r3/);
    expect(records('empty.example')).toHaveLength(4);
    expect((await t.apply('--confirm-deletions')).code).toBe(0);
    expect(records('empty.example')).toHaveLength(0);
  });

  it('exactly half (10 of 20) is held', async () => {
    const t = setup('half.example', 20);
    expect((await t.apply()).code).toBe(0);
    for (let i = 0; i < 10; i++) rmSync(join(t.desired, `r${i}.yaml`));
    const held = await t.apply();
    expect(held.code).toBe(3);
    expect(held.stderr).toMatch(/10 objects disappeared at once/);
    expect(records('half.example')).toHaveLength(20);
  });

  it('plan shows a pending removal with its remaining grace, and a held one as held', async () => {
    const t = setup('plan.example', 6);
    expect((await t.apply()).code).toBe(0);
    rmSync(join(t.desired, 'r0.yaml'));
    const one = await t.plan();
    expect(one.code).toBe(2);
    expect(one.stdout).toMatch(/- DNSRecord\/r0: delete .*pending removal: the daemon deletes after its grace, 30s remaining; apply deletes at once/);
    for (let i = 1; i < 6; i++) rmSync(join(t.desired, `r${i}.yaml`));
    const all = await t.plan();
    expect(all.stdout).toMatch(/- DNSRecord\/r3: delete .*deletion held with a mass deletion: confirm with `livchat confirm-deletions`/);
    expect(records('plan.example')).toHaveLength(6);
  });
});

describe('mass-deletion guard in the daemon', () => {
  it('a daemon started on an emptied desired/ with 4 known objects deletes nothing and marks them DeletionHeld', async () => {
    const t = setup('start.example', 4);
    expect((await t.apply()).code).toBe(0);
    for (let i = 0; i < 4; i++) rmSync(join(t.desired, `r${i}.yaml`));
    const io = memoryIO({ cwd: t.desired, env: { HOME: '/nonexistent-livchat-test-home', LIVCHAT_REMOVAL_GRACE: 'DNSRecord=0s' } });
    const exit = runCli(['--state-dir', t.stateDir, '--instance', 'guard', '--log-format', 'json', 'run', t.desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    try {
      const heldAll = () => [0, 1, 2, 3].every((i) => {
        const f = join(t.stateDir, 'objects', 'DNSRecord', `r${i}.json`);
        return existsSync(f) && (JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; reason: string }> } }).status.conditions.some((c) => c.type === 'Synced' && c.reason === 'DeletionHeld');
      });
      await until(() => (heldAll() ? true : undefined), 20_000, 'DeletionHeld on all 4');
      expect(io.out()).toMatch(/4 of 4 objects disappeared at once: their deletion is held/);
      expect(records('start.example')).toHaveLength(4);
    } finally {
      io.signals.emit('SIGTERM');
      expect(await exit).toBe(0);
    }
    expect(records('start.example')).toHaveLength(4);
  }, 60_000);

  it('holds with DeletionHeld, follows the files, ignores SIGHUP, lets a single deletion through, and deletes on confirm-deletions', async () => {
    const zone = 'daemon.example';
    const desired = tempDir('lc-guard-daemon-');
    const stateDir = tempDir('lc-guard-daemon-state-');
    writeFiles(desired, files(zone, 6));
    const io = memoryIO({ cwd: desired, env: { HOME: '/nonexistent-livchat-test-home', LIVCHAT_REMOVAL_GRACE: 'DNSRecord=200ms' } });
    const exit = runCli(['--state-dir', stateDir, '--log-format', 'json', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    const listen = await until(() => /http http:\/\/(127\.0\.0\.1:\d+)/.exec(io.out())?.[1], 20_000, 'the listen address');
    const synced = (name: string): { status: string; reason: string } | undefined => {
      const f = join(stateDir, 'objects', 'DNSRecord', `${name}.json`);
      if (!existsSync(f)) return undefined;
      const st = JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string; reason: string }> } };
      return st.status.conditions.find((c) => c.type === 'Synced');
    };
    const ready = (name: string): string | undefined => {
      const f = join(stateDir, 'objects', 'DNSRecord', `${name}.json`);
      if (!existsSync(f)) return undefined;
      return (JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string }> } }).status.conditions.find((c) => c.type === 'Ready')?.status;
    };
    try {
      await until(() => (records(zone).length === 6 && [0, 1, 2, 3, 4, 5].every((i) => synced(`r${i}`)?.status === 'True') ? true : undefined), 20_000, '6 records');
      for (let i = 0; i < 5; i++) rmSync(join(desired, `r${i}.yaml`));
      await until(() => ([0, 1, 2, 3, 4].every((i) => synced(`r${i}`)?.reason === 'DeletionHeld') ? true : undefined), 20_000, 'DeletionHeld on r0..r4');
      expect(ready('r0')).toBe('True');
      expect(records(zone)).toHaveLength(6);
      expect((await cli(['--state-dir', stateDir, 'get'])).stdout).toMatch(/DNSRecord\s+r0\s+True\s+False\s+DeletionHeld/);
      // SIGHUP reloads but never confirms.
      io.signals.emit('SIGHUP');
      await until(() => (io.out().includes('"why":"SIGHUP"') ? true : undefined), 10_000, 'the SIGHUP reload');
      expect(records(zone)).toHaveLength(6);
      // Restoring the files releases the hold.
      writeFiles(desired, files(zone, 5));
      await until(() => ([0, 1, 2, 3, 4].every((i) => synced(`r${i}`)?.status === 'True') ? true : undefined), 20_000, 'the hold released');
      const held0 = await cli(['confirm-deletions', '--listen', listen]);
      expect(held0).toMatchObject({ code: 0, stdout: 'no deletions are held\n' });
      // A single, legitimate deletion goes through after its grace.
      rmSync(join(desired, 'r5.yaml'));
      await until(() => (records(zone).length === 5 ? true : undefined), 20_000, 'r5 deleted');
      // All remaining disappear: held until confirm-deletions, which deletes exactly that set.
      for (let i = 0; i < 5; i++) rmSync(join(desired, `r${i}.yaml`));
      await until(() => ([0, 1, 2, 3, 4].every((i) => synced(`r${i}`)?.reason === 'DeletionHeld') ? true : undefined), 20_000, 'the second hold');
      expect(records(zone)).toHaveLength(5);
      const wrong = await cli(['confirm-deletions', '--listen', listen, 'DNSRecord/r0']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/the held set changed/);
      expect(records(zone)).toHaveLength(5);
      const ok = await cli(['confirm-deletions', '--listen', listen]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/confirmed the deletion of 5 objects/);
      await until(() => (records(zone).length === 0 ? true : undefined), 20_000, 'the confirmed deletions');
    } finally {
      io.signals.emit('SIGTERM');
      expect(await exit).toBe(0);
    }
  }, 60_000);
});
