// The API server's CRD checks, re-stated for tests: structural schema (apiextensions-apiserver pkg/apiserver/schema), defaults, extensions and names.
//
// Rules follow k8s.io/apiextensions-apiserver: NewStructural (convert.go), ValidateStructural (validation.go,
// complete.go), ValidateDefaults (defaulting/validation.go) and ValidateCustomResourceDefinition (pkg/apis/apiextensions/
// validation). Each violation names its rule so a test can assert exactly which one a schema breaks.
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

type Schema = Record<string, any>;

/** RuleId names one API-server rule. */
export type RuleId =
  | 'unknown-field' // a key outside JSONSchemaProps: strict field validation rejects it, otherwise it is dropped
  | 'unsupported-field' // id, $schema, $ref, definitions, patternProperties, dependencies, additionalItems
  | 'type-invalid' // type outside object/array/string/integer/number/boolean (null included)
  | 'type-required' // a field, array item or the root without type (unless int-or-string or preserve-unknown-fields)
  | 'root-type' // the root must be type object
  | 'root-fields' // with the status subresource, the root may only hold a few fields (no anyOf, additionalProperties, …)
  | 'root-additional-properties' // additionalProperties at the root
  | 'root-nullable' // nullable at the root
  | 'unique-items' // uniqueItems: true
  | 'items-required' // type array without items
  | 'items-array' // items given as an array of schemas
  | 'properties-exclusive' // properties together with additionalProperties (other than true)
  | 'nested-forbidden' // type, default, title, description, nullable, externalDocs, additionalProperties or x-kubernetes-* inside allOf/anyOf/oneOf/not
  | 'nested-metadata' // properties.metadata inside allOf/anyOf/oneOf/not
  | 'completeness' // a property or items a value validation names is not specified in the structural schema
  | 'metadata-restricted' // root metadata may only restrict name and generateName
  | 'meta-type' // root kind/apiVersion must be string, metadata object
  | 'meta-default' // defaults in top-level metadata, kind or apiVersion
  | 'default-invalid' // a default that does not validate against its own schema
  | 'default-unpruned' // a default with fields the schema would prune
  | 'int-or-string' // x-kubernetes-int-or-string with a type, or with preserve-unknown-fields/embedded-resource
  | 'preserve-unknown-false' // x-kubernetes-preserve-unknown-fields: false
  | 'embedded-resource' // x-kubernetes-embedded-resource without type object, or with additionalProperties
  | 'map-type' // x-kubernetes-map-type on a non-object, or not atomic/granular
  | 'list-type' // x-kubernetes-list-type on a non-array, or not atomic/set/map
  | 'list-map-keys' // list-type map without keys, keys without map, keys not scalar required/defaulted item properties
  | 'validation-rule' // x-kubernetes-validations entry malformed (empty rule, bad message, unknown reason or key)
  | 'pattern' // a pattern Go's RE2 cannot compile
  | 'format' // a format the API server does not know (it warns; our CRDs should not rely on it)
  | 'names' // CRD names: DNS-1035 labels, kind ≠ listKind, metadata.name = plural.group, shortNames unique
  | 'versions' // exactly one storage version, unique DNS-1035 version names, each with a schema
  | 'scope' // Cluster or Namespaced
  | 'printer-columns'; // column type and jsonPath

export interface Violation {
  path: string;
  rule: RuleId;
  detail: string;
}

