// `livchat run` in-process: reconciles desired/, follows file changes through the watcher, reloads on SIGHUP, drains on SIGTERM.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { dnsYaml, memoryIO, tempDir, until, writeFiles } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
beforeAll(async () => { sim = await startSimCloud({ zones: ['example.com'] }); });
afterAll(async () => { await sim.server.close(); });

const ready = (stateDir: string, name: string): true | undefined => {
  const f = join(stateDir, 'objects', 'DNSRecord', `${name}.json`);
  if (!existsSync(f)) return undefined;
  const st = JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string }> } };
  return st.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
};
const records = () => [...sim.cloudflare.state.records.get(sim.cloudflare.zoneByName('example.com')!.id)!.values()];

describe('livchat run', () => {
  it('converges, picks up a new file, reloads on SIGHUP and exits 0 on SIGTERM', async () => {
    const desired = tempDir('lc-run-desired-');
    const stateDir = tempDir('lc-run-state-');
    writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: 'one' }) });
    const io = memoryIO({ cwd: desired });
    const exit = runCli(['--state-dir', stateDir, '--log-format', 'json', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    await until(() => ready(stateDir, 'a'), 20_000, 'DNSRecord/a Ready');
    writeFiles(desired, { 'b.yaml': dnsYaml('b', { zone: 'example.com', name: 'b', type: 'TXT', content: 'two' }) });
    await until(() => ready(stateDir, 'b'), 20_000, 'DNSRecord/b Ready after a file write');
    expect(records().map((r) => r.name).sort()).toEqual(['a.example.com', 'b.example.com']);
    io.signals.emit('SIGHUP');
    await until(() => (io.out().includes('"why":"SIGHUP"') ? true : undefined), 10_000, 'the SIGHUP reload');
    io.signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(io.out()).toContain('stopped; status flushed');
    expect(io.signals.listenerCount('SIGTERM')).toBe(0);
  });
});
