// Checks that crds/*.yaml are valid structural apiextensions.k8s.io/v1 CRDs and that generated files match them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error -- plain ESM script without type declarations
import { celToSchema, expandValidations, generate, readCrds } from '../../scripts/gen-types.mjs';
import { validate } from '../../src/crd/registry.js';
import { crdViolations, shortNameClashes } from '../helpers/structural.js';

const ROOT = resolve(import.meta.dirname, '../..');
type Schema = Record<string, any>;
type Crd = { file: string; kind: string; crd: Schema; schema: Schema };
const crds: Crd[] = readCrds(ROOT);

describe('CRDs', () => {
  it('covers the three kinds', () => {
    expect(crds.map((c) => c.kind)).toEqual(['AppDeployment', 'DNSRecord', 'Server']);
  });

  describe.each(crds)('$file', ({ crd, schema, kind }) => {
    it('is an apiextensions.k8s.io/v1 CustomResourceDefinition with consistent names', () => {
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.kind).toBe('CustomResourceDefinition');
      expect(crd.spec.group).toBe('livchat.ai');
      expect(crd.spec.scope).toBe('Cluster');
      const names = crd.spec.names;
      expect(names.kind).toBe(kind);
      expect(names.listKind).toBe(`${kind}List`);
      expect(names.singular).toBe(kind.toLowerCase());
      expect(names.plural).toBe(`${kind.toLowerCase()}s`);
      expect(crd.metadata.name).toBe(`${names.plural}.livchat.ai`);
      expect(Object.keys(crd.metadata)).toEqual(['name']);
    });

    it('serves and stores exactly v1alpha1, with the status subresource and Ready/Synced/Age columns', () => {
      expect(crd.spec.versions).toHaveLength(1);
      const v = crd.spec.versions[0];
      expect(v).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
      expect(v.additionalPrinterColumns).toEqual([
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Synced")].status' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ]);
    });

    it('passes the API server\'s CRD and structural-schema checks', () => {
      expect(schema.type).toBe('object');
      expect(crdViolations(crd)).toEqual([]);
    });

    it('restricts only metadata.name, as Kubernetes allows', () => {
      expect(Object.keys(schema.properties.metadata.properties)).toEqual(['name']);
      expect(schema.properties.metadata.properties.name).toMatchObject({ type: 'string', maxLength: 63 });
    });

    it('documents the meaningful annotations and has deletionPolicy Delete|Orphan defaulting to Delete', () => {
      // Replacement is a Server notion; an app instead rotates secrets and retries rolled-back versions.
      const own = schema.description.includes('AppDeployment') ? ['livchat.ai/rotate-secret', 'livchat.ai/retry'] : ['livchat.ai/approve-replace'];
      for (const a of ['livchat.ai/paused', 'livchat.ai/adopt', ...own]) expect(schema.description).toContain(a);
      expect(schema.properties.spec.properties.deletionPolicy).toMatchObject({ enum: ['Delete', 'Orphan'], default: 'Delete' });
    });

    it('has a status with conditions and observedGeneration that may carry more fields', () => {
      const status = schema.properties.status;
      expect(status['x-kubernetes-preserve-unknown-fields']).toBe(true);
      expect(status.properties.observedGeneration.type).toBe('integer');
      expect(Object.keys(status.properties.conditions.items.properties)).toEqual(
        ['type', 'status', 'reason', 'message', 'lastTransitionTime', 'observedGeneration'],
      );
    });
  });

  it('shares one condition schema across kinds', () => {
    const [first, ...rest] = crds.map((c) => c.schema.properties.status.properties.conditions);
    for (const other of rest) expect(other).toEqual(first);
  });

  it('declares the short names srv, dns and app, clashing with no other name', () => {
    expect(Object.fromEntries(crds.map((c) => [c.kind, c.crd.spec.names.shortNames]))).toEqual({ AppDeployment: ['app'], DNSRecord: ['dns'], Server: ['srv'] });
    expect(shortNameClashes(crds.map((c) => c.crd))).toEqual([]);
  });

  describe('DNSRecord ttl', () => {
    const ttl = crds.find((c) => c.kind === 'DNSRecord')!.schema.properties.spec.properties.ttl;
    const www = { apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord', metadata: { name: 'www' }, spec: { zone: 'example.com', name: 'www', type: 'TXT', content: 'x' } };

    it('is int-or-string in exactly the structural form, without a type beside it', () => {
      expect(ttl['x-kubernetes-int-or-string']).toBe(true);
      expect(ttl.type).toBeUndefined();
      expect(ttl.anyOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
    });

    it('keeps its range and "auto" in a CEL rule whose message is what the daemon itself reports', () => {
      expect(ttl['x-kubernetes-validations']).toEqual([
        { rule: "type(self) == int ? self >= 60 && self <= 86400 : self == 'auto'", message: 'must be an integer from 60 to 86400 or "auto"' },
      ]);
      const message = ttl['x-kubernetes-validations'][0].message;
      for (const [value, shownAs] of [[59, '59'], [86401, '86401'], ['fast', '"fast"']] as const) {
        expect(validate({ ...www, spec: { ...www.spec, ttl: value } })).toEqual([{ path: '/spec/ttl', message: `${message} (got ${shownAs})` }]);
      }
      for (const value of [60, 86400, 'auto']) expect(validate({ ...www, spec: { ...www.spec, ttl: value } }), String(value)).toEqual([]);
    });
  });
});

describe('CEL rules in generated schemas', () => {
  it('turns the int-or-string type switch into typed anyOf branches, integer first', () => {
    expect(celToSchema("type(self) == string ? self in ['auto', 'off'] : self > 0 && self < 10", 'x')).toEqual([
      { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 },
      { type: 'string', enum: ['auto', 'off'] },
    ]);
    const published = JSON.parse(readFileSync(join(ROOT, 'crds/schemas/dnsrecord.json'), 'utf8'));
    expect(published.properties.spec.properties.ttl.anyOf).toEqual([{ type: 'integer', minimum: 60, maximum: 86400 }, { type: 'string', enum: ['auto'] }]);
  });

  it('refuses rules it cannot translate instead of silently not enforcing them', () => {
    expect(() => celToSchema('self.size() > 3', 'Kind.spec.a')).toThrow(/Kind\.spec\.a: cannot translate/);
    const onString = { type: 'object', properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != ''" }] } } };
    expect(() => expandValidations(onString, 'Kind.spec')).toThrow(/Kind\.spec\.a: x-kubernetes-validations are only translated on x-kubernetes-int-or-string nodes/);
  });
});

describe('generated files', () => {
  it('crds/schemas/*.json and src/crd/generated.ts match the CRDs (run `npm run gen:types` after editing crds/)', async () => {
    const files: Map<string, string> = await generate(ROOT);
    expect([...files.keys()].sort()).toEqual([
      'crds/schemas/appdeployment.json',
      'crds/schemas/dnsrecord.json',
      'crds/schemas/server.json',
      'src/crd/generated.ts',
    ]);
    for (const [rel, content] of files) expect(readFileSync(join(ROOT, rel), 'utf8'), rel).toBe(content);
  });

  it.each(crds)('publishes $kind as a closed whole-object schema without status', ({ kind, file }) => {
    const published = JSON.parse(readFileSync(join(ROOT, 'crds/schemas', `${kind.toLowerCase()}.json`), 'utf8'));
    expect(published.properties.apiVersion.const).toBe('livchat.ai/v1alpha1');
    expect(published.properties.kind.const).toBe(kind);
    expect(published.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(published.additionalProperties).toBe(false);
    expect(published.properties.status).toBeUndefined();
    expect(published.properties.metadata.additionalProperties).toBe(false);
    expect(JSON.stringify(published)).not.toContain('x-kubernetes');
    // Every object with declared properties is closed, except the ones the CRD marks as preserving unknown fields.
    const crdSpec = parse(readFileSync(join(ROOT, 'crds', file), 'utf8')).spec.versions[0].schema.openAPIV3Schema.properties.spec;
    const walk = (crdNode: Schema, pub: Schema, path: string): void => {
      if (crdNode.type === 'object' && crdNode.properties) {
        expect(pub.additionalProperties, path).toBe(crdNode['x-kubernetes-preserve-unknown-fields'] ? undefined : false);
      }
      for (const [k, child] of Object.entries<Schema>(crdNode.properties ?? {})) walk(child, pub.properties[k], `${path}.${k}`);
    };
    walk(crdSpec, published.properties.spec, 'spec');
  });

  it('turns each anyOf [not IF, THEN] rule into if/then', () => {
    const dns = JSON.parse(readFileSync(join(ROOT, 'crds/schemas/dnsrecord.json'), 'utf8'));
    const mxRule = dns.properties.spec.allOf.find((r: Schema) => r.if?.properties?.type?.enum?.join() === 'MX');
    expect(mxRule).toEqual({ if: { required: ['type'], properties: { type: { enum: ['MX'] } } }, then: { required: ['priority'] } });
  });
});
