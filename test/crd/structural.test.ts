// The structural-schema checker against schemas the API server accepts and schemas it rejects, each for one named rule.
import { describe, expect, it } from 'vitest';
import { crdViolations, schemaViolations, shortNameClashes, type RuleId } from '../helpers/structural.js';

type Schema = Record<string, unknown>;

/** root wraps spec properties in a minimal top-level object schema. */
const root = (spec: Schema, extra: Schema = {}): Schema => ({
  type: 'object',
  properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', properties: spec } },
  ...extra,
});

/** rulesOf runs the checker and returns the distinct rules it reports. */
const rulesOf = (schema: Schema, statusSubresource = false): RuleId[] => [...new Set(schemaViolations(schema, { statusSubresource }).map((v) => v.rule))];

const good: Array<[string, Schema]> = [
  ['int-or-string in its exact anyOf form, with a CEL rule and a default', root({
    ttl: {
      'x-kubernetes-int-or-string': true, default: 'auto', anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-validations': [{ rule: "type(self) == int ? self >= 60 : self == 'auto'", message: 'must be at least 60 or "auto"' }],
    },
  })],
  ['int-or-string in the allOf form, further value validations after it', root({
    port: { 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }, { not: { enum: [0] } }] },
  })],
  ['int-or-string without any anyOf', root({ port: { 'x-kubernetes-int-or-string': true } })],
  ['value validations naming declared properties only', root({
    type: { type: 'string', enum: ['A', 'MX'] }, priority: { type: 'integer' },
  }, {})],
  ['conditional rule written as anyOf [not IF, THEN]', {
    type: 'object',
    properties: { spec: { type: 'object', properties: { type: { type: 'string' }, priority: { type: 'integer' }, content: { type: 'string' } },
      allOf: [{ anyOf: [{ not: { required: ['type'], properties: { type: { enum: ['MX'] } } } }, { required: ['priority'] }] }, { oneOf: [{ required: ['content'] }, { required: ['priority'] }] }] } },
  }],
  ['metadata restricting name and generateName', { type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 }, generateName: { type: 'string' } } } } }],
  ['a map with additionalProperties, a list-map with required keys, preserve-unknown-fields with properties', root({
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    conditions: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } },
    values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'string' } } },
    tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
  })],
  ['defaults that validate and survive pruning', root({
    protection: { type: 'object', default: {}, properties: { delete: { type: 'boolean', default: true } } },
    keys: { type: 'array', default: [], items: { type: 'string' } },
    tz: { type: 'string', default: 'UTC', pattern: '^[A-Z]+$' },
  })],
];

