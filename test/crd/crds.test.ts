// Checks that crds/*.yaml are valid structural apiextensions.k8s.io/v1 CRDs and that generated files match them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error -- plain ESM script without type declarations
import { generate, readCrds } from '../../scripts/gen-types.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
type Schema = Record<string, any>;
type Crd = { file: string; kind: string; crd: Schema; schema: Schema };
const crds: Crd[] = readCrds(ROOT);

/** Every field of apiextensions.k8s.io/v1 JSONSchemaProps; anything else would be dropped by a real API server. */
const JSON_SCHEMA_PROPS = new Set([
  'id', '$schema', '$ref', 'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum',
  'maxProperties', 'minProperties', 'required', 'items', 'allOf', 'oneOf', 'anyOf', 'not', 'properties',
  'additionalProperties', 'patternProperties', 'dependencies', 'additionalItems', 'definitions', 'externalDocs', 'example',
  'nullable', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);
/** Fields a v1 CRD rejects outright, or that a structural schema may not use. */
const FORBIDDEN = ['$ref', 'definitions', 'patternProperties', 'dependencies', 'additionalItems', 'id', '$schema'];
/** Fields that may not appear inside allOf/anyOf/oneOf/not (value validations). */
const NOT_IN_VALUE_VALIDATION = ['type', 'description', 'default', 'additionalProperties', 'nullable', 'title'];
const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];

/** structuralViolations checks the rules of Kubernetes structural schemas that our CRDs could plausibly break. */
function structuralViolations(node: Schema, path: string, out: string[] = []): string[] {
  for (const key of Object.keys(node)) {
    if (!JSON_SCHEMA_PROPS.has(key)) out.push(`${path}: unknown schema field ${key}`);
    if (FORBIDDEN.includes(key)) out.push(`${path}: ${key} is forbidden`);
  }
  if (node.uniqueItems === true) out.push(`${path}: uniqueItems true is forbidden`);
  if (node.additionalProperties === false) out.push(`${path}: additionalProperties false is forbidden (unknown fields are pruned)`);
  if (node.properties && node.additionalProperties !== undefined) out.push(`${path}: properties and additionalProperties are exclusive`);
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  if (!intOrString && !node['x-kubernetes-preserve-unknown-fields'] && !TYPES.includes(node.type)) out.push(`${path}: missing type`);
  if (intOrString && node.type !== undefined) out.push(`${path}: int-or-string must not set type`);
  if (node.type === 'array' && !node.items) out.push(`${path}: array without items`);
  if (node['x-kubernetes-list-type'] === 'map') {
    for (const k of node['x-kubernetes-list-map-keys'] ?? []) {
      if (!node.items?.required?.includes(k)) out.push(`${path}: list-map key ${k} must be required`);
    }
  }
  for (const [name, child] of Object.entries<Schema>(node.properties ?? {})) structuralViolations(child, `${path}.${name}`, out);
  if (node.items) structuralViolations(node.items, `${path}[]`, out);
  if (typeof node.additionalProperties === 'object') structuralViolations(node.additionalProperties, `${path}{}`, out);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (node[key] ?? []).forEach((v: Schema, i: number) => valueValidationViolations(v, node, `${path}.${key}[${i}]`, out, intOrString && key === 'anyOf'));
  }
  if (node.not) valueValidationViolations(node.not, node, `${path}.not`, out, false);
  return out;
}

/** valueValidationViolations checks a branch: no structural keywords, and only properties the structural node declares. */
function valueValidationViolations(v: Schema, structural: Schema, path: string, out: string[], intOrStringBranch: boolean): void {
  for (const key of Object.keys(v)) {
    if (!JSON_SCHEMA_PROPS.has(key)) out.push(`${path}: unknown schema field ${key}`);
    if (key.startsWith('x-kubernetes-')) out.push(`${path}: ${key} not allowed in a value validation`);
    if (NOT_IN_VALUE_VALIDATION.includes(key) && !(intOrStringBranch && key === 'type' && ['integer', 'string'].includes(v.type))) {
      out.push(`${path}: ${key} not allowed in a value validation`);
    }
  }
  for (const [name, child] of Object.entries<Schema>(v.properties ?? {})) {
    const declared = structural.properties?.[name];
    if (!declared) out.push(`${path}: property ${name} is not declared in the structural schema`);
    valueValidationViolations(child, declared ?? {}, `${path}.${name}`, out, false);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (v[key] ?? []).forEach((b: Schema, i: number) => valueValidationViolations(b, structural, `${path}.${key}[${i}]`, out, false));
  }
  if (v.not) valueValidationViolations(v.not, structural, `${path}.not`, out, false);
}

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

    it('has a structural openAPIV3Schema', () => {
      expect(schema.type).toBe('object');
      expect(structuralViolations(schema, kind)).toEqual([]);
    });

    it('restricts only metadata.name, as Kubernetes allows', () => {
      expect(Object.keys(schema.properties.metadata.properties)).toEqual(['name']);
      expect(schema.properties.metadata.properties.name).toMatchObject({ type: 'string', maxLength: 63 });
    });

    it('documents the meaningful annotations and has deletionPolicy Delete|Orphan defaulting to Delete', () => {
      for (const a of ['livchat.ai/paused', 'livchat.ai/adopt', 'livchat.ai/approve-replace']) expect(schema.description).toContain(a);
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

  it('the structural checker catches what a real API server would reject', () => {
    const bad = {
      type: 'object',
      additionalProperties: false,
      properties: { a: { description: 'no type' }, b: { type: 'string', requried: true } },
      allOf: [{ if: {}, properties: { ghost: { type: 'string' } } }],
    };
    expect(structuralViolations(bad, 'x')).toEqual([
      'x: additionalProperties false is forbidden (unknown fields are pruned)',
      'x: properties and additionalProperties are exclusive',
      'x.a: missing type',
      'x.b: unknown schema field requried',
      'x.allOf[0]: unknown schema field if',
      'x.allOf[0]: property ghost is not declared in the structural schema',
      'x.allOf[0].ghost: type not allowed in a value validation',
    ]);
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