/** Fields of apiextensions.k8s.io/v1 JSONSchemaProps. */
const JSON_SCHEMA_PROPS = new Set([
  'id', '$schema', '$ref', 'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum',
  'maxProperties', 'minProperties', 'required', 'items', 'allOf', 'oneOf', 'anyOf', 'not', 'properties',
  'additionalProperties', 'patternProperties', 'dependencies', 'additionalItems', 'definitions', 'externalDocs', 'example',
  'nullable', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);
const UNSUPPORTED = ['id', '$schema', '$ref', 'definitions', 'patternProperties', 'dependencies', 'additionalItems'];
const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];
/** Generic fields and extensions that make a nested value validation non-structural (NestedValueValidation.Forbidden*). */
const NESTED_FORBIDDEN = [
  'type', 'default', 'title', 'description', 'nullable', 'externalDocs', 'additionalProperties',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
];
/** Root fields allowed when the status subresource is on (allowedFieldsAtRootSchema). */
const ROOT_FIELDS = new Set([
  'description', 'type', 'format', 'title', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength',
  'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'required', 'items', 'properties',
  'externalDocs', 'example', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations',
]);
const VALIDATION_RULE_KEYS = new Set(['rule', 'message', 'messageExpression', 'reason', 'fieldPath', 'optionalOldSelf']);
const VALIDATION_REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];
/** Formats kube-openapi validates (strfmt plus the Kubernetes ones); others only earn a warning. */
const FORMATS = new Set([
  'bsonobjectid', 'uri', 'email', 'hostname', 'ipv4', 'ipv6', 'cidr', 'mac', 'uuid', 'uuid3', 'uuid4', 'uuid5', 'isbn',
  'isbn10', 'isbn13', 'creditcard', 'ssn', 'hexcolor', 'rgbcolor', 'byte', 'password', 'date', 'duration', 'datetime',
  'date-time', 'int32', 'int64', 'float', 'double', 'k8s-short-name', 'k8s-long-name',
]);
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INT_OR_STRING_ANY_OF = [{ type: 'integer' }, { type: 'string' }];

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

type Level = 'root' | 'items' | 'field';

interface Walk {
  out: Violation[];
  statusSubresource: boolean;
}

const add = (w: Walk, path: string, rule: RuleId, detail: string): void => {
  w.out.push({ path, rule, detail });
};

/** isIntOrStringAnyOf is the first exception of ValidateStructural: exactly anyOf [{type: integer}, {type: string}]. */
function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return deepEqual(anyOf, INT_OR_STRING_ANY_OF);
}

