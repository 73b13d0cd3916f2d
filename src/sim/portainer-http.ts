// Portainer simulator response helpers: Portainer's {message,details} errors, Docker's {message}, case-insensitive bodies, filters.
import type { SimRequest, SimResponse } from './framework.js';

/** perror is Portainer's error body; either key is omitted when empty, as libhttp does. */
export function perror(status: number, message: string, details?: string): SimResponse {
  const body: Record<string, string> = {};
  if (message) body.message = message;
  if (details) body.details = details;
  return { status, body };
}

/** derror is the Docker Engine error body, passed through unchanged by Portainer's proxy. */
export function derror(status: number, message: string): SimResponse {
  return { status, body: { message } };
}

/** isResponse tells a SimResponse from a parsed value; never use it on records that carry a numeric `status` themselves. */
export function isResponse(x: unknown): x is SimResponse {
  return typeof x === 'object' && x !== null && 'status' in x && typeof (x as SimResponse).status === 'number';
}

/** ciBody reads a JSON object body the way Go's encoding/json does: keys match case-insensitively. */
export function ciBody(req: SimRequest): { get(key: string): unknown; has(key: string): boolean } | SimResponse {
  if (req.rawBody.length === 0) return perror(400, 'Invalid request payload', 'EOF');
  if (req.body === undefined) return perror(400, 'Invalid request payload', 'invalid character looking for beginning of value');
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    return perror(400, 'Invalid request payload', 'json: cannot unmarshal into Go value of type payload');
  }
  const lower = new Map<string, unknown>();
  for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) if (!lower.has(k.toLowerCase())) lower.set(k.toLowerCase(), v);
  return { get: (key) => lower.get(key.toLowerCase()), has: (key) => lower.has(key.toLowerCase()) };
}

/** str reads a string field; Go decodes a non-string into a string field as an error, which we report the same way. */
export function str(v: unknown): string { return typeof v === 'string' ? v : ''; }

/** numericQuery reads a required or optional integer query parameter with Portainer's messages. */
export function numericQuery(req: SimRequest, name: string, optional: boolean): number | undefined | SimResponse {
  const raw = req.query.get(name);
  if (raw === null || raw === '') {
    return optional ? undefined : perror(400, `Invalid query parameter: ${name}`, 'Missing query parameter');
  }
  if (!/^-?\d+$/.test(raw)) return perror(400, `Invalid query parameter: ${name}`, `strconv.Atoi: parsing "${raw}": invalid syntax`);
  return Number(raw);
}

/** routeId reads a numeric route variable. */
export function routeId(req: SimRequest, name: string, what: string): number | SimResponse {
  const raw = req.params[name] ?? '';
  if (!/^\d+$/.test(raw)) return perror(400, `Invalid ${what} identifier route variable`, `strconv.Atoi: parsing "${raw}": invalid syntax`);
  return Number(raw);
}

/** DockerFilters is Docker's `filters` query: a map of names to accepted values. */
export type DockerFilters = Map<string, string[]>;

/** parseDockerFilters accepts both the current `{"k":["v"]}` form and the legacy `{"k":{"v":true}}` form. */
export function parseDockerFilters(req: SimRequest, allowed: readonly string[]): DockerFilters | SimResponse {
  const raw = req.query.get('filters');
  const out: DockerFilters = new Map();
  if (raw === null || raw === '') return out;
  let parsed: unknown;
  try { parsed = JSON.parse(raw); } catch { return derror(400, `invalid filter '${raw}'`); }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return derror(400, `invalid filter '${raw}'`);
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!allowed.includes(k)) return derror(400, `invalid filter '${k}'`);
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (typeof v === 'object' && v !== null) out.set(k, Object.entries(v).filter(([, on]) => on === true).map(([x]) => x));
    else return derror(400, `invalid filter '${raw}'`);
  }
  return out;
}

/** matchLabels applies Docker's label filter: every `k` must exist and every `k=v` must match. */
export function matchLabels(labels: Record<string, string>, wanted: string[] | undefined): boolean {
  if (!wanted || wanted.length === 0) return true;
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, w);
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** anyOf passes when the filter is absent, or when one accepted value matches. */
export function anyOf(values: string[] | undefined, test: (v: string) => boolean): boolean {
  return !values || values.length === 0 || values.some(test);
}
