// Hetzner label validation and label-selector parsing/matching, as documented for the Cloud API.

const NAME = /^[a-zA-Z0-9](?:[-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** isValidLabelKey checks `[prefix/]name`, where prefix is a DNS subdomain and `hetzner.cloud` is reserved. */
export function isValidLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (!NAME.test(name)) return false;
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  if (prefix.length === 0 || prefix.length > 253 || !prefix.split('.').every((p) => DNS_LABEL.test(p))) return false;
  return prefix !== 'hetzner.cloud' && !prefix.endsWith('.hetzner.cloud');
}

/** isValidLabelValue accepts the empty string or 1–63 chars that start and end alphanumeric. */
export function isValidLabelValue(value: string): boolean {
  return value === '' || NAME.test(value);
}

/** labelProblems returns the messages for an invalid `labels` value, or an empty list when it is valid. */
export function labelProblems(labels: unknown): string[] {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return ['labels must be an object'];
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!isValidLabelKey(k)) out.push(`label key '${k}' is invalid`);
    if (typeof v !== 'string') out.push(`label value of '${k}' must be a string`);
    else if (!isValidLabelValue(v)) out.push(`label value '${v}' of '${k}' is invalid`);
  }
  return out;
}

export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };

/** splitTerms splits on commas that are not inside `( … )`. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { terms.push(cur); cur = ''; continue; }
    cur += ch;
  }
  terms.push(cur);
  return terms.map((t) => t.trim());
}

/** parseSelector turns `k=v,k!=v,k,!k,k in (a,b),k notin (a,b)` into requirements, or returns an error message. */
export function parseSelector(selector: string): Requirement[] | string {
  const reqs: Requirement[] = [];
  if (selector.trim() === '') return reqs;
  for (const term of splitTerms(selector)) {
    const req = parseTerm(term);
    if (typeof req === 'string') return req;
    reqs.push(req);
  }
  return reqs;
}

function parseTerm(term: string): Requirement | string {
  if (term === '') return 'empty term in label selector';
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term);
  if (set) {
    const [, key, op, list] = set as unknown as [string, string, 'in' | 'notin', string];
    const values = list.split(',').map((v) => v.trim());
    if (!isValidLabelKey(key)) return `invalid label key '${key}' in label selector`;
    if (values.some((v) => !isValidLabelValue(v))) return `invalid value list in label selector term '${term}'`;
    return { op, key, values };
  }
  const cmp = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const [, key, sym, value] = cmp as unknown as [string, string, string, string];
    if (!isValidLabelKey(key)) return `invalid label key '${key}' in label selector`;
    if (!isValidLabelValue(value)) return `invalid label value '${value}' in label selector`;
    return { op: sym === '!=' ? 'neq' : 'eq', key, value };
  }
  if (term.startsWith('!')) {
    const key = term.slice(1).trim();
    return isValidLabelKey(key) ? { op: 'absent', key } : `invalid label key '${key}' in label selector`;
  }
  return isValidLabelKey(term) ? { op: 'exists', key: term } : `invalid label selector term '${term}'`;
}

/** matchesSelector applies AND over all requirements; `!=` and `notin` also match when the key is absent. */
export function matchesSelector(reqs: readonly Requirement[], labels: Readonly<Record<string, string>>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq': return has && v === r.value;
      case 'neq': return !has || v !== r.value;
      case 'in': return has && r.values.includes(v!);
      case 'notin': return !has || !r.values.includes(v!);
      case 'exists': return has;
      case 'absent': return !has;
    }
  });
}
