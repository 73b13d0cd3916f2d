// SIGHUP retries objects stalled by a credential failure even when the token value did not change.
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

const condition = (stateDir: string, name: string, type: string): { status: string; reason: string } | undefined => {
  const f = join(stateDir, 'objects', 'DNSRecord', `${name}.json`);
  if (!existsSync(f)) return undefined;
  const st = JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string; reason: string }> } };
  return st.status.conditions.find((c) => c.type === type);
};

describe('livchat run SIGHUP', () => {
  it('resets the breakers and retries a credential stall with the same token', async () => {
    const desired = tempDir('lc-hup-desired-');
    const stateDir = tempDir('lc-hup-state-');
    writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: 'one' }) });
    // The token lacks a permission until someone fixes it in the dashboard: the value stays the same.
    sim.server.addFault({ route: 'GET /client/v4/zones', status: 403, times: 1, body: { success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null } });
    const io = memoryIO({ cwd: desired });
    const exit = runCli(['--state-dir', stateDir, '--log-format', 'json', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    await until(() => (condition(stateDir, 'a', 'Stalled')?.status === 'True' ? true : undefined), 20_000, 'DNSRecord/a Stalled');
    expect(condition(stateDir, 'a', 'Stalled')?.reason).toBe('AuthenticationFailed');
    io.signals.emit('SIGHUP');
    await until(() => (condition(stateDir, 'a', 'Ready')?.status === 'True' ? true : undefined), 20_000, 'DNSRecord/a Ready after SIGHUP');
    io.signals.emit('SIGTERM');
    expect(await exit).toBe(0);
  });
});
