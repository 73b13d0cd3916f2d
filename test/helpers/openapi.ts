// Validates HTTP responses against an OpenAPI 3.0 spec: resolves component refs, maps `nullable`, picks the schema by route.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Json = Record<string, unknown>;
interface Operation { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }
export interface OpenApiSpec { openapi: string; paths: Record<string, Record<string, Operation>>; components?: Record<string, Record<string, Json>> }

export const HETZNER_SPEC_FILE = fileURLToPath(new URL('../fixtures/hetzner-cloud.openapi.json', import.meta.url));

/** Hetzner's error envelope; the spec documents no error bodies, so this follows the API docs (api-facts 1.9). */
export const HETZNER_ERROR_SCHEMA: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', minLength: 1 },
        message: { type: 'string' },
        details: {
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              properties: {
                fields: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } } } },
              },
            },
          ],
        },
      },
    },
  },
};

export function loadSpec(file = HETZNER_SPEC_FILE): OpenApiSpec {
  return relaxRemovedFields(JSON.parse(readFileSync(file, 'utf8')) as OpenApiSpec);
}

/**
 * relaxRemovedFields drops `datacenter` from the required fields of server objects: the fixture predates its removal
 * from the API (2026-07-01, see test/fixtures/README.md), and the simulator no longer sends it.
 */
export function relaxRemovedFields(spec: OpenApiSpec): OpenApiSpec {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(walk); return; }
    if (typeof node !== 'object' || node === null) return;
    const obj = node as Json;
    const props = obj.properties as Json | undefined;
    if (Array.isArray(obj.required) && props && 'server_type' in props && 'datacenter' in props) {
      obj.required = obj.required.filter((r) => r !== 'datacenter');
    }
    for (const v of Object.values(obj)) walk(v);
  };
  walk(spec);
  return spec;
}

/** toJsonSchema resolves `#/components/...` refs inline and turns `nullable: true` into a JSON Schema null alternative. */
export function toJsonSchema(node: unknown, spec: OpenApiSpec, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, spec, seen));
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Json;
  if (typeof obj.$ref === 'string') {
    const ref = obj.$ref;
    if (seen.includes(ref)) throw new Error(`recursive $ref ${ref} is not supported`);
    return toJsonSchema(resolveRef(ref, spec), spec, [...seen, ref]);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'nullable' || k === 'example' || k === 'xml' || k === 'externalDocs') continue;
    // Maps of sub-schemas: keys are names, not keywords.
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toJsonSchema(pv, spec, seen)]));
    } else out[k] = toJsonSchema(v, spec, seen);
  }
  if (obj.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.type === undefined) return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

function resolveRef(ref: string, spec: OpenApiSpec): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local refs are supported, got ${ref}`);
  let cur: unknown = spec;
  for (const part of ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    cur = (cur as Json | undefined)?.[part];
  }
  if (cur === undefined) throw new Error(`unresolved $ref ${ref}`);
  return cur;
}

/** matchTemplate finds the spec path template for a concrete path (literal segments win over parameters). */
export function matchTemplate(spec: OpenApiSpec, path: string): string | undefined {
  const segs = path.split('?')[0]!.split('/').filter(Boolean);
  let best: { t: string; literals: number } | undefined;
  for (const t of Object.keys(spec.paths)) {
    const ts = t.split('/').filter(Boolean);
    if (ts.length !== segs.length) continue;
    let literals = 0;
    const ok = ts.every((s, i) => (s.startsWith('{') ? true : s === segs[i] && ++literals > 0));
    if (ok && (!best || literals > best.literals)) best = { t, literals };
  }
  return best?.t;
}

export interface Validation { ok: boolean; template: string; errors: string[] }

/** ResponseValidator checks bodies against the schema for path template + method + status. */
export class ResponseValidator {
  readonly #ajv: Ajv;
  readonly #cache = new Map<string, ValidateFunction>();

  constructor(readonly spec: OpenApiSpec = loadSpec(), readonly errorSchema: Json = HETZNER_ERROR_SCHEMA) {
    this.#ajv = new Ajv({ strict: false, allErrors: true });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    addFormats(this.#ajv);
  }

  /** schemaFor returns the JSON Schema of one documented response, or undefined when the spec has none. */
  schemaFor(method: string, template: string, status: number): unknown {
    const op = this.spec.paths[template]?.[method.toLowerCase()];
    const resp = op?.responses?.[String(status)] ?? op?.responses?.[`${String(status)[0]}XX`];
    const schema = resp?.content?.['application/json']?.schema;
    return schema === undefined ? undefined : toJsonSchema(schema, this.spec);
  }

  /** validate checks a response; error statuses use the error envelope, 204 must have no body. */
  validate(method: string, path: string, status: number, body: unknown): Validation {
    const template = matchTemplate(this.spec, path);
    if (!template) return { ok: false, template: '', errors: [`no spec path matches ${path}`] };
    if (!this.spec.paths[template]?.[method.toLowerCase()]) return { ok: false, template, errors: [`spec has no ${method} ${template}`] };
    if (status === 204) return { ok: body === undefined, template, errors: body === undefined ? [] : ['204 must not have a body'] };
    const key = `${method} ${template} ${status}`;
    let fn = this.#cache.get(key);
    if (!fn) {
      const schema = status >= 400 ? this.errorSchema : this.schemaFor(method, template, status);
      if (schema === undefined) return { ok: false, template, errors: [`spec documents no ${status} response for ${method} ${template}`] };
      fn = this.#ajv.compile(schema as Json);
      this.#cache.set(key, fn);
    }
    const ok = fn(body) as boolean;
    return { ok, template, errors: ok ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`) };
  }
}
