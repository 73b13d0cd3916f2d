// `livchat validate`: exit 0 on a valid directory, 1 with one `FILE:LINE:COL: KIND/NAME: message` line per problem, or a JSON array.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, dnsYaml, tempDir, writeFiles } from '../helpers/cli.js';

const LINE = /^(.+):(\d+):(\d+): (?:([A-Za-z]+)\/([a-z0-9-]+): )?(.+)$/;

let good: string;
let bad: string;

beforeAll(() => {
  good = tempDir('lc-validate-good-');
  writeFiles(good, {
    'www.yaml': dnsYaml('www', { zone: 'example.com', name: 'www', type: 'CNAME', content: 'prod.example.com' }),
    'nested/mail.yml': dnsYaml('mx', { zone: 'example.com', name: '@', type: 'MX', content: 'mail.example.com', priority: 10 })
      + '---\n' + dnsYaml('apex', { zone: 'example.org', name: '@', type: 'A', content: '203.0.113.10' }),
    'README.md': '# not a desired file\n',
  });
  bad = tempDir('lc-validate-bad-');
  writeFiles(bad, {
    // Line 8 col 3 is `type:` of the first document; line 20 col 3 is `extra:` of the second.
    'records.yaml': dnsYaml('bad-type', { zone: 'example.com', name: 'x', type: 'ZZZ', content: '1' })
      + '---\n' + dnsYaml('extra-field', { zone: 'example.com', name: 'y', type: 'A', content: '203.0.113.1', extra: 1 }),
    'broken.yml': 'apiVersion: [\n',
    'ok.yaml': dnsYaml('fine', { zone: 'example.com', name: 'fine', type: 'A', content: '203.0.113.2' }),
  });
});

describe('livchat validate', () => {
  it('exits 0 on a valid directory, prints nothing on stdout and a summary on stderr', async () => {
    const r = await cli(['validate', good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('3 objects in 2 files are valid\n');
  });

  it('-o json on a valid directory prints an empty array', async () => {
    const r = await cli(['validate', good, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('resolves a relative directory against the CLI working directory', async () => {
    const r = await cli(['validate', '.'], { cwd: good });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('3 objects in 2 files are valid\n');
  });

  it('exits 1 with exactly one FILE:LINE:COL: KIND/NAME: message line per problem', async () => {
    const r = await cli(['validate', bad]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines).toContain(`${join(bad, 'records.yaml')}:8:3: DNSRecord/bad-type: spec.type: must be one of A, AAAA, CNAME, TXT, MX or CAA (got "ZZZ")`);
    expect(lines).toContain(`${join(bad, 'records.yaml')}:20:3: DNSRecord/extra-field: spec.extra: unknown field`);
    // A YAML syntax error has no object to name: FILE:LINE:COL: message.
    const yamlLine = lines.find((l) => l.includes('broken.yml'))!;
    expect(yamlLine).toMatch(new RegExp(`^${join(bad, 'broken.yml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: invalid YAML: .+$`));
    expect(r.stdout).not.toContain('DNSRecord/fine');
  });

  it('-o json prints the same problems as an array of {file, line, col, kind, name, message}', async () => {
    const text = await cli(['validate', bad]);
    const r = await cli(['validate', bad, '-o', 'json']);
    expect(r.code).toBe(1);
    const problems = JSON.parse(r.stdout) as Array<{ file: string; line: number; col: number; kind?: string; name?: string; message: string }>;
    expect(problems).toHaveLength(3);
    expect(problems).toContainEqual({ file: join(bad, 'records.yaml'), line: 20, col: 3, kind: 'DNSRecord', name: 'extra-field', message: 'spec.extra: unknown field' });
    // The JSON and the text form describe the same problems, in the same order.
    const rendered = problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.kind ? `${p.kind}/${p.name}: ` : ''}${p.message}`);
    expect(rendered.join('\n') + '\n').toBe(text.stdout);
  });

  it('reports an object defined twice in both places and applies neither', async () => {
    const dir = tempDir('lc-validate-dup-');
    writeFiles(dir, {
      'a.yaml': dnsYaml('www', { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.5' }),
      'b.yaml': dnsYaml('www', { zone: 'example.com', name: 'www2', type: 'A', content: '203.0.113.6' }),
    });
    const r = await cli(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${join(dir, 'a.yaml')}:2:1: DNSRecord/www: defined more than once (also at ${join(dir, 'b.yaml')}:2:1); neither copy is applied\n`
      + `${join(dir, 'b.yaml')}:2:1: DNSRecord/www: defined more than once (also at ${join(dir, 'a.yaml')}:2:1); neither copy is applied\n`,
    );
  });

  it('a missing directory is a problem (exit 1), not a crash', async () => {
    const r = await cli(['validate', join(bad, 'does-not-exist')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${join(bad, 'does-not-exist')}:1:1: cannot read desired directory: ENOENT`));
  });

  it('an unknown output format or an extra argument is a usage error (64) on one line', async () => {
    for (const argv of [['validate', good, '-o', 'xml'], ['validate', good, 'extra'], ['validate', good, '--strict']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(64);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
    }
  });
});

describe('livchat validate across objects', () => {
  it('reports an AppDeployment on a Server without infrastructure at its spec.server line, and accepts it once the Server has it', async () => {
    const dir = tempDir('lc-validate-app-');
    const server = (infra: string): string => ['apiVersion: livchat.ai/v1alpha1', 'kind: Server', 'metadata: {name: prod}', 'spec:', '  location: nbg1', '  serverType: cx23', '  image: ubuntu-24.04', '  dns: {zone: example.com, name: prod}', infra].filter(Boolean).join('\n') + '\n';
    writeFiles(dir, {
      'server.yaml': server(''),
      'app.yaml': ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: whoami', 'spec:', '  app: whoami', '  server: prod', ''].join('\n'),
    });
    const r = await cli(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([`${join(dir, 'app.yaml')}:7:3: AppDeployment/whoami: spec.server: Server prod has no spec.infrastructure (Traefik and Portainer); add it, e.g. infrastructure: {acmeEmail: you@example.com}`]);
    writeFiles(dir, { 'server.yaml': server('  infrastructure: {acmeEmail: ops@example.com}') });
    expect((await cli(['validate', dir])).code).toBe(0);
  });
});

describe('livchat validate against app templates', () => {
  it('reports an unknown env input and a version the template does not allow at their lines', async () => {
    const dir = tempDir('lc-validate-tpl-');
    writeFiles(dir, {
      'server.yaml': ['apiVersion: livchat.ai/v1alpha1', 'kind: Server', 'metadata: {name: prod}', 'spec:', '  location: nbg1', '  serverType: cx23', '  image: ubuntu-24.04', '  dns: {zone: example.com, name: prod}', '  infrastructure: {acmeEmail: ops@example.com}', ''].join('\n'),
      'app.yaml': ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: whoami', 'spec:', '  app: whoami', '  server: prod', '  version: "9.9.9"', '  env:', '    NAME: demo', '    COLOUR: blue', ''].join('\n'),
    });
    const r = await cli(['validate', dir]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${join(dir, 'app.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:8:3: AppDeployment/whoami: spec\\.version: .*1\\.11\\.0`));
    expect(lines[1]).toMatch(/:11:5: AppDeployment\/whoami: spec\.env\.COLOUR: unknown input COLOUR/);
  });
});
