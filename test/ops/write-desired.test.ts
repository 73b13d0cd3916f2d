// The desired writer: validated, atomic, one file per object, and a path-traversal corpus that writes nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DesiredWriteError, removeDesired, writeDesired } from '../../src/ops/write-desired.js';
import { dnsYaml, tempDir } from '../helpers/cli.js';

const server = (name: string): string => `apiVersion: livchat.ai/v1alpha1\nkind: Server\nmetadata:\n  name: ${name}\nspec:\n  location: nbg1\n  serverType: cx23\n  image: ubuntu-24.04\n`;

/** listing is every entry under dir (recursive, hidden ones too), to prove a refusal wrote nothing. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

describe('writeDesired', () => {
  it('writes desired/<kind>-<name>.yaml atomically and leaves no temp file', () => {
    const dir = tempDir('lc-wd-');
    const r = writeDesired(dir, { kind: 'DNSRecord', name: 'www', yaml: dnsYaml('www', { zone: 'example.com', name: 'www', type: 'TXT', content: 'x' }) });
    expect(r.key).toBe('DNSRecord/www');
    expect(listing(dir)).toEqual(['dnsrecord-www.yaml']);
    expect(readFileSync(join(dir, 'dnsrecord-www.yaml'), 'utf8')).toContain('content: "x"');
  });

  it('takes an object and writes it as YAML', () => {
    const dir = tempDir('lc-wd-obj-');
    writeDesired(dir, { kind: 'DNSRecord', name: 'api', object: { apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord', metadata: { name: 'api' }, spec: { zone: 'example.com', name: 'api', type: 'TXT', content: 'y' } } });
    expect(listing(dir)).toEqual(['dnsrecord-api.yaml']);
  });

  it('refuses a document that fails the CRD, a duplicate defined elsewhere, and a missing Server reference; writes nothing', () => {
    const dir = tempDir('lc-wd-bad-');
    writeFileSync(join(dir, 'hand.yaml'), dnsYaml('www', { zone: 'example.com', name: 'www', type: 'TXT', content: 'x' }));
    const before = listing(dir);
    const bad: Array<[{ kind: string; name: string; yaml: string }, RegExp]> = [
      [{ kind: 'DNSRecord', name: 'www', yaml: dnsYaml('www', { zone: 'example.com', name: 'www', type: 'TXT', content: 'y' }) }, /^dnsrecord-www\.yaml:1:1: DNSRecord\/www: .*already defined in hand\.yaml:\d+/],
      [{ kind: 'DNSRecord', name: 'bad', yaml: dnsYaml('bad', { zone: 'example.com', name: 'bad', type: 'NOPE', content: 'y' }) }, /dnsrecord-bad\.yaml:\d+:\d+: DNSRecord\/bad: .*type/],
      [{ kind: 'DNSRecord', name: 'other', yaml: dnsYaml('mismatch', { zone: 'example.com', name: 'm', type: 'TXT', content: 'y' }) }, /is DNSRecord\/mismatch, not DNSRecord\/other/],
      [{ kind: 'DNSRecord', name: 'a', yaml: 'apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: a\nspec:\n  zone: example.com\n  name: a\n  type: A\n  contentFrom:\n    server: ghost\n    address: ipv4\n' }, /refers to Server\/ghost/],
      [{ kind: 'DNSRecord', name: 'two', yaml: dnsYaml('two', { zone: 'example.com', name: 't', type: 'TXT', content: 'y' }) + '---\n' + server('s2') }, /exactly one object, not 2/],
      [{ kind: 'DNSRecord', name: 'broken', yaml: 'kind: [unclosed' }, /dnsrecord-broken\.yaml:\d+:\d+/],
    ];
    for (const [input, why] of bad) {
      const err = (() => { try { writeDesired(dir, input); return undefined; } catch (e) { return e; } })();
      expect(err, input.name).toBeInstanceOf(DesiredWriteError);
      expect((err as Error).message, input.name).toMatch(why);
    }
    expect(listing(dir)).toEqual(before);
  });

  it('accepts a reference once the Server is defined', () => {
    const dir = tempDir('lc-wd-ref-');
    writeDesired(dir, { kind: 'Server', name: 'prod', yaml: server('prod') });
    writeDesired(dir, { kind: 'DNSRecord', name: 'a', yaml: 'apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: a\nspec:\n  zone: example.com\n  name: a\n  type: A\n  contentFrom:\n    server: prod\n    address: ipv4\n' });
    expect(listing(dir)).toEqual(['dnsrecord-a.yaml', 'server-prod.yaml']);
  });

  it('refuses every path-traversal attempt, NUL, encoded separators, non-RFC-1123 names, unknown kinds and symlinked targets', () => {
    const parent = tempDir('lc-wd-trav-');
    const dir = join(parent, 'desired');
    mkdirSync(dir);
    const outside = join(parent, 'outside.yaml');
    writeFileSync(outside, 'untouched\n');
    symlinkSync(outside, join(dir, 'dnsrecord-link.yaml'));
    const names = ['../x', '..', '.', '../../etc/passwd', '/etc/passwd', '/tmp/x', 'a/b', 'a\\b', 'a\0b', '\0', 'a%2fb', '%2e%2e', '..%2f', 'a%00b',
      'A', 'Www', 'a_b', 'a.b', '-a', 'a-', '', ' a', 'a ', 'a'.repeat(64), 'ü', 'a\nb', 'link'];
    const before = listing(dir);
    for (const name of names) {
      const yaml = dnsYaml(name.replace(/[^a-z0-9-]/g, '') || 'x', { zone: 'example.com', name: 'x', type: 'TXT', content: 'x' });
      expect(() => writeDesired(dir, { kind: 'DNSRecord', name, yaml }), JSON.stringify(name)).toThrow(DesiredWriteError);
      expect(() => removeDesired(dir, 'DNSRecord', name), JSON.stringify(name)).toThrow(DesiredWriteError);
    }
    for (const kind of ['../Server', 'Server/../x', '/abs', 'server', 'Nope', '']) {
      expect(() => writeDesired(dir, { kind, name: 'x', yaml: server('x') }), kind).toThrow(DesiredWriteError);
    }
    expect(listing(dir)).toEqual(before);
    expect(readFileSync(outside, 'utf8')).toBe('untouched\n');
    expect(readdirSync(parent).sort()).toEqual(['desired', 'outside.yaml']);
  });

  it('removeDesired removes the file it would have written, and says false when absent', () => {
    const dir = tempDir('lc-wd-rm-');
    writeDesired(dir, { kind: 'Server', name: 'prod', yaml: server('prod') });
    expect(removeDesired(dir, 'Server', 'prod')).toBe(true);
    expect(existsSync(join(dir, 'server-prod.yaml'))).toBe(false);
    expect(removeDesired(dir, 'Server', 'prod')).toBe(false);
  });
});