const bad: Array<[string, Schema, RuleId, boolean?]> = [
  ['int-or-string anyOf branches with ranges (the old DNSRecord ttl)', root({
    ttl: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer', minimum: 60 }, { type: 'string', enum: ['auto'] }] },
  }), 'nested-forbidden'],
  ['type inside oneOf', root({ a: { type: 'string', oneOf: [{ type: 'string' }] } }), 'nested-forbidden'],
  ['description inside allOf', root({ a: { type: 'string', allOf: [{ description: 'x', maxLength: 3 }] } }), 'nested-forbidden'],
  ['default inside not', root({ a: { type: 'string', not: { default: 'x' } } }), 'nested-forbidden'],
  ['nullable inside anyOf', root({ a: { type: 'string', anyOf: [{ nullable: true }, { maxLength: 1 }] } }), 'nested-forbidden'],
  ['additionalProperties inside allOf', root({ a: { type: 'object', allOf: [{ additionalProperties: false }] } }), 'nested-forbidden'],
  ['x-kubernetes-validations inside anyOf', root({ a: { type: 'string', anyOf: [{ 'x-kubernetes-validations': [{ rule: 'true' }] }, { maxLength: 1 }] } }), 'nested-forbidden'],
  ['a field without type', root({ a: { description: 'no type' } }), 'type-required'],
  ['array items without type', root({ a: { type: 'array', items: { maxLength: 3 } } }), 'type-required'],
  ['int-or-string next to a type', root({ a: { 'x-kubernetes-int-or-string': true, type: 'string' } }), 'int-or-string'],
  ['int-or-string with preserve-unknown-fields', root({ a: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true } }), 'int-or-string'],
  ['properties and additionalProperties together', root({ a: { type: 'object', properties: { b: { type: 'string' } }, additionalProperties: { type: 'string' } } }), 'properties-exclusive'],
  ['a value validation naming an undeclared property', root({ a: { type: 'object', properties: { b: { type: 'string' } }, anyOf: [{ required: ['b'] }, { properties: { ghost: { maxLength: 1 } } }] } }), 'completeness'],
  ['a value validation with items on a non-array', root({ a: { type: 'string', allOf: [{ items: { maxLength: 1 } }] } }), 'completeness'],
  ['metadata inside a value validation', root({ a: { type: 'object', properties: { metadata: { type: 'string' } }, allOf: [{ properties: { metadata: { maxLength: 1 } } }] } }), 'nested-metadata'],
  ['root metadata restricting labels', { type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string' }, labels: { type: 'object' } } } } }, 'metadata-restricted'],
  ['root metadata with a description', { type: 'object', properties: { metadata: { type: 'object', description: 'meta' } } }, 'metadata-restricted'],
  ['root kind that is not a string', { type: 'object', properties: { kind: { type: 'integer' } } }, 'meta-type'],
  ['a default in top-level metadata', { type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', default: 'x' } } } } }, 'meta-default'],
  ['root of type array', { type: 'array', items: { type: 'string' } }, 'root-type'],
  ['root without type', { properties: { spec: { type: 'object' } } }, 'type-required'],
  ['additionalProperties at the root', { type: 'object', additionalProperties: { type: 'string' } }, 'root-additional-properties'],
  ['anyOf at the root with the status subresource', { type: 'object', properties: { spec: { type: 'object' } }, anyOf: [{ required: ['spec'] }] }, 'root-fields', true],
  ['x-kubernetes-list-type on an object', root({ a: { type: 'object', 'x-kubernetes-list-type': 'atomic' } }), 'list-type'],
  ['x-kubernetes-map-type on an array', root({ a: { type: 'array', items: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' } }), 'map-type'],
  ['list-map key that is neither required nor defaulted', root({
    a: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', properties: { k: { type: 'string' } } } },
  }), 'list-map-keys'],
  ['list-map keys without list-type map', root({ a: { type: 'array', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', properties: { k: { type: 'string' } }, required: ['k'] } } }), 'list-map-keys'],
  ['preserve-unknown-fields false', root({ a: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } }), 'preserve-unknown-false'],
  ['uniqueItems true', root({ a: { type: 'array', uniqueItems: true, items: { type: 'string' } } }), 'unique-items'],
  ['array without items', root({ a: { type: 'array' } }), 'items-required'],
  ['$ref', root({ a: { type: 'object', $ref: '#/definitions/x' } }), 'unsupported-field'],
  ['type null', root({ a: { type: 'null' } }), 'type-invalid'],
  ['a misspelt keyword', root({ a: { type: 'string', requried: true } }), 'unknown-field'],
  ['a keyword of newer JSON Schema drafts', root({ a: { type: 'string', if: { maxLength: 1 }, then: { minLength: 1 } } }), 'unknown-field'],
  ['a default that fails its own schema', root({ a: { type: 'integer', minimum: 60, default: 30 } }), 'default-invalid'],
  ['a default with fields the schema prunes', root({ a: { type: 'object', properties: { b: { type: 'string' } }, default: { b: 'x', c: 'y' } } }), 'default-unpruned'],
  ['a CEL rule with an empty message', root({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', message: ' ' }] } }), 'validation-rule'],
  ['a CEL rule with a misspelt key', root({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', mesage: 'x' }] } }), 'validation-rule'],
  ['a CEL rule with an empty messageExpression', root({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != ""', messageExpression: '' }] } }), 'validation-rule'],
  ['a lookahead pattern RE2 cannot compile', root({ a: { type: 'string', pattern: '^(?!x).*$' } }), 'pattern'],
  ['an unknown format', root({ a: { type: 'string', format: 'ipv5' } }), 'format'],
];

describe('structural schema checker', () => {
  it.each(good)('accepts %s', (_name, schema) => {
    expect(schemaViolations(schema, { statusSubresource: true })).toEqual([]);
  });

  it.each(bad)('rejects %s (%s)', (_name, schema, rule, statusSubresource) => {
    expect(rulesOf(schema, statusSubresource)).toEqual([rule]);
  });

  it('points at the offending node', () => {
    const schema = root({ ttl: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer', minimum: 60 }, { type: 'string' }] } });
    expect(schemaViolations(schema)).toEqual([
      { path: 'openAPIV3Schema.properties.spec.properties.ttl.anyOf[0]', rule: 'nested-forbidden', detail: 'type must be empty to be structural' },
      { path: 'openAPIV3Schema.properties.spec.properties.ttl.anyOf[1]', rule: 'nested-forbidden', detail: 'type must be empty to be structural' },
    ]);
  });
});

describe('CRD checker', () => {
  const crd = (names: Schema, extra: Schema = {}): Schema => ({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com', scope: 'Cluster', names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', ...names },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object' } }, ...extra }],
    },
  });

  it('accepts a minimal CRD', () => {
    expect(crdViolations(crd({ shortNames: ['wd'] }))).toEqual([]);
  });

  it('rejects short names that are not DNS-1035 labels, and kind = listKind', () => {
    expect(crdViolations(crd({ shortNames: ['W_D'] })).map((v) => [v.path, v.rule])).toEqual([['spec.names.shortNames[0]', 'names']]);
    expect(crdViolations(crd({ listKind: 'Widget' })).map((v) => v.detail)).toEqual(['kind and listKind may not be the same']);
  });

  it('rejects a printer column of an unknown type and a second storage version', () => {
    const c = crd({}, { additionalPrinterColumns: [{ name: 'Age', type: 'time', jsonPath: '.metadata.creationTimestamp' }] });
    (c.spec as { versions: Schema[] }).versions.push({ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } });
    expect(crdViolations(c).map((v) => v.rule)).toEqual(['versions', 'printer-columns']);
  });

  it('finds short names that collide across CRDs', () => {
    const a = crd({ shortNames: ['gadget'] });
    const b = { spec: { names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget' } } };
    expect(shortNameClashes([a, b]).map((v) => v.detail)).toEqual(['gadget also names Widget']);
  });
});
