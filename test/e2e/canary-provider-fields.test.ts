// Secret canary in provider error fields, codes and request ids: scrubbed where errors enter, in status files, logs, HTTP and every CLI view.
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { cli, dnsYaml, memoryIO, tempDir, writeFiles } from '../helpers/cli.js';
import { CLI, ensureBuilt, waitFor } from '../helpers/daemon.js';

const CANARY = 'canary-7d1e9b3a5c2f4e6081a3c5e7f9b1d3e5';
type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
let stateDir: string;
const outputs: Array<{ where: string; text: string }> = [];

const serverYaml = ['apiVersion: livchat.ai/v1alpha1', 'kind: Server', 'metadata:', '  name: prod', 'spec:', '  location: nbg1', '  serverType: cx23', '  image: ubuntu-24.04', ''].join('\n');
const listFiles = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? listFiles(join(dir, n)) : [join(dir, n)]));
const objectFile = (kind: string, name: string) => join(stateDir, 'objects', kind, `${name}.json`);
const syncedFalse = (kind: string, name: string): boolean => {
  try {
    const st = JSON.parse(readFileSync(objectFile(kind, name), 'utf8')) as { status: { conditions: Array<{ type: string; status: string }> } };
    return st.status.conditions.some((c) => c.type === 'Synced' && c.status === 'False');
  } catch { return false; }
};

beforeAll(async () => {
  ensureBuilt();
  sim = await startSimCloud({ zones: ['example.com'], token: CANARY });
  stateDir = tempDir('lc-canary2-state-');
  const desired = tempDir('lc-canary2-desired-');
  writeFiles(desired, { 'prod.yaml': serverYaml, 'www.yaml': dnsYaml('www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.9' }) });
  for (const name of ['hetzner-token', 'cloudflare-token']) expect((await cli(['secret', 'set', name, '--state-dir', stateDir], { stdin: CANARY })).code).toBe(0);

  // The providers echo the token in an error field, in the error code and in the request id header.
  sim.server.addFault({ route: 'GET /v1/servers', status: 400, times: 1000, headers: { 'X-Correlation-Id': CANARY },
    body: { error: { code: `bad_${CANARY}`, message: 'invalid input', details: { fields: [{ name: CANARY, messages: [`value ${CANARY} rejected`] }] } } } });
  sim.server.addFault({ route: 'GET /client/v4/zones', status: 400, times: 1000, headers: { 'cf-ray': `${CANARY}-FRA` },
    body: { success: false, errors: [{ code: `${CANARY}`, message: `field ${CANARY}`, error_chain: [{ code: 1, message: `chain ${CANARY}` }] }], messages: [], result: null } });

  const io = memoryIO({ cwd: desired, env: { HOME: stateDir } });
  const exit = runCli(['--state-dir', stateDir, '--log-format', 'json', '--log-level', 'trace', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0', '--shutdown-timeout', '5s'], io);
  await waitFor(() => syncedFalse('Server', 'prod') && syncedFalse('DNSRecord', 'www'), { timeoutMs: 30_000, what: 'both objects failing' });
  const url = /http (http:\/\/127\.0\.0\.1:\d+)/.exec(io.out())![1]!;
  for (const path of ['/api/v1/objects', '/api/v1/objects/Server/prod', '/api/v1/objects/DNSRecord/www']) outputs.push({ where: `HTTP ${path}`, text: await (await fetch(url + path)).text() });
  io.signals.emit('SIGTERM');
  await exit;
  outputs.push({ where: 'daemon logs', text: io.out() + io.err() });
  for (const f of listFiles(stateDir)) if (!/vault\.json$|master\.key$/.test(f)) outputs.push({ where: `state file ${f.slice(stateDir.length)}`, text: readFileSync(f, 'utf8') });

  // A state file written by an older version, with the token in it: the CLI scrubs with the vault's secrets.
  mkdirSync(join(stateDir, 'objects', 'DNSRecord'), { recursive: true });
  writeFileSync(objectFile('DNSRecord', 'legacy'), JSON.stringify({ key: 'DNSRecord/legacy', generation: 1, specHash: 'h', createdAt: '2026-01-01T00:00:00.000Z', internal: {},
    status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Old', message: `old message ${CANARY}`, lastTransitionTime: '2026-01-01T00:00:00.000Z' }], events: [{ type: 'Warning', reason: 'Old', message: `event ${CANARY}`, count: 1, firstTimestamp: '2026-01-01T00:00:00.000Z', lastTimestamp: '2026-01-01T00:00:00.000Z' }] } }));
  // Fresh processes: nothing registered in memory, the CLI must load the secrets itself.
  for (const argv of [['get', '-o', 'json'], ['get', '-o', 'yaml'], ['get', '-o', 'wide'], ['describe', 'Server/prod'], ['describe', 'DNSRecord/www'], ['describe', 'DNSRecord/legacy']]) {
    const r = spawnSync(process.execPath, [CLI, '--state-dir', stateDir, ...argv], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: stateDir } });
    outputs.push({ where: `livchat ${argv.join(' ')}`, text: `${r.status}\n${r.stdout}\n${r.stderr}` });
  }
}, 90_000);
afterAll(async () => { await sim?.server.close(); });

describe('a canary token echoed in provider error fields, codes and request ids', () => {
  it('really reached the program: both faults fired and the errors are in status, redacted', () => {
    expect(sim.server.requests().byStatus['400']).toBeGreaterThanOrEqual(2);
    const status = outputs.filter((o) => o.where.startsWith('state file /objects/')).map((o) => o.text).join('\n');
    expect(status).toContain('[REDACTED]');
    expect(status).toContain('invalid input');
    expect(outputs.find((o) => o.where === 'livchat describe DNSRecord/legacy')!.text).toContain('old message [REDACTED]');
  });

  it('appears in no status file, log line, HTTP response or CLI output', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(11);
    for (const o of outputs.filter((x) => x.where.startsWith('livchat'))) expect(o.text.startsWith('0\n'), o.where).toBe(true);
    expect(outputs.filter((o) => o.text.includes(CANARY)).map((o) => o.where)).toEqual([]);
  });
});
