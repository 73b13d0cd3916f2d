// The runtime validator: compiles the published JSON Schemas once and checks objects against schema and semantic rules.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { API_VERSION, type Resource } from '../engine/types.js';
import { KINDS, type KindName } from './generated.js';
import { humanize, shown, type ValidationIssue } from './issues.js';
import { publishedSchemas } from './schemas.js';
import { semanticChecks } from './semantic.js';

export type * from './generated.js';
export type { ValidationIssue } from './issues.js';

// ajv-formats is CommonJS; under NodeNext its default import is the plugin function itself.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

let validators: Map<KindName, ValidateFunction> | undefined;

/** compiled builds every validator on first use and caches them for the life of the process. */
function compiled(): Map<KindName, ValidateFunction> {
  if (validators) return validators;
  // Conditional rules (oneOf, if/then, not) name properties declared by the parent schema, so the type and
  // required strictness checks, which only look at one subschema, are off; the rest of strict mode stays on.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, useDefaults: true });
  addFormats(ajv);
  validators = new Map(KINDS.map((k) => [k, ajv.compile(structuredClone(publishedSchemas[k]) as Record<string, unknown>)]));
  return validators;
}

/** kinds lists every kind the daemon understands, sorted. */
export function kinds(): readonly KindName[] {
  return KINDS;
}

/** isKind tells whether a value names a known kind. */
export function isKind(kind: unknown): kind is KindName {
  return typeof kind === 'string' && (KINDS as readonly string[]).includes(kind);
}

/** schemaFor returns the published JSON Schema of a kind. */
export function schemaFor(kind: KindName): Readonly<Record<string, unknown>> {
  return publishedSchemas[kind];
}

/** CheckResult carries the issues and, when there are none, a copy of the object with schema defaults applied. */
export interface CheckResult {
  issues: ValidationIssue[];
  object?: Resource;
}

/** envelopeIssues checks what must hold before a schema can even be chosen: a mapping with a known apiVersion and kind. */
function envelopeIssues(input: unknown): ValidationIssue[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return [{ path: '', message: 'must be a mapping with apiVersion, kind, metadata and spec' }];
  }
  const o = input as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  if (o.apiVersion === undefined) issues.push({ path: '/apiVersion', message: 'is required' });
  else if (o.apiVersion !== API_VERSION) issues.push({ path: '/apiVersion', message: `unknown API version ${shown(o.apiVersion)}; expected ${API_VERSION}` });
  if (o.kind === undefined) issues.push({ path: '/kind', message: 'is required' });
  else if (!isKind(o.kind)) issues.push({ path: '/kind', message: `unknown kind ${shown(o.kind)}; expected one of ${KINDS.join(', ')}` });
  return issues;
}

/**
 * check validates one desired object: envelope, JSON Schema, then (only when the schema passes) the semantic rules.
 * A valid object comes back with schema defaults filled in, like an API server would, as a copy unless opts.owned says
 * the caller hands the input over.
 */
export function check(input: unknown, opts: { owned?: boolean } = {}): CheckResult {
  const envelope = envelopeIssues(input);
  if (envelope.length > 0) return { issues: envelope };
  const kind = (input as { kind: KindName }).kind;
  // An owned input (fresh from the YAML parser) gets its defaults in place; anything else is copied first.
  const copy = (opts.owned ? input : structuredClone(input)) as Resource;
  const validateFn = compiled().get(kind)!;
  if (!validateFn(copy)) return { issues: humanize(validateFn.errors ?? []) };
  const issues = semanticChecks[kind](copy);
  return issues.length > 0 ? { issues } : { issues, object: copy };
}

/** validate returns every issue with an object; an empty list means valid. */
export function validate(input: unknown): ValidationIssue[] {
  return check(input).issues;
}
