// `livchat run` when status cannot be written: /readyz turns 503 with the reason, a metric counts it, shutdown says so.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { dnsYaml, memoryIO, tempDir, until, writeFiles } from '../helpers/cli.js';
import { waitFor } from '../helpers/daemon.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
beforeAll(async () => { sim = await startSimCloud({ zones: ['example.com'] }); });
afterAll(async () => { await sim.server.close(); });

const readyFile = (stateDir: string, name: string): true | undefined => {
  const f = join(stateDir, 'objects', 'DNSRecord', `${name}.json`);
  if (!existsSync(f)) return undefined;
  const st = JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string }> } };
  return st.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
};

describe('livchat run with a failing status directory', () => {
  it('reports 503 on /readyz with the reason, logs once, counts failures, and exits 1 saying so when still failing at shutdown', async () => {
    const desired = tempDir('lc-full-desired-');
    const stateDir = tempDir('lc-full-state-');
    writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: 'one' }) });
    const io = memoryIO({ cwd: desired });
    const exit = runCli(['--state-dir', stateDir, '--log-format', 'json', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    await until(() => readyFile(stateDir, 'a'), 20_000, 'DNSRecord/a Ready');
    const url = await until(() => /http (http:\/\/127\.0\.0\.1:\d+)/.exec(io.out())?.[1], 10_000, 'the daemon URL');
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { timeoutMs: 10_000, what: 'ready' });

    // A regular file where the kind directory was: every write of a DNSRecord state fails, even for root.
    const kindDir = join(stateDir, 'objects', 'DNSRecord');
    renameSync(kindDir, `${kindDir}.away`);
    writeFileSync(kindDir, 'not a directory');
    writeFiles(desired, { 'b.yaml': dnsYaml('b', { zone: 'example.com', name: 'b', type: 'TXT', content: 'two' }) });
    const body = await waitFor(async () => {
      const r = await fetch(`${url}/readyz`);
      return r.status === 503 ? await r.text() : undefined;
    }, { timeoutMs: 20_000, what: '/readyz 503' });
    expect(body).toMatch(/status cannot be written .*(EEXIST|ENOTDIR)/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/livchat_status_write_failures_total [1-9]/);
    expect(metrics).toContain('livchat_status_write_failing 1');
    expect(io.out().match(/status cannot be written to disk/g)).toHaveLength(1);

    // Still broken at shutdown: the daemon says so and exits 1, never "status flushed".
    io.signals.emit('SIGTERM');
    expect(await exit).toBe(1);
    expect(io.out()).toContain('status NOT fully flushed');
    expect(io.out()).not.toContain('stopped; status flushed');
    rmSync(kindDir);
    renameSync(`${kindDir}.away`, kindDir);
  });
});