/** patternError tells whether RE2 (Go's regexp) would refuse a pattern JavaScript might accept. */
function patternError(pattern: string): string | undefined {
  if (/\(\?[=!]|\(\?<[=!]|\\[1-9]/.test(pattern)) return 'lookarounds and backreferences are not RE2';
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** fieldChecks apply to every schema node, structural or nested (ValidateCustomResourceDefinitionOpenAPISchema). */
function fieldChecks(node: Schema, path: string, w: Walk): void {
  for (const key of Object.keys(node)) {
    if (!JSON_SCHEMA_PROPS.has(key)) add(w, path, 'unknown-field', `${key} is not a JSONSchemaProps field`);
    else if (UNSUPPORTED.includes(key)) add(w, path, 'unsupported-field', `${key} is not supported`);
  }
  if (node.type !== undefined && !TYPES.includes(node.type)) add(w, path, 'type-invalid', `type ${JSON.stringify(node.type)} is not one of ${TYPES.join(', ')}`);
  if (node.uniqueItems === true) add(w, path, 'unique-items', 'uniqueItems cannot be true (quadratic runtime)');
  if (Array.isArray(node.items)) add(w, path, 'items-array', 'items must be one schema, not an array');
  if (typeof node.pattern === 'string') {
    const err = patternError(node.pattern);
    if (err) add(w, path, 'pattern', `pattern does not compile: ${err}`);
  }
  if (typeof node.format === 'string' && !FORMATS.has(node.format)) add(w, path, 'format', `format ${node.format} is unknown to the API server`);
  if (node.additionalProperties !== undefined && node.properties && Object.keys(node.properties).length > 0 && node.additionalProperties !== true) {
    add(w, path, 'properties-exclusive', 'additionalProperties and properties are mutually exclusive');
  }
  if (node['x-kubernetes-preserve-unknown-fields'] === false) add(w, path, 'preserve-unknown-false', 'x-kubernetes-preserve-unknown-fields must be true or undefined');
  extensionChecks(node, path, w);
}

/** extensionChecks: list-type, map-type, list-map-keys and validation rules. */
function extensionChecks(node: Schema, path: string, w: Walk): void {
  const mapType = node['x-kubernetes-map-type'];
  if (mapType !== undefined) {
    if (node.type !== 'object') add(w, path, 'map-type', 'type must be object if x-kubernetes-map-type is specified');
    if (mapType !== 'atomic' && mapType !== 'granular') add(w, path, 'map-type', `x-kubernetes-map-type ${JSON.stringify(mapType)} is not atomic or granular`);
  }
  const listType = node['x-kubernetes-list-type'];
  if (listType !== undefined) {
    if (node.type !== 'array') add(w, path, 'list-type', 'type must be array if x-kubernetes-list-type is specified');
    if (!['atomic', 'set', 'map'].includes(listType)) add(w, path, 'list-type', `x-kubernetes-list-type ${JSON.stringify(listType)} is not atomic, set or map`);
  }
  const keys: unknown = node['x-kubernetes-list-map-keys'];
  if (Array.isArray(keys) && keys.length > 0 && listType !== 'map') add(w, path, 'list-map-keys', 'x-kubernetes-list-type must be map if x-kubernetes-list-map-keys is non-empty');
  if (listType === 'map') {
    const items = isObject(node.items) ? node.items : undefined;
    if (!Array.isArray(keys) || keys.length === 0) add(w, path, 'list-map-keys', 'x-kubernetes-list-map-keys must not be empty if x-kubernetes-list-type is map');
    if (!items) add(w, path, 'list-map-keys', 'items must be a schema if x-kubernetes-list-type is map');
    else if (items.type !== 'object') add(w, path, 'list-map-keys', 'items must be type object if x-kubernetes-list-type is map');
    else {
      const seen = new Set<string>();
      for (const k of (Array.isArray(keys) ? keys : []) as string[]) {
        const prop = items.properties?.[k];
        if (!prop) add(w, path, 'list-map-keys', `list-map key ${k} is not an item property`);
        else {
          if (prop.type === 'array' || prop.type === 'object') add(w, path, 'list-map-keys', `list-map key ${k} must be a scalar`);
          if (!(items.required ?? []).includes(k) && prop.default === undefined) add(w, path, 'list-map-keys', `list-map key ${k} must be required or have a default`);
          if (prop.nullable === true) add(w, path, 'list-map-keys', `list-map key ${k} cannot be nullable`);
        }
        if (seen.has(k)) add(w, path, 'list-map-keys', `list-map key ${k} is repeated`);
        seen.add(k);
      }
    }
  }
  if ((listType === 'map' || listType === 'set') && isObject(node.items) && node.items.nullable === true) {
    add(w, path, 'list-map-keys', `items cannot be nullable when x-kubernetes-list-type is ${listType}`);
  }
  const rules: unknown = node['x-kubernetes-validations'];
  if (rules !== undefined) {
    if (!Array.isArray(rules)) add(w, path, 'validation-rule', 'x-kubernetes-validations must be a list');
    else rules.forEach((r: unknown, i: number) => validationRuleChecks(r, `${path}.x-kubernetes-validations[${i}]`, w));
  }
}

/** validationRuleChecks: one CEL rule entry (the compile step itself needs the API server). */
function validationRuleChecks(r: unknown, path: string, w: Walk): void {
  if (!isObject(r)) return add(w, path, 'validation-rule', 'must be a mapping with rule');
  for (const key of Object.keys(r)) if (!VALIDATION_RULE_KEYS.has(key)) add(w, path, 'validation-rule', `unknown key ${key}`);
  const rule = typeof r.rule === 'string' ? r.rule.trim() : '';
  const message = typeof r.message === 'string' ? r.message.trim() : undefined;
  if (!rule) add(w, path, 'validation-rule', 'rule is not specified');
  if (r.message !== undefined && !message) add(w, path, 'validation-rule', 'message must be non-empty if specified');
  if (message && /[\n\r]/.test(message)) add(w, path, 'validation-rule', 'message must not contain line breaks');
  if (/[\n\r]/.test(rule) && !message) add(w, path, 'validation-rule', 'message must be specified if rule contains line breaks');
  if (r.messageExpression !== undefined && !(typeof r.messageExpression === 'string' && r.messageExpression.trim())) add(w, path, 'validation-rule', 'messageExpression must be non-empty if specified');
  if (typeof r.fieldPath === 'string' && (!r.fieldPath.trim() || /[\n\r]/.test(r.fieldPath))) add(w, path, 'validation-rule', 'fieldPath must be non-empty and on one line');
  if (r.reason !== undefined && !VALIDATION_REASONS.includes(r.reason)) add(w, path, 'validation-rule', `reason ${JSON.stringify(r.reason)} is not one of ${VALIDATION_REASONS.join(', ')}`);
}

/** structural walks the structural part: properties, items, additionalProperties. */
function structural(node: Schema, path: string, level: Level, w: Walk, meta: { inMeta: boolean }): void {
  if (!isObject(node)) return add(w, path, 'type-required', 'schema must be a mapping');
  fieldChecks(node, path, w);
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = node['x-kubernetes-embedded-resource'] === true;

  if (node.type === 'array' && node.items === undefined) add(w, path, 'items-required', 'items must be specified for type array');
  if (embedded && node.type !== 'object') add(w, path, 'embedded-resource', 'type must be object if x-kubernetes-embedded-resource is true');
  else if (node.type === undefined && !intOrString && !preserve) {
    add(w, path, 'type-required', level === 'root' ? 'type must not be empty at the root' : level === 'items' ? 'type must not be empty for specified array items' : 'type must not be empty for specified object fields');
  }
  if (embedded && node.additionalProperties !== undefined) add(w, path, 'embedded-resource', 'additionalProperties must not be used if x-kubernetes-embedded-resource is set');
  if (embedded && !preserve && Object.keys(node.properties ?? {}).length === 0) add(w, path, 'embedded-resource', 'properties must not be empty without x-kubernetes-preserve-unknown-fields');
  if (intOrString && node.type !== undefined) add(w, path, 'int-or-string', 'x-kubernetes-int-or-string needs an empty type (use anyOf [{type: integer}, {type: string}])');
  if (intOrString && preserve) add(w, path, 'int-or-string', 'x-kubernetes-preserve-unknown-fields must be false if x-kubernetes-int-or-string is true');
  if (intOrString && embedded) add(w, path, 'int-or-string', 'x-kubernetes-embedded-resource must be false if x-kubernetes-int-or-string is true');
  if (level === 'root') {
    if (node.type !== undefined && node.type !== 'object') add(w, path, 'root-type', 'type must be object at the root');
    if (node.additionalProperties !== undefined) add(w, path, 'root-additional-properties', 'additionalProperties must not be used at the root');
    if (node.nullable === true) add(w, path, 'root-nullable', 'nullable cannot be true at the root');
    if (w.statusSubresource) {
      for (const key of Object.keys(node)) if (!ROOT_FIELDS.has(key)) add(w, path, 'root-fields', `${key} is not allowed at the root of a schema with the status subresource`);
    }
  }
  if (meta.inMeta && node.default !== undefined) add(w, path, 'meta-default', 'default must not be set in top-level metadata, kind or apiVersion');

  // Value validations: anyOf [{type: integer}, {type: string}] and allOf[0] of that shape are the only exceptions.
  valueValidations(node, path, w, isIntOrStringAnyOf(node.anyOf), isIntOrStringAnyOf(node.allOf?.[0]?.anyOf));
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (Array.isArray(node[key]) ? node[key] : []).forEach((v: Schema, i: number) => completeness(v, node, `${path}.${key}[${i}]`, w));
  }
  if (node.not !== undefined) completeness(node.not, node, `${path}.not`, w);

  for (const [name, child] of Object.entries<Schema>(node.properties ?? {})) {
    const top = level === 'root' || embedded;
    structural(child, `${path}.properties.${name}`, 'field', w, { inMeta: meta.inMeta || (top && ['metadata', 'kind', 'apiVersion'].includes(name)) });
  }
  if (isObject(node.items)) structural(node.items, `${path}.items`, 'items', w, meta);
  if (isObject(node.additionalProperties)) structural(node.additionalProperties, `${path}.additionalProperties`, 'field', w, meta);
  if (level === 'root' || embedded) metaChecks(node, path, w, level === 'root');
}

/** metaChecks: kind and apiVersion are strings, metadata an object restricting at most name and generateName. */
function metaChecks(node: Schema, path: string, w: Walk, root: boolean): void {
  const props = node.properties ?? {};
  for (const k of ['kind', 'apiVersion']) {
    if (props[k] && props[k].type !== 'string') add(w, `${path}.properties.${k}`, 'meta-type', `${k} must be type string`);
  }
  const md = props.metadata;
  if (!md) return;
  const mdPath = `${path}.properties.metadata`;
  if (md.type !== 'object') add(w, mdPath, 'meta-type', 'metadata must be type object');
  if (!root) return;
  const names = Object.keys(md.properties ?? {});
  const onlyNames = names.length > 0 && names.every((n) => n === 'name' || n === 'generateName');
  for (const key of Object.keys(md)) {
    if (key === 'type' || key === 'default') continue;
    if (key === 'properties' && onlyNames) continue;
    add(w, mdPath, 'metadata-restricted', key === 'properties'
      ? `metadata may only restrict name and generateName, not ${names.filter((n) => n !== 'name' && n !== 'generateName').join(', ')}`
      : `metadata must not specify ${key}`);
  }
}

/** valueValidations checks the junctors of a node; skip flags carry the int-or-string exceptions. */
function valueValidations(node: Schema, path: string, w: Walk, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean): void {
  if (Array.isArray(node.anyOf) && !skipAnyOf) node.anyOf.forEach((v: Schema, i: number) => nested(v, `${path}.anyOf[${i}]`, w, false, false));
  if (Array.isArray(node.allOf)) node.allOf.forEach((v: Schema, i: number) => nested(v, `${path}.allOf[${i}]`, w, skipFirstAllOfAnyOf && i === 0, false));
  if (Array.isArray(node.oneOf)) node.oneOf.forEach((v: Schema, i: number) => nested(v, `${path}.oneOf[${i}]`, w, false, false));
  if (node.not !== undefined) nested(node.not, `${path}.not`, w, false, false);
}

/** nested checks a value validation under a junctor: only value validations, properties and items. */
function nested(v: Schema, path: string, w: Walk, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean): void {
  if (!isObject(v)) return add(w, path, 'nested-forbidden', 'must be a schema mapping');
  fieldChecks(v, path, w);
  for (const key of NESTED_FORBIDDEN) {
    if (key === 'x-kubernetes-preserve-unknown-fields' || key === 'x-kubernetes-int-or-string' || key === 'x-kubernetes-embedded-resource' || key === 'nullable') {
      if (v[key] === true) add(w, path, 'nested-forbidden', `${key} must be false to be structural`);
    } else if (v[key] !== undefined) {
      add(w, path, 'nested-forbidden', `${key} must be empty to be structural`);
    }
  }
  if (v.properties?.metadata !== undefined) add(w, `${path}.properties.metadata`, 'nested-metadata', 'metadata must not be specified in a nested context');
  valueValidations(v, path, w, skipAnyOf, skipFirstAllOfAnyOf);
  for (const [name, child] of Object.entries<Schema>(v.properties ?? {})) nested(child, `${path}.properties.${name}`, w, false, false);
  if (isObject(v.items)) nested(v.items, `${path}.items`, w, false, false);
}

/** completeness: whatever a value validation names (properties, items) the structural schema specifies too (complete.go). */
function completeness(v: Schema, s: Schema | undefined, vPath: string, w: Walk): void {
  if (!isObject(v)) return;
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (Array.isArray(v[key]) ? v[key] : []).forEach((b: Schema, i: number) => completeness(b, s, `${vPath}.${key}[${i}]`, w));
  }
  if (v.not !== undefined) completeness(v.not, s, `${vPath}.not`, w);
  if (v.items !== undefined) {
    if (!isObject(s?.items)) add(w, `${vPath}.items`, 'completeness', 'items are not specified in the structural schema');
    else completeness(v.items, s.items, `${vPath}.items`, w);
  }
  for (const [name, child] of Object.entries<Schema>(v.properties ?? {})) {
    const declared = s?.properties?.[name];
    if (!declared) add(w, `${vPath}.properties.${name}`, 'completeness', `property ${name} is not specified in the structural schema`);
    else completeness(child, declared, `${vPath}.properties.${name}`, w);
  }
}

// ajv-formats is CommonJS; under NodeNext its default import is the plugin function itself.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
let ajv: Ajv | undefined;

/** valueSchema strips what ajv does not know (x-kubernetes-*, nullable) so a default can be validated as the server does. */
function valueSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(valueSchema);
  if (!isObject(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable' || k === 'default' || k === 'example' || k === 'externalDocs') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, valueSchema(s)])) : valueSchema(v);
  }
  if (node.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** unpruned reports the first path where pruning with the schema would remove something from value. */
function unpruned(value: unknown, s: Schema, path: string): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = isObject(s.items) ? unpruned(value[i], s.items, `${path}[${i}]`) : undefined;
      if (r) return r;
    }
    return undefined;
  }
  if (!isObject(value) || (s['x-kubernetes-preserve-unknown-fields'] === true && !s.properties && !isObject(s.additionalProperties))) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const child = s.properties?.[k] ?? (isObject(s.additionalProperties) ? s.additionalProperties : undefined);
    if (!child) {
      if (s.additionalProperties === true || s['x-kubernetes-preserve-unknown-fields'] === true) continue;
      return `${path}.${k}`;
    }
    const r = unpruned(v, child, `${path}.${k}`);
    if (r) return r;
  }
  return undefined;
}

