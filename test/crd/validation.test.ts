// Table of invalid desired objects: each must give the expected message at the exact FILE:LINE:COL.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, kinds, validate } from '../../src/crd/registry.js';
import { formatProblem } from '../../src/engine/types.js';
import { loadDesiredDirectory } from '../helpers/load-dir.js';
import { parseDesiredText } from '../../src/source/yaml-loader.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** problemsOf loads YAML as if it were /virtual/case.yaml with cwd /virtual and formats the problems. */
function problemsOf(lines: string[]): string[] {
  return parseDesiredText(`${lines.join('\n')}\n`, '/virtual/case.yaml', { cwd: '/virtual' }).problems.map(formatProblem);
}

/** dns builds a DNSRecord named www whose spec lines start on line 7 (spec: is line 5, zone line 6). */
const dns = (...spec: string[]): string[] => [
  'apiVersion: livchat.ai/v1alpha1',
  'kind: DNSRecord',
  'metadata:',
  '  name: www',
  'spec:',
  '  zone: example.com',
  ...spec,
];

/** server builds a Server named prod whose extra spec lines start on line 9. */
const server = (...spec: string[]): string[] => [
  'apiVersion: livchat.ai/v1alpha1',
  'kind: Server',
  'metadata:',
  '  name: prod',
  'spec:',
  '  location: nbg1',
  '  serverType: cx23',
  '  image: ubuntu-24.04',
  ...spec,
];

const W = 'DNSRecord/www';
const P = 'Server/prod';

