// Turns raw ajv errors into short validation issues, each pointing at the field a human has to fix.
import type { ErrorObject } from 'ajv';
import { childPointer } from './pointer.js';

/** ValidationIssue is one problem with an object: a JSON Pointer to the field and a message without the path. */
export interface ValidationIssue {
  path: string;
  message: string;
}

type Schema = Record<string, unknown>;

/** Fields that exist on daemon-side objects but must never appear in a desired file. */
const OWNED_FIELDS: Record<string, string> = {
  '/status': 'is owned by the daemon and may not appear in a desired file',
  '/metadata/generation': 'is assigned by the daemon and may not appear in a desired file',
  '/metadata/namespace': 'is not supported: objects are cluster-scoped',
};

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  null: 'null',
};

const FORMAT_WORDS: Record<string, string> = {
  ipv4: 'a valid IPv4 address',
  ipv6: 'a valid IPv6 address',
  hostname: 'a valid hostname',
  'date-time': 'an RFC 3339 date-time',
  int64: 'a 64-bit integer',
};

/** shown renders a value for a message, shortened so one line stays readable. */
export function shown(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** quoteList joins values as "A, B or C", quoting strings that YAML would read as something else. */
const quoteList = (values: unknown[]): string => {
  const parts = values.map((v) => (typeof v === 'string' && !/^(true|false|null|~|[-+.0-9].*)?$/i.test(v) ? v : shown(v)));
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
};

/** describeCondition renders an if-schema such as {properties: {type: {enum: [MX]}}} as "type is MX". */
function describeCondition(schema: unknown): string {
  const props = (schema as Schema | undefined)?.properties as Record<string, Schema> | undefined;
  if (!props) return '';
  const parts = Object.entries(props)
    .filter(([, s]) => Array.isArray(s.enum))
    .map(([name, s]) => `${name} is ${quoteList(s.enum as unknown[])}`);
  return parts.join(' and ');
}

/** describeBranch renders one anyOf branch such as {type: integer, minimum: 60, maximum: 86400}. */
function describeBranch(schema: Schema): string {
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(' or ');
  let text = TYPE_WORDS[String(schema.type)] ?? 'valid';
  if (typeof schema.minimum === 'number' && typeof schema.maximum === 'number') text += ` from ${schema.minimum} to ${schema.maximum}`;
  else if (typeof schema.minimum === 'number') text += ` of at least ${schema.minimum}`;
  else if (typeof schema.maximum === 'number') text += ` of at most ${schema.maximum}`;
  return text;
}

/** describeOneOfRequired explains a failed oneOf whose branches each just require one property. */
function describeOneOfRequired(branches: Schema[], data: unknown): string | undefined {
  const names = branches.map((b) => (Array.isArray(b.required) && b.required.length === 1 && Object.keys(b).length === 1 ? String(b.required[0]) : undefined));
  if (names.some((n) => n === undefined)) return undefined;
  const present = names.filter((n) => data !== null && typeof data === 'object' && Object.hasOwn(data, n!));
  const list = quoteList(names);
  return present.length === 0 ? `one of ${list} is required` : `set exactly one of ${list}, not ${present.length === 2 ? 'both' : present.join(', ')}`;
}

/** messageFor maps one ajv error to a path and message, or undefined to drop it. */
function messageFor(e: ErrorObject): ValidationIssue | undefined {
  const p = e.params as Record<string, unknown>;
  const schema = e.schema as unknown;
  const parent = (e.parentSchema ?? {}) as Schema;
  const got = e.data === undefined ? '' : ` (got ${shown(e.data)})`;
  switch (e.keyword) {
    case 'required':
      return { path: childPointer(e.instancePath, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const path = childPointer(e.instancePath, String(p.additionalProperty));
      return { path, message: OWNED_FIELDS[path] ?? 'unknown field' };
    }
    case 'type': {
      const want = String(p.type);
      const hint = want === 'string' && (typeof e.data === 'number' || typeof e.data === 'boolean') ? '; put the value in quotes' : '';
      return { path: e.instancePath, message: `must be ${TYPE_WORDS[want] ?? want}${hint}${got}` };
    }
    case 'enum':
      return { path: e.instancePath, message: `must be one of ${quoteList(p.allowedValues as unknown[])}${got}` };
    case 'const':
      return { path: e.instancePath, message: `must be ${shown(p.allowedValue)}${got}` };
    case 'format':
      return { path: e.instancePath, message: `must be ${FORMAT_WORDS[String(p.format)] ?? `in ${String(p.format)} format`}${got}` };
    case 'pattern':
      return {
        path: e.instancePath,
        message: typeof parent.title === 'string' ? `must be a valid ${parent.title}${got}` : `must match ${String(p.pattern)}${got}`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path: e.instancePath, message: `must be ${String(p.comparison)} ${String(p.limit)}${got}` };
    case 'minLength':
      return { path: e.instancePath, message: p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long` };
    case 'maxLength':
      return { path: e.instancePath, message: `must be at most ${String(p.limit)} characters long` };
    case 'minItems':
      return { path: e.instancePath, message: `must have at least ${String(p.limit)} items` };
    case 'maxItems':
      return { path: e.instancePath, message: `must have at most ${String(p.limit)} items` };
    case 'not': {
      const req = (schema as Schema | undefined)?.required;
      if (Array.isArray(req) && req.length === 1) return { path: childPointer(e.instancePath, String(req[0])), message: 'is not allowed' };
      return { path: e.instancePath, message: 'is not allowed' };
    }
    case 'oneOf': {
      const msg = describeOneOfRequired((schema as Schema[]) ?? [], e.data);
      return { path: e.instancePath, message: msg ?? 'must match exactly one of the allowed shapes' };
    }
    case 'anyOf':
      return { path: e.instancePath, message: `must be ${((schema as Schema[]) ?? []).map(describeBranch).join(' or ')}${got}` };
    case 'if':
      return undefined;
    default:
      return { path: e.instancePath, message: e.message ?? 'is invalid' };
  }
}

/**
 * humanize converts ajv errors (compiled with allErrors and verbose) into issues: branch noise under
 * oneOf/anyOf is folded into one message, and errors under an if/then rule say which condition applied.
 */
export function humanize(errors: readonly ErrorObject[]): ValidationIssue[] {
  const folded = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const isFolded = (e: ErrorObject): boolean => folded.some((prefix) => e.schemaPath.startsWith(prefix));
  const conditions = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword !== 'if') continue;
    const base = e.schemaPath.slice(0, -'/if'.length);
    conditions.set(`${base}/then/`, describeCondition((e.parentSchema as Schema | undefined)?.if));
  }
  // A wrong type makes every other complaint about the same value noise.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type' && !isFolded(e)).map((e) => e.instancePath));
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const e of errors) {
    if (isFolded(e)) continue;
    if (e.keyword !== 'type' && wrongType.has(e.instancePath)) continue;
    const issue = messageFor(e);
    if (!issue) continue;
    const schemaPath = `${e.schemaPath}/`;
    for (const [prefix, cond] of conditions) {
      if (cond && schemaPath.startsWith(prefix)) {
        const i = issue.message.indexOf(' (got ');
        issue.message = i < 0 ? `${issue.message} when ${cond}` : `${issue.message.slice(0, i)} when ${cond}${issue.message.slice(i)}`;
        break;
      }
    }
    const id = `${issue.path}\u0000${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
}
