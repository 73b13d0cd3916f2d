// resolveKindAlias: every name a CRD declares for its kind, in any case, resolves to that kind; nothing else does.
import { describe, expect, it } from 'vitest';
import { kindAliases, resolveKindAlias } from '../../src/crd/index.js';
// @ts-expect-error -- plain ESM script without type declarations
import { readCrds } from '../../scripts/gen-types.mjs';

const crds: Array<{ kind: string; crd: { spec: { names: { plural: string; singular: string; shortNames?: string[] } } } }> = readCrds(new URL('../..', import.meta.url).pathname);

describe('resolveKindAlias', () => {
  it.each([
    ['dns', 'DNSRecord'], ['DNS', 'DNSRecord'], ['dnsrecord', 'DNSRecord'], ['DNSRecords', 'DNSRecord'], ['DNSRecord', 'DNSRecord'],
    ['srv', 'Server'], ['server', 'Server'], ['Servers', 'Server'],
    ['app', 'AppDeployment'], ['appdeployments', 'AppDeployment'], ['AppDeployment', 'AppDeployment'],
    ['dnsrecords.livchat.ai', 'DNSRecord'], ['Server.livchat.ai', 'Server'], [' srv ', 'Server'],
  ])('%s → %s', (word, kind) => {
    expect(resolveKindAlias(word)).toBe(kind);
  });

  it.each(['dnsrec', 'record', 'servers.example.com', 'srv.livchat.ai', '', 'pods', 'DNSRecord/www'])('%j names no kind', (word) => {
    expect(resolveKindAlias(word)).toBeUndefined();
  });

  it('follows the CRDs: every declared plural, singular and short name resolves to its kind', () => {
    for (const { kind, crd } of crds) {
      const n = crd.spec.names;
      for (const word of [n.plural, n.singular, ...(n.shortNames ?? [])]) expect(resolveKindAlias(word), word).toBe(kind);
      expect(kindAliases(kind as 'Server')).toEqual([kind, n.plural, n.singular, ...(n.shortNames ?? [])]);
    }
  });
});