const cases: Array<[string, string[], string[]]> = [
  ['A content that is not IPv4', dns('  name: www', '  type: A', '  content: 1.2.3'),
    [`case.yaml:9:3: ${W}: spec.content: must be a valid IPv4 address when type is A (got "1.2.3")`]],
  ['AAAA content that is not IPv6', dns('  name: www', '  type: AAAA', '  content: 203.0.113.5'),
    [`case.yaml:9:3: ${W}: spec.content: must be a valid IPv6 address when type is AAAA (got "203.0.113.5")`]],
  ['proxied on TXT', dns('  name: www', '  type: TXT', '  content: hello', '  proxied: false'),
    [`case.yaml:10:3: ${W}: spec.proxied: is not allowed when type is TXT, MX or CAA`]],
  ['proxied on MX', dns('  name: "@"', '  type: MX', '  content: mail.example.com', '  priority: 10', '  proxied: true'),
    [`case.yaml:11:3: ${W}: spec.proxied: is not allowed when type is TXT, MX or CAA`]],
  ['proxied on CAA', dns('  name: "@"', '  type: CAA', '  content: 0 issue "letsencrypt.org"', '  proxied: true'),
    [`case.yaml:10:3: ${W}: spec.proxied: is not allowed when type is TXT, MX or CAA`]],
  ['ttl below 60', dns('  name: www', '  type: TXT', '  content: x', '  ttl: 30'),
    [`case.yaml:10:3: ${W}: spec.ttl: must be an integer from 60 to 86400 or "auto" (got 30)`]],
  ['ttl above 86400', dns('  name: www', '  type: TXT', '  content: x', '  ttl: 86401'),
    [`case.yaml:10:3: ${W}: spec.ttl: must be an integer from 60 to 86400 or "auto" (got 86401)`]],
  ['ttl a string other than auto', dns('  name: www', '  type: TXT', '  content: x', '  ttl: fast'),
    [`case.yaml:10:3: ${W}: spec.ttl: must be an integer from 60 to 86400 or "auto" (got "fast")`]],
  ['numeric ttl on a proxied record', dns('  name: www', '  type: A', '  content: 203.0.113.5', '  proxied: true', '  ttl: 300'),
    [`case.yaml:11:3: ${W}: spec.ttl: must be "auto" when proxied is true; Cloudflare ignores the TTL of proxied records (got 300)`]],
  ['name outside the zone', dns('  name: www.example.org.', '  type: A', '  content: 203.0.113.5'),
    [`case.yaml:7:3: ${W}: spec.name: "www.example.org." is outside zone example.com`]],
  ['uppercase name', dns('  name: WWW', '  type: A', '  content: 203.0.113.5'),
    [`case.yaml:7:3: ${W}: spec.name: must be a valid DNS record name ("@", a relative name, or an FQDN inside the zone; lowercase) (got "WWW")`]],
  ['both content and contentFrom', dns('  name: www', '  type: A', '  content: 203.0.113.5', '  contentFrom: {server: prod, address: ipv4}'),
    [`case.yaml:5:1: ${W}: spec: set exactly one of content or contentFrom, not both`]],
  ['neither content nor contentFrom', dns('  name: www', '  type: A'),
    [`case.yaml:5:1: ${W}: spec: one of content or contentFrom is required`]],
  ['MX without priority', dns('  name: "@"', '  type: MX', '  content: mail.example.com'),
    [`case.yaml:5:1: ${W}: spec.priority: is required when type is MX`]],
  ['priority on an A record', dns('  name: www', '  type: A', '  content: 203.0.113.5', '  priority: 5'),
    [`case.yaml:10:3: ${W}: spec.priority: is not allowed when type is A, AAAA, CNAME, TXT or CAA`]],
  ['MX priority out of range', dns('  name: "@"', '  type: MX', '  content: mail.example.com', '  priority: 70000'),
    [`case.yaml:10:3: ${W}: spec.priority: must be <= 65535 (got 70000)`]],
  ['contentFrom on a CNAME', dns('  name: www', '  type: CNAME', '  contentFrom:', '    server: prod', '    address: ipv4'),
    [`case.yaml:9:3: ${W}: spec.contentFrom: is only allowed for A and AAAA records; use content for CNAME`]],
  ['contentFrom address not matching the type', dns('  name: www', '  type: AAAA', '  contentFrom:', '    server: prod', '    address: ipv4'),
    [`case.yaml:11:5: ${W}: spec.contentFrom.address: must be ipv6 for an AAAA record (got "ipv4")`]],
  ['CNAME content that is not a hostname', dns('  name: www', '  type: CNAME', '  content: 203.0.113.5'),
    [`case.yaml:9:3: ${W}: spec.content: must be a hostname such as target.example.com for a CNAME record (got "203.0.113.5")`]],
  ['CNAME pointing at itself', dns('  name: www', '  type: CNAME', '  content: www.example.com'),
    [`case.yaml:9:3: ${W}: spec.content: a CNAME record cannot point at itself`]],
  ['unknown type', dns('  name: www', '  type: SRV', '  content: x'),
    [`case.yaml:8:3: ${W}: spec.type: must be one of A, AAAA, CNAME, TXT, MX or CAA (got "SRV")`]],
  ['unknown spec field', dns('  name: www', '  type: A', '  content: 203.0.113.5', '  comment: hi'),
    [`case.yaml:10:3: ${W}: spec.comment: unknown field`]],
  ['unknown nested field', dns('  name: www', '  type: A', '  contentFrom:', '    server: prod', '    address: ipv4', '    port: 1'),
    [`case.yaml:12:5: ${W}: spec.contentFrom.port: unknown field`]],
  ['unknown top-level field', [...dns('  name: www', '  type: A', '  content: 203.0.113.5'), 'extra: 1'],
    [`case.yaml:10:1: ${W}: extra: unknown field`]],
  ['status in a desired file', [...dns('  name: www', '  type: A', '  content: 203.0.113.5'), 'status:', '  observedGeneration: 1'],
    [`case.yaml:10:1: ${W}: status: is owned by the daemon and may not appear in a desired file`]],
  ['metadata.generation in a desired file', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: n8n', '  generation: 4', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:5:3: AppDeployment/n8n: metadata.generation: is assigned by the daemon and may not appear in a desired file']],
  ['metadata.namespace', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: n8n', '  namespace: default', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:5:3: AppDeployment/n8n: metadata.namespace: is not supported: objects are cluster-scoped']],
  ['unknown metadata field', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: n8n', '  uid: abc', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:5:3: AppDeployment/n8n: metadata.uid: unknown field']],
  ['bad metadata.name', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: N8n_App', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:4:3: AppDeployment/N8n_App: metadata.name: must be a valid RFC 1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters) (got "N8n_App")']],
  ['metadata.name longer than 63', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', `  name: ${'a'.repeat(64)}`, 'spec: {server: prod, app: n8n}'],
    [`case.yaml:4:3: AppDeployment/${'a'.repeat(64)}: metadata.name: must be at most 63 characters long`]],
  ['missing metadata.name', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  labels: {a: b}', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:3:1: AppDeployment: metadata.name: is required']],
  ['unquoted annotation value', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: n8n', '  annotations:', '    livchat.ai/paused: true', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:6:5: AppDeployment/n8n: metadata.annotations["livchat.ai/paused"]: must be a string; put the value in quotes (got true)']],
  ['approve-replace that is not a generation', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata:', '  name: n8n', '  annotations:', '    livchat.ai/approve-replace: "next"', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:6:5: AppDeployment/n8n: metadata.annotations["livchat.ai/approve-replace"]: must be a valid generation number (a positive integer in quotes) (got "next")']],
  ['unknown apiVersion', ['apiVersion: v1', 'kind: AppDeployment', 'metadata: {name: n8n}', 'spec: {server: prod, app: n8n}'],
    ['case.yaml:1:1: AppDeployment/n8n: apiVersion: unknown API version "v1"; expected livchat.ai/v1alpha1']],
  ['unknown kind', ['apiVersion: livchat.ai/v1alpha1', 'kind: Database', 'metadata: {name: pg}', 'spec: {}'],
    ['case.yaml:2:1: Database/pg: kind: unknown kind "Database"; expected one of AppDeployment, DNSRecord, Server']],
  ['a document that is not a mapping', ['- a', '- b'],
    ['case.yaml:1:1: must be a mapping with apiVersion, kind, metadata and spec']],
  ['missing spec', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata: {name: n8n}'],
    ['case.yaml:1:1: AppDeployment/n8n: spec: is required']],
  ['AppDeployment env that is not a mapping', ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', 'metadata: {name: n8n}', 'spec:', '  server: prod', '  app: n8n', '  env: [1, 2]'],
    ['case.yaml:7:3: AppDeployment/n8n: spec.env: must be a mapping (got [1,2])']],
  ['Server infrastructure without dns', server('  infrastructure: {acmeEmail: ops@example.com}'),
    [`case.yaml:9:3: ${P}: spec.infrastructure: infrastructure needs spec.dns: apps get names under the server's DNS name`]],
  ['Server without image', ['apiVersion: livchat.ai/v1alpha1', 'kind: Server', 'metadata: {name: prod}', 'spec:', '  location: nbg1', '  serverType: cx23'],
    [`case.yaml:4:1: ${P}: spec.image: is required`]],
  ['Server swap size', server('  setup: {swapSize: 2GB}'),
    [`case.yaml:9:11: ${P}: spec.setup.swapSize: must be a valid swap size (a number with M or G, e.g. 512M or 2G, or 0 for no swap) (got "2GB")`]],
  ['Server time zone', server('  setup:', '    timezone: Mars/Olympus'),
    [`case.yaml:10:5: ${P}: spec.setup.timezone: unknown time zone "Mars/Olympus"`]],
  ['Server reserved label prefix', server('  labels:', '    hetzner.cloud/x: "y"'),
    [`case.yaml:10:5: ${P}: spec.labels["hetzner.cloud/x"]: the hetzner.cloud/ label prefix is reserved by Hetzner`]],
  ['Server label value', server('  labels:', '    env: "has space"'),
    [`case.yaml:10:5: ${P}: spec.labels.env: must be a valid Hetzner label value (empty, or up to 63 characters of [a-zA-Z0-9] with "-", "_" and "." inside) (got "has space")`]],
  ['Server SSH key with a bad type', server('  sshKeys:', '    - ssh-dss AAAAB3NzaC1kc3M= me'),
    [`case.yaml:10:7: ${P}: spec.sshKeys[0]: must be a valid OpenSSH public key line ("<type> <base64> [comment]") (got "ssh-dss AAAAB3NzaC1kc3M= me")`]],
  ['Server SSH key whose data does not match its type', server('  sshKeys:', '    - ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me'),
    [`case.yaml:10:7: ${P}: spec.sshKeys[0]: key data does not match its type ssh-rsa`]],
  ['Server DNS name outside its zone', server('  dns: {zone: example.com, name: prod.example.net.}'),
    [`case.yaml:9:28: ${P}: spec.dns.name: "prod.example.net." is outside zone example.com`]],
];