/** defaults validates every default against its node and checks it survives pruning (ValidateDefaults). */
function defaults(node: Schema, path: string, w: Walk): void {
  if (!isObject(node)) return;
  if (node.default !== undefined) {
    ajv ??= addFormats(new Ajv({ strict: false, allErrors: true }));
    const validateFn = ajv.compile(valueSchema(node) as Schema);
    if (!validateFn(structuredClone(node.default))) add(w, path, 'default-invalid', `default ${JSON.stringify(node.default)} ${ajv.errorsText(validateFn.errors)}`);
    const extra = unpruned(node.default, node, 'default');
    if (extra) add(w, path, 'default-unpruned', `default must not have unknown fields (${extra})`);
  }
  for (const [name, child] of Object.entries<Schema>(node.properties ?? {})) defaults(child, `${path}.properties.${name}`, w);
  if (isObject(node.items)) defaults(node.items, `${path}.items`, w);
  // Defaults under additionalProperties are validated with the map (the server does not follow it).
}

/** schemaViolations checks one openAPIV3Schema; statusSubresource restricts the root as the server does then. */
export function schemaViolations(schema: unknown, opts: { statusSubresource?: boolean; path?: string } = {}): Violation[] {
  const w: Walk = { out: [], statusSubresource: opts.statusSubresource ?? false };
  const path = opts.path ?? 'openAPIV3Schema';
  if (!isObject(schema)) return [{ path, rule: 'type-required', detail: 'openAPIV3Schema must be a mapping' }];
  structural(schema, path, 'root', w, { inMeta: false });
  // Defaults are only checked on an otherwise structural schema, like the server.
  if (w.out.length === 0) defaults(schema, path, w);
  return w.out;
}

