// Hetzner simulator response helpers: error envelope, JSON bodies, path IDs, sorting and pagination with Link headers.
import type { SimRequest, SimResponse } from './framework.js';
import { parseSelector, matchesSelector } from './hetzner-labels.js';

export interface FieldError { name: string; messages: string[] }

/** herror builds the `{"error":{code,message,details}}` envelope. */
export function herror(status: number, code: string, message: string, details: unknown = null): SimResponse {
  return { status, body: { error: { code, message, details } } };
}

/** invalidFields is the field-level `invalid_input` shape; the message names the first field unless one is given. */
export function invalidFields(fields: FieldError[], message?: string): SimResponse {
  return herror(400, 'invalid_input', message ?? `invalid input in field '${fields[0]?.name ?? ''}'`, { fields });
}

export function notFound(what = 'resource'): SimResponse {
  return herror(404, 'not_found', `${what} not found`);
}

/** iso renders sim milliseconds like the API does: seconds precision with a `+00:00` offset. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** jsonObject returns the request's JSON object body, or the API's error for a malformed or missing one. */
export function jsonObject(req: SimRequest, optional = false): Record<string, unknown> | SimResponse {
  if (req.rawBody.length === 0) return optional ? {} : herror(400, 'json_error', 'request body is empty');
  if (req.body === undefined) return herror(400, 'json_error', 'malformed JSON in request body');
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return herror(400, 'invalid_input', 'request body must be a JSON object');
  return req.body as Record<string, unknown>;
}

export function isResponse(x: unknown): x is SimResponse {
  return typeof x === 'object' && x !== null && 'status' in x && typeof (x as SimResponse).status === 'number';
}

/** pathId parses an int64 path parameter, or returns the API's invalid_input for it. */
export function pathId(req: SimRequest, name = 'id'): number | SimResponse {
  const raw = req.params[name] ?? '';
  if (!/^\d{1,15}$/.test(raw)) return invalidFields([{ name, messages: ['is invalid'] }]);
  return Number(raw);
}

type SortKey<T> = (item: T) => string | number;

/** sortItems applies repeatable `sort=field[:asc|:desc]`; unknown fields give invalid_input. */
export function sortItems<T>(items: T[], req: SimRequest, keys: Record<string, SortKey<T>>): T[] | SimResponse {
  const specs = req.query.getAll('sort');
  const parsed: Array<{ key: SortKey<T>; dir: number }> = [];
  for (const spec of specs) {
    const [field = '', dir = 'asc'] = spec.split(':');
    const key = keys[field];
    if (!key || (dir !== 'asc' && dir !== 'desc')) return invalidFields([{ name: 'sort', messages: [`invalid sort value '${spec}'`] }]);
    parsed.push({ key, dir: dir === 'desc' ? -1 : 1 });
  }
  if (parsed.length === 0) return items;
  return [...items].sort((a, b) => {
    for (const { key, dir } of parsed) {
      const x = key(a);
      const y = key(b);
      if (x < y) return -dir;
      if (x > y) return dir;
    }
    return 0;
  });
}

/** filterLabels applies `label_selector`, or returns invalid_input for a malformed selector. */
export function filterLabels<T extends { labels: Record<string, string> }>(items: T[], req: SimRequest): T[] | SimResponse {
  const sel = req.query.get('label_selector');
  if (sel === null) return items;
  const reqs = parseSelector(sel);
  if (typeof reqs === 'string') return invalidFields([{ name: 'label_selector', messages: [reqs] }], `invalid label_selector: ${reqs}`);
  return items.filter((i) => matchesSelector(reqs, i.labels));
}

/** paginate slices one page (default 25, capped at 50) and builds `meta.pagination` plus the `Link` header. */
export function paginate<T>(req: SimRequest, items: T[], key: string, render: (item: T) => unknown): SimResponse {
  const pageRaw = req.query.get('page') ?? '1';
  const perRaw = req.query.get('per_page') ?? '25';
  if (!/^\d+$/.test(pageRaw) || Number(pageRaw) < 1) return invalidFields([{ name: 'page', messages: ['is invalid'] }]);
  if (!/^\d+$/.test(perRaw) || Number(perRaw) < 1) return invalidFields([{ name: 'per_page', messages: ['is invalid'] }]);
  const page = Number(pageRaw);
  const perPage = Math.min(50, Number(perRaw));
  const total = items.length;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const pagination = {
    page, per_page: perPage,
    previous_page: page > 1 ? Math.min(page - 1, lastPage) : null,
    next_page: page < lastPage ? page + 1 : null,
    last_page: lastPage, total_entries: total,
  };
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(req.query);
    q.set('page', String(p));
    q.set('per_page', String(perPage));
    links.push(`<${req.baseUrl}${req.path}?${q.toString()}>; rel="${rel}"`);
  };
  if (pagination.previous_page !== null) link(pagination.previous_page, 'prev');
  if (pagination.next_page !== null) link(pagination.next_page, 'next');
  link(lastPage, 'last');
  return { status: 200, body: { [key]: slice.map(render), meta: { pagination } }, headers: { link: links.join(', ') } };
}