describe('validation problems', () => {
  it.each(cases)('%s', (_name, lines, expected) => {
    expect(problemsOf(lines)).toEqual(expected);
  });

  it('reports every schema error of a document at once, in source order', () => {
    expect(problemsOf(dns('  name: www', '  type: A', '  content: 1.2.3', '  ttl: 5', '  extra: x'))).toEqual([
      `case.yaml:9:3: ${W}: spec.content: must be a valid IPv4 address when type is A (got "1.2.3")`,
      `case.yaml:10:3: ${W}: spec.ttl: must be an integer from 60 to 86400 or "auto" (got 5)`,
      `case.yaml:11:3: ${W}: spec.extra: unknown field`,
    ]);
  });
});

describe('registry', () => {
  const www = { apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord', metadata: { name: 'www' }, spec: { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.5' } };

  it('lists the kinds', () => {
    expect(kinds()).toEqual(['AppDeployment', 'DNSRecord', 'Server']);
  });

  it('validate returns JSON pointers and messages without touching the input', () => {
    const input = structuredClone(www);
    expect(validate(input)).toEqual([]);
    expect(input).toEqual(www);
    expect(validate({ ...www, spec: { ...www.spec, ttl: 10 } })).toEqual([{ path: '/spec/ttl', message: 'must be an integer from 60 to 86400 or "auto" (got 10)' }]);
  });

  it('check returns a copy with the CRD defaults applied', () => {
    expect(check(www).object?.spec).toEqual({ ...www.spec, ttl: 'auto', deletionPolicy: 'Delete' });
    const srv = check({ apiVersion: 'livchat.ai/v1alpha1', kind: 'Server', metadata: { name: 'a' }, spec: { location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04', setup: {} } });
    expect(srv.object?.spec).toMatchObject({ sshKeys: [], protection: { delete: true }, setup: { timezone: 'UTC' }, deletionPolicy: 'Delete' });
  });

  it('accepts relative, apex, wildcard and in-zone FQDN names', () => {
    for (const name of ['@', 'n8n.prod', '_dmarc', '*.apps', 'www.example.com', 'www.example.com.', '*']) {
      expect(validate({ ...www, spec: { ...www.spec, name } }), name).toEqual([]);
    }
  });
});

describe('samples in desired/', () => {
  it('all validate, one object per file, each file opening with its editor schema comment', () => {
    const dir = join(ROOT, 'desired');
    const load = loadDesiredDirectory(dir, { cwd: ROOT });
    expect(load.problems.map(formatProblem)).toEqual([]);
    expect(load.objects.map((o) => o.key)).toEqual(
      expect.arrayContaining(['DNSRecord/apex', 'DNSRecord/mx', 'DNSRecord/txt-verify', 'DNSRecord/www', 'Server/prod']),
    );
    expect(load.objects).toHaveLength(readdirSync(dir).length);
    for (const file of readdirSync(dir)) {
      const first = readFileSync(join(dir, file), 'utf8').split('\n')[0];
      const kind = load.objects.find((o) => o.source?.file === `desired/${file}`)!.object.kind;
      expect(first).toBe(`# yaml-language-server: $schema=../crds/schemas/${kind.toLowerCase()}.json`);
    }
  });
});
