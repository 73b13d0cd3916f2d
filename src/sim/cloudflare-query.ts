// Cloudflare simulator list queries: DNS record filters (dotted params), ordering and page/per_page pagination.
import type { ResultInfo } from './cloudflare-envelope.js';
import type { CfRecord, CfZone } from './cloudflare-records.js';

type Pred = (r: CfRecord) => boolean;
const OPS = ['exact', 'contains', 'startswith', 'endswith'] as const;

/** filterRecords applies the documented list filters; `match` combines clauses, `tag_match` combines tag clauses. */
export function filterRecords(records: CfRecord[], q: URLSearchParams): CfRecord[] {
  const clauses: Pred[] = [];
  const tagClauses: Pred[] = [];
  for (const t of q.getAll('type')) clauses.push((r) => r.type === t.toUpperCase());
  for (const v of q.getAll('proxied')) clauses.push((r) => String(r.proxied) === v.toLowerCase());
  for (const s of q.getAll('search')) {
    const needle = s.toLowerCase();
    clauses.push((r) => [r.name, r.content, r.comment ?? ''].some((f) => f.toLowerCase().includes(needle)));
  }
  textField(q, 'name', (r) => r.name, clauses, (v) => v.toLowerCase().replace(/\.$/, ''));
  textField(q, 'content', (r) => r.content, clauses, (v) => v);
  textField(q, 'comment', (r) => r.comment ?? '', clauses, (v) => v);
  for (const _ of q.getAll('comment.present')) clauses.push((r) => !!r.comment);
  for (const _ of q.getAll('comment.absent')) clauses.push((r) => !r.comment);
  tagFilters(q, tagClauses);
  if (tagClauses.length > 0) {
    const any = q.get('tag_match') === 'any';
    clauses.push((r) => (any ? tagClauses.some((p) => p(r)) : tagClauses.every((p) => p(r))));
  }
  const any = q.get('match') === 'any';
  const out = clauses.length === 0 ? records : records.filter((r) => (any ? clauses.some((p) => p(r)) : clauses.every((p) => p(r))));
  return orderBy(out, q.get('order'), q.get('direction'), ['type', 'name', 'content', 'ttl', 'proxied']);
}

/** filterZones supports `name` (exact), `status` and `account.id`, plus ordering by name or status. */
export function filterZones(zones: CfZone[], q: URLSearchParams): CfZone[] {
  const name = q.get('name')?.toLowerCase().replace(/\.$/, '');
  const status = q.get('status');
  const account = q.get('account.id');
  const out = zones.filter((z) => (name === undefined || z.name === name) && (!status || z.status === status) && (!account || z.account.id === account));
  return orderBy(out, q.get('order'), q.get('direction'), ['name', 'status']);
}

/** paginate slices one page; pages past the end return `[]` (the SDK auto-pager stops only on an empty page). */
export function paginate<T>(items: T[], q: URLSearchParams, perPage: { def: number; min: number; max: number }): { page: T[]; info: ResultInfo } {
  // Out-of-range values are clamped, not rejected (an inference; the real API's exact reply is not recorded).
  const page = Math.max(1, intOr(q.get('page'), 1));
  const per = Math.min(perPage.max, Math.max(perPage.min, intOr(q.get('per_page'), perPage.def)));
  const slice = items.slice((page - 1) * per, page * per);
  return {
    page: slice,
    info: { page, per_page: per, count: slice.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / per)) },
  };
}

function textField(q: URLSearchParams, key: string, get: (r: CfRecord) => string, out: Pred[], norm: (v: string) => string): void {
  // Plain `name=` means exact; matching is case-insensitive like DNS itself.
  for (const v of q.getAll(key)) out.push((r) => get(r).toLowerCase() === norm(v).toLowerCase());
  for (const op of OPS) {
    for (const raw of q.getAll(`${key}.${op}`)) {
      const v = norm(raw).toLowerCase();
      out.push((r) => textOp(op, get(r).toLowerCase(), v));
    }
  }
}

function tagFilters(q: URLSearchParams, out: Pred[]): void {
  for (const raw of [...q.getAll('tag'), ...q.getAll('tag.exact')]) {
    const [n, v] = splitTag(raw);
    out.push((r) => r.tags.some((t) => { const [tn, tv] = splitTag(t); return tn === n && (v === undefined || tv === v); }));
  }
  for (const n of q.getAll('tag.present')) out.push((r) => r.tags.some((t) => splitTag(t)[0] === n));
  for (const n of q.getAll('tag.absent')) out.push((r) => !r.tags.some((t) => splitTag(t)[0] === n));
  for (const op of ['contains', 'startswith', 'endswith'] as const) {
    for (const raw of q.getAll(`tag.${op}`)) {
      const [n, v = ''] = splitTag(raw);
      out.push((r) => r.tags.some((t) => { const [tn, tv = ''] = splitTag(t); return tn === n && textOp(op, tv, v); }));
    }
  }
}

function splitTag(t: string): [string, string | undefined] {
  const i = t.indexOf(':');
  return i < 0 ? [t, undefined] : [t.slice(0, i), t.slice(i + 1)];
}

function textOp(op: (typeof OPS)[number], have: string, want: string): boolean {
  if (op === 'exact') return have === want;
  if (op === 'contains') return have.includes(want);
  if (op === 'startswith') return have.startsWith(want);
  return have.endsWith(want);
}

function orderBy<T>(items: T[], order: string | null, direction: string | null, allowed: string[]): T[] {
  if (!order || !allowed.includes(order)) return items;
  const sign = direction === 'desc' ? -1 : 1;
  const key = (x: T) => (x as Record<string, unknown>)[order];
  // Array.prototype.sort is stable, so ties keep creation order.
  return [...items].sort((a, b) => {
    const ka = key(a); const kb = key(b);
    return (typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb))) * sign;
  });
}

function intOr(v: string | null, def: number): number {
  if (v === null) return def;
  const n = Number(v);
  return Number.isInteger(n) ? n : def;
}
