// `livchat get/describe/wait/secret` on a state dir produced by `apply --simulate`, and usage errors (exit 64, one line).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../../src/store/vault.js';
import { cli, condition, dnsYaml, tempDir, writeFiles, type ListItem } from '../helpers/cli.js';

let desired: string;
let stateDir: string;
const state = () => ['--state-dir', stateDir];

beforeAll(async () => {
  desired = tempDir('lc-cmd-desired-');
  stateDir = tempDir('lc-cmd-state-');
  writeFiles(desired, {
    'www.yaml': dnsYaml('www', { zone: 'example.com', name: 'www', type: 'CNAME', content: 'prod.example.com' }),
    'apex.yaml': dnsYaml('apex', { zone: 'example.com', name: '@', type: 'A', content: '203.0.113.10', ttl: 300 }),
    'txt.yaml': dnsYaml('verify', { zone: 'example.org', name: '_verify', type: 'TXT', content: 'token=abc' }),
  });
  const r = await cli(['apply', desired, '--simulate', '--instance', 'cmdtest', '--log-level', 'silent', '--timeout', '30s', ...state()]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

describe('livchat get', () => {
  it('prints a table with KIND NAME READY SYNCED REASON AGE, one row per object', async () => {
    const r = await cli(['get', ...state()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['KIND', 'NAME', 'READY', 'SYNCED', 'REASON', 'AGE']);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      ['DNSRecord', 'apex', 'True', 'True', 'Available'],
      ['DNSRecord', 'verify', 'True', 'True', 'Available'],
      ['DNSRecord', 'www', 'True', 'True', 'Available'],
    ]);
    for (const l of lines.slice(1)) expect(l).toMatch(/\s\d+s$/);
  });

  it('filters by kind (any case, singular or plural) and by name', async () => {
    for (const kind of ['DNSRecord', 'dnsrecord', 'dnsrecords']) {
      const r = await cli(['get', kind, ...state()]);
      expect(r.stdout.trimEnd().split('\n'), kind).toHaveLength(4);
    }
    const one = await cli(['get', 'dnsrecord', 'www', ...state()]);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(one.stdout).toMatch(/^DNSRecord\s+www\s+True\s+True\s+Available/m);
    const none = await cli(['get', 'server', ...state()]);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('No objects found.\n');
  });

  it('a missing named object exits 1 with a one-line error', async () => {
    const r = await cli(['get', 'dnsrecord', 'nope', ...state()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: [^\n]*nope not found\n$/);
  });

  it('-o wide adds OWNER, SOURCE and MESSAGE', async () => {
    const r = await cli(['get', 'dnsrecord', 'www', '-o', 'wide', ...state()]);
    expect(r.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['KIND', 'NAME', 'READY', 'SYNCED', 'REASON', 'AGE', 'OWNER', 'SOURCE', 'MESSAGE']);
    expect(r.stdout).toContain(`${join(desired, 'www.yaml')}:2`);
    expect(r.stdout).toContain('CNAME www.example.com → prod.example.com');
  });

  it('-o json is a Kubernetes List with spec, conditions and observed status', async () => {
    const r = await cli(['get', '-o', 'json', ...state()]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { apiVersion: string; kind: string; items: ListItem[] };
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.metadata.name)).toEqual(['apex', 'verify', 'www']);
    const www = list.items.find((i) => i.metadata.name === 'www')!;
    expect(www).toMatchObject({ apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord', spec: { zone: 'example.com', name: 'www', type: 'CNAME', content: 'prod.example.com' } });
    expect(condition(www, 'Ready')).toBe('True');
    expect(condition(www, 'Synced')).toBe('True');
    expect(www.status).toMatchObject({ fqdn: 'www.example.com', content: 'prod.example.com', observedGeneration: 1 });
    expect(www.status.events.map((e) => e.reason)).toContain('Created');
  });

  it('-o yaml is the same List', async () => {
    const json = JSON.parse((await cli(['get', '-o', 'json', ...state()])).stdout) as unknown;
    const yaml = await cli(['get', '-o', 'yaml', ...state()]);
    expect(yaml.code).toBe(0);
    expect(parse(yaml.stdout)).toEqual(json);
  });
});

describe('livchat describe', () => {
  it('shows spec, status, conditions and events', async () => {
    const r = await cli(['describe', 'DNSRecord/apex', ...state()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name:\s+apex$/m);
    expect(r.stdout).toMatch(/^Kind:\s+DNSRecord$/m);
    expect(r.stdout).toMatch(/^Generation:\s+1$/m);
    expect(r.stdout).toContain(`Source:       ${join(desired, 'apex.yaml')}:2:1`);
    expect(r.stdout).toMatch(/^Spec:\n(?:  .*\n)*  content: 203\.0\.113\.10$/m);
    expect(r.stdout).toMatch(/^Conditions:\n  TYPE\s+STATUS\s+REASON\s+AGE\s+MESSAGE$/m);
    expect(r.stdout).toMatch(/^  Ready\s+True\s+Available\s+\d+s\s+A example\.com → 203\.0\.113\.10$/m);
    expect(r.stdout).toMatch(/^Events:\n  TYPE\s+REASON\s+COUNT\s+LAST SEEN\s+MESSAGE\n  Normal\s+Created\s+1\s+\d+s\s+created A example\.com → 203\.0\.113\.10$/m);
  });

  it('accepts a lower-case kind, and a missing object exits 1', async () => {
    expect((await cli(['describe', 'dnsrecord/www', ...state()])).code).toBe(0);
    const r = await cli(['describe', 'DNSRecord/nope', ...state()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: DNSRecord/nope not found\n');
  });
});

describe('livchat wait', () => {
  it('returns 0 at once when the condition holds', async () => {
    const r = await cli(['wait', 'DNSRecord/www', '--for', 'condition=Ready', '--timeout', '5s', ...state()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('DNSRecord/www condition met\n');
    const synced = await cli(['wait', 'dnsrecord/verify', '--for=condition=synced=true', '--timeout', '5s', ...state()]);
    expect(synced.code).toBe(0);
  });

  it('times out with exit 1 and says what the condition is now', async () => {
    const r = await cli(['wait', 'DNSRecord/www', '--for', 'condition=Ready=False', '--timeout', '50ms', ...state()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: timed out waiting for DNSRecord/www Ready=False (now True: Available)\n');
    const missing = await cli(['wait', 'DNSRecord/ghost', '--for', 'condition=Ready', '--timeout', '0', ...state()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: timed out waiting for DNSRecord/ghost Ready=True (not found)\n');
  });
});

describe('livchat secret', () => {
  const VALUE = 'hunter2-correct-horse-battery-staple';

  it('set reads stdin, list shows names only, rm removes; the value is never printed or stored in plaintext', async () => {
    const dir = tempDir('lc-secret-');
    const outputs: string[] = [];
    const run = async (argv: string[], stdin?: string) => {
      const r = await cli([...argv, '--state-dir', dir], stdin === undefined ? {} : { stdin });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const set = await run(['secret', 'set', 'db-password'], `${VALUE}\n`);
    expect(set).toEqual({ code: 0, stdout: 'secret db-password set\n', stderr: '' });
    expect((await run(['secret', 'set', 'cloudflare-token'], 'cf-token-value-0123456789')).code).toBe(0);
    expect(await run(['secret', 'list'])).toEqual({ code: 0, stdout: 'cloudflare-token\ndb-password\n', stderr: '' });

    const vaultFile = readFileSync(join(dir, 'vault.json'), 'utf8');
    expect(vaultFile).toContain('"db-password"');
    expect(vaultFile).not.toContain(VALUE);
    expect(vaultFile).not.toContain(Buffer.from(VALUE).toString('base64'));
    expect(existsSync(join(dir, 'master.key'))).toBe(true);

    expect(await run(['secret', 'rm', 'db-password'])).toEqual({ code: 0, stdout: 'secret db-password removed\n', stderr: '' });
    expect((await run(['secret', 'list'])).stdout).toBe('cloudflare-token\n');
    const again = await run(['secret', 'rm', 'db-password']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: no secret named db-password\n');
    for (const o of outputs) expect(o).not.toContain(VALUE);
  });

  it('set keeps inner newlines and strips exactly one trailing newline', async () => {
    const dir = tempDir('lc-secret-');
    expect((await cli(['secret', 'set', 'multi', '--state-dir', dir], { stdin: 'line one\nline two\n\n' })).code).toBe(0);
    const v = await Vault.open({ stateDir: dir, env: {} });
    expect(v.get('multi')).toBe('line one\nline two\n');
  });

  it('set with empty stdin exits 1 and stores nothing', async () => {
    const dir = tempDir('lc-secret-');
    const r = await cli(['secret', 'set', 'empty', '--state-dir', dir], { stdin: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: no value on stdin\n');
    expect((await cli(['secret', 'list', '--state-dir', dir])).stdout).toBe('');
  });
});

describe('usage errors', () => {
  const dir = tempDir('lc-usage-');
  const cases: string[][] = [
    ['nosuch'],
    ['get', '--bogus'],
    ['get', '-o', 'xml'],
    ['get', 'a', 'b', 'c'],
    ['--log-format', 'xml', 'get'],
    ['describe'],
    ['describe', 'not a ref'],
    ['describe', 'DNSRecord/Upper_Case'],
    ['wait', 'DNSRecord/www'],
    ['wait', 'DNSRecord/www', '--for', 'ready'],
    ['wait', 'DNSRecord/www', '--for', 'condition=Ready', '--timeout', 'soon'],
    ['plan', dir, '--sim', 'not a url'],
    ['plan', dir, '--sim', 'http://203.0.113.7:8080'],
    ['apply', dir, '--simulate', '--sim', 'http://127.0.0.1:1'],
    ['apply', dir, '--timeout', 'forever'],
    ['run', dir, '--listen', 'nope'],
    ['run', dir, '--listen', '0.0.0.0:0'],
    ['run', dir, '--shutdown-timeout', 'x'],
    ['simulate', '--listen', '203.0.113.1:0'],
    ['simulate', '--action-duration', '-5'],
    ['secret', 'frob'],
    ['secret', 'set'],
    ['secret', 'rm'],
    ['validate', dir, '--strict'],
  ];
  for (const argv of cases) {
    it(`livchat ${argv.join(' ')} → 64`, async () => {
      const r = await cli([...argv, '--state-dir', dir]);
      expect(r.code).toBe(64);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
    });
  }

  it('a usage error creates no state', async () => {
    const fresh = join(tempDir('lc-usage-'), 'state');
    await cli(['apply', dir, '--timeout', 'forever', '--state-dir', fresh]);
    expect(existsSync(fresh)).toBe(false);
  });
});