/** crdViolations checks a whole apiextensions.k8s.io/v1 CustomResourceDefinition: names, versions, columns, schemas. */
export function crdViolations(crd: Schema): Violation[] {
  const out: Violation[] = [];
  const v = (path: string, rule: RuleId, detail: string): void => { out.push({ path, rule, detail }); };
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  if (crd.apiVersion !== 'apiextensions.k8s.io/v1' || crd.kind !== 'CustomResourceDefinition') v('', 'versions', 'must be an apiextensions.k8s.io/v1 CustomResourceDefinition');
  if (typeof spec.group !== 'string' || !DNS1123_SUBDOMAIN.test(spec.group) || !spec.group.includes('.')) v('spec.group', 'names', 'group must be a DNS subdomain with at least one dot');
  if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') v('spec.scope', 'scope', 'scope must be Cluster or Namespaced');
  if (crd.metadata?.name !== `${names.plural}.${spec.group}`) v('metadata.name', 'names', 'must be spec.names.plural+"."+spec.group');
  for (const key of ['plural', 'singular'] as const) {
    if (typeof names[key] !== 'string' || !DNS1035.test(names[key])) v(`spec.names.${key}`, 'names', `${key} must be a lowercase DNS-1035 label`);
  }
  for (const key of ['kind', 'listKind'] as const) {
    if (typeof names[key] !== 'string' || !DNS1035.test(names[key].toLowerCase())) v(`spec.names.${key}`, 'names', `${key} may have mixed case but must otherwise be a DNS-1035 label`);
  }
  if (names.kind === names.listKind) v('spec.names.listKind', 'names', 'kind and listKind may not be the same');
  for (const key of ['shortNames', 'categories'] as const) {
    (names[key] ?? []).forEach((s: unknown, i: number) => {
      if (typeof s !== 'string' || !DNS1035.test(s)) v(`spec.names.${key}[${i}]`, 'names', `${JSON.stringify(s)} must be a DNS-1035 label`);
    });
  }
  const versions: Schema[] = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.filter((x) => x.storage === true).length !== 1) v('spec.versions', 'versions', 'exactly one version must be the storage version');
  if (new Set(versions.map((x) => x.name)).size !== versions.length) v('spec.versions', 'versions', 'version names must be unique');
  versions.forEach((ver, i) => {
    const p = `spec.versions[${i}]`;
    if (typeof ver.name !== 'string' || !DNS1035.test(ver.name)) v(`${p}.name`, 'versions', 'must be a DNS-1035 label');
    (ver.additionalPrinterColumns ?? []).forEach((c: Schema, j: number) => {
      if (!['integer', 'number', 'string', 'boolean', 'date'].includes(c.type)) v(`${p}.additionalPrinterColumns[${j}]`, 'printer-columns', `type ${JSON.stringify(c.type)} is not integer, number, string, boolean or date`);
      if (typeof c.jsonPath !== 'string' || !c.jsonPath.startsWith('.')) v(`${p}.additionalPrinterColumns[${j}]`, 'printer-columns', 'jsonPath must be a simple path starting with .');
      if (!c.name) v(`${p}.additionalPrinterColumns[${j}]`, 'printer-columns', 'name is required');
    });
    const schema = ver.schema?.openAPIV3Schema;
    if (schema === undefined) return v(`${p}.schema.openAPIV3Schema`, 'versions', 'v1 CRDs need a schema per version');
    out.push(...schemaViolations(schema, { statusSubresource: ver.subresources?.status !== undefined, path: `${p}.schema.openAPIV3Schema` }));
  });
  return out;
}

/** shortNameClashes finds short names that collide with another CRD's kind, plural, singular or short names. */
export function shortNameClashes(crds: Schema[]): Violation[] {
  const owner = new Map<string, string>();
  const out: Violation[] = [];
  for (const crd of crds) {
    const n = crd.spec?.names ?? {};
    for (const word of [n.kind?.toLowerCase(), n.plural, n.singular, ...(n.shortNames ?? [])].filter(Boolean) as string[]) {
      const prev = owner.get(word);
      if (prev && prev !== n.kind) out.push({ path: `${n.kind}.spec.names`, rule: 'names', detail: `${word} also names ${prev}` });
      owner.set(word, n.kind);
    }
  }
  return out;
}
