// Secret canary: a token pushed through vault, provider calls, auth errors, logs, state, CLI and HTTP never appears in any output.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/daemon/compose.js';
import { startHttp } from '../../src/http/server.js';
import { flushLogger } from '../../src/obs/log.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { DEFAULT_CONSISTENCY } from '../../src/sim/cloudflare.js';
import { runCli } from '../../src/cli/program.js';
import { cli, dnsYaml, memoryIO, tempDir, until, writeFiles } from '../helpers/cli.js';

// 40 characters; distinctive enough that any occurrence is a leak.
const CANARY = 'canary-3f9a1c7e5b2d4068a9f1e3c5b7d9f0a2e';
const ZONES_ROUTE = 'GET /client/v4/zones';
const CREATE_ROUTE = 'POST /client/v4/zones/{zone_id}/dns_records';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
let desired: string;
let stateDir: string;
/** Every piece of output collected, labelled by where it came from. */
const outputs: Array<{ where: string; text: string }> = [];
const collect = (where: string, text: string): void => { outputs.push({ where, text }); };

/** listFiles returns every regular file under dir, recursively. */
function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const flags = () => ['--state-dir', stateDir, '--instance', 'canary', '--log-level', 'silent'];

beforeAll(async () => {
  expect(CANARY).toHaveLength(40);
  // The simulator accepts only the canary as the token, so every successful call proves the canary was sent.
  sim = await startSimCloud({ zones: ['example.com'], token: CANARY });
  desired = tempDir('lc-canary-desired-');
  stateDir = tempDir('lc-canary-state-');
  writeFiles(desired, {
    'www.yaml': dnsYaml('www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.5' }),
    'mail.yaml': dnsYaml('mail', { zone: 'example.com', name: 'mail', type: 'A', content: '203.0.113.6' }),
    'txt.yaml': dnsYaml('verify', { zone: 'example.com', name: '_verify', type: 'TXT', content: 'v=ok' }),
    'api.yaml': dnsYaml('api', { zone: 'example.com', name: 'api', type: 'A', content: '203.0.113.7' }),
  });

  // 1. The canary enters through `secret set` (stdin) as the Cloudflare token and as an unrelated secret.
  for (const name of ['cloudflare-token', 'db-password']) {
    const r = await cli(['secret', 'set', name, '--state-dir', stateDir], { stdin: `${CANARY}\n` });
    expect(r.code).toBe(0);
    collect(`secret set ${name}`, r.stdout + r.stderr);
  }
  const list = await cli(['secret', 'list', '--state-dir', stateDir]);
  expect(list.stdout).toBe('cloudflare-token\ndb-password\n');
  collect('secret list', list.stdout + list.stderr);

  // 2. The provider echoes the token back in error messages: once as an auth failure, once as a validation error.
  sim.server.addFault({ route: ZONES_ROUTE, status: 403, times: 1, body: { success: false, errors: [{ code: 10000, message: `Authentication error: token ${CANARY} is not allowed here` }], messages: [], result: null } });
  sim.server.addFault({ route: CREATE_ROUTE, status: 400, times: 1, body: { success: false, errors: [{ code: 9005, message: `Content for A record is invalid (request by ${CANARY})`, error_chain: [{ code: 9999, message: `Bearer ${CANARY}` }] }], messages: [], result: null } });

  // 3. A daemon-like run in-process, with every log line at trace level captured, and its HTTP endpoint.
  let logText = '';
  const sink = new Writable({ write(chunk: Buffer | string, _enc, cb) { logText += chunk.toString(); cb(); } });
  const rt = await createRuntime({
    dir: desired, stateDir, instance: 'canary', cloud: { mode: 'sim', url: sim.urls.url }, env: { HOME: stateDir },
    logLevel: 'trace', logFormat: 'json', logDestination: sink,
  });
  rt.manager.start();
  await rt.manager.idle();
  const http = await startHttp({
    host: '127.0.0.1', port: 0, ready: () => rt.manager.ready,
    metrics: async () => ({ contentType: rt.metrics.contentType, body: await rt.metrics.text() }),
    objects: () => rt.store.list(),
  });
  for (const path of ['/api/v1/objects', '/api/v1/objects/dnsrecord', '/api/v1/objects/DNSRecord/www', '/api/v1/objects/DNSRecord/api', '/metrics', '/readyz', '/healthz']) {
    const res = await fetch(http.url + path);
    collect(`in-process HTTP ${path}`, `${res.status} ${JSON.stringify([...res.headers])}\n${await res.text()}`);
  }
  await http.close();
  await rt.manager.stop(5000);
  await rt.close();
  rt.log.info({ token: CANARY, nested: { note: `the token is ${CANARY}` } }, `explicit attempt to log ${CANARY}`);
  await flushLogger(rt.log);
  collect('runtime logs (trace, json)', logText);

  // 4. Every read command of the CLI.
  for (const argv of [['get'], ['get', '-o', 'wide'], ['get', '-o', 'json'], ['get', '-o', 'yaml'], ['get', 'dnsrecord', 'api', '-o', 'json'],
    ['describe', 'DNSRecord/www'], ['describe', 'DNSRecord/api'], ['describe', 'DNSRecord/mail'], ['describe', 'DNSRecord/verify']]) {
    const r = await cli([...argv, '--state-dir', stateDir]);
    collect(`livchat ${argv.join(' ')}`, `${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  const plan = await cli(['plan', desired, '--sim', sim.urls.url, ...flags()]);
  collect('livchat plan', `${plan.code}\n${plan.stdout}\n${plan.stderr}`);
  const apply = await cli(['apply', desired, '--sim', sim.urls.url, '--timeout', '20s', ...flags()]);
  collect('livchat apply', `${apply.code}\n${apply.stdout}\n${apply.stderr}`);

  // 5. The real `livchat run` daemon and its HTTP endpoint.
  // The daemon lists afresh: let the simulated Cloudflare's lists catch up with apply's writes first.
  sim.server.clock.advance(DEFAULT_CONSISTENCY.listLagMs);
  const io = memoryIO({ env: { HOME: stateDir } });
  const exit = runCli(['run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0', '--shutdown-timeout', '5s', ...flags()], io);
  const url = await until(() => /http (http:\/\/127\.0\.0\.1:\d+)/.exec(io.out())?.[1], 10_000, 'the daemon URL');
  for (const path of ['/api/v1/objects', '/api/v1/objects/dnsrecord/api', '/metrics']) {
    const res = await fetch(url + path);
    collect(`livchat run HTTP ${path}`, `${res.status}\n${await res.text()}`);
  }
  io.signals.emit('SIGTERM');
  expect(await exit).toBe(0);
  collect('livchat run stdout/stderr', io.out() + io.err());

  // 6. Everything persisted under the state dir except the vault and its key (checked separately below).
  for (const file of listFiles(stateDir)) {
    if (file.endsWith('vault.json') || file.endsWith('master.key')) continue;
    collect(`state file ${file.slice(stateDir.length)}`, readFileSync(file, 'utf8'));
  }
});
afterAll(async () => { await sim?.server.close(); });

describe('the canary secret', () => {
  it('was really used: the simulator accepted it as the token, and both echoing faults fired', () => {
    const req = sim.server.requests();
    expect(req.byStatus['200']).toBeGreaterThan(0);
    expect(req.byStatus['403']).toBe(1);
    expect(req.byStatus['400']).toBe(1);
    expect(req.byRoute[CREATE_ROUTE]).toBeGreaterThanOrEqual(3);
  });

  it('the echoed errors reached status, events and logs in redacted form', () => {
    const logs = outputs.find((o) => o.where.startsWith('runtime logs'))!.text;
    expect(logs).toMatch(/Authentication error: token \[(redacted|REDACTED)\] is not allowed here/);
    expect(logs).toMatch(/\[REDACTED\]|\[redacted\]/);
    const states = outputs.filter((o) => o.where.startsWith('state file /objects/')).map((o) => o.text).join('\n');
    expect(states).toContain('AuthenticationFailed');
    expect(states).toContain('InvalidRecord');
    const getJson = outputs.find((o) => o.where === 'livchat get -o json')!.text;
    expect(getJson).toMatch(/\[(redacted|REDACTED)\]/);
  });

  it('appears in no log line, state file, CLI output or HTTP response', () => {
    expect(outputs.length).toBeGreaterThan(25);
    for (const o of outputs) expect(o.text.length, o.where).toBeGreaterThan(0);
    const leaks = outputs.filter((o) => o.text.includes(CANARY)).map((o) => o.where);
    expect(leaks).toEqual([]);
    // Its JSON-escaped and base64 forms do not appear either.
    const b64 = Buffer.from(CANARY).toString('base64');
    expect(outputs.filter((o) => o.text.includes(b64)).map((o) => o.where)).toEqual([]);
  });

  it('is not stored in plaintext (or base64) in the vault file', () => {
    const vault = readFileSync(join(stateDir, 'vault.json'), 'utf8');
    expect(vault).toContain('"cloudflare-token"');
    expect(vault).toContain('"db-password"');
    expect(vault).not.toContain(CANARY);
    expect(vault).not.toContain(Buffer.from(CANARY).toString('base64'));
    expect(vault).not.toContain(Buffer.from(CANARY).toString('hex'));
  });
});
