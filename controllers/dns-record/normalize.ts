// Pure DNS normalisation and diff, done the way Cloudflare normalises records, so a converged record never writes.
import { parseMarkers } from './marker.js';

/** DnsRecordSpec is the DNSRecord kind's spec. */
export interface DnsRecordSpec {
  zone: string;
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'MX' | 'CAA';
  content?: string;
  contentFrom?: { server: string; address: 'ipv4' | 'ipv6' };
  ttl?: number | 'auto';
  proxied?: boolean;
  priority?: number;
  deletionPolicy?: 'Delete' | 'Orphan';
}

/** ObservedRecord is the subset of a Cloudflare record the diff reads. */
export interface ObservedRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied?: boolean;
  priority?: number;
  comment?: string | null;
  tags?: string[];
  /** Provider version stamp; a list showing an older one than our write is lagging. */
  modifiedOn?: string;
}

/** WantedRecord is a desired record after normalisation, with its content resolved. */
export interface WantedRecord {
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  priority?: number;
}

const PROXIABLE = new Set(['A', 'AAAA', 'CNAME']);

/** normalizeZone lower-cases a zone and strips a trailing dot. */
export function normalizeZone(zone: string): string {
  return zone.trim().toLowerCase().replace(/\.$/, '');
}

/** fqdn expands a record name relative to its zone ('@' is the apex; names ending in the zone or a dot are absolute). */
export function fqdn(name: string, zone: string): string {
  const z = normalizeZone(zone);
  const n = name.trim().toLowerCase();
  if (n === '@' || n === '') return z;
  if (n.endsWith('.')) return n.slice(0, -1);
  if (n === z || n.endsWith(`.${z}`)) return n;
  return `${n}.${z}`;
}

/** wanted normalises a spec with resolved content into what Cloudflare will store. */
export function wanted(spec: DnsRecordSpec, content: string): WantedRecord {
  const proxied = PROXIABLE.has(spec.type) && spec.proxied === true;
  // Cloudflare reports ttl 1 (automatic) for "auto" and for every proxied record.
  const ttl = proxied || spec.ttl === undefined || spec.ttl === 'auto' ? 1 : spec.ttl;
  return {
    type: spec.type,
    name: fqdn(spec.name, spec.zone),
    content: normalizeContent(spec.type, content),
    ttl,
    proxied,
    ...(spec.type === 'MX' ? { priority: spec.priority ?? 0 } : {}),
  };
}

/** normalizeContent folds the representations Cloudflare treats as equal. */
export function normalizeContent(type: string, content: string): string {
  const c = content.trim();
  switch (type) {
    case 'CNAME':
    case 'MX':
      return c.toLowerCase().replace(/\.$/, '');
    case 'AAAA':
      return normalizeIpv6(c);
    case 'TXT':
      return unquoteTxt(c);
    case 'CAA': {
      // Cloudflare returns CAA content as `0 issue "ca.example"`; users often write it without quotes.
      const m = /^(\d+)\s+([A-Za-z0-9]+)\s+"?(.*?)"?$/.exec(c);
      return m ? `${m[1]} ${m[2]!.toLowerCase()} ${m[3]}` : c;
    }
    default:
      return c;
  }
}

/** FieldChange is one differing field between desired and observed. */
export interface FieldChange { field: 'content' | 'ttl' | 'proxied' | 'priority'; from: unknown; to: unknown }

/** diffRecord lists the fields to change so the observed record matches the wanted one. */
export function diffRecord(want: WantedRecord, have: ObservedRecord): FieldChange[] {
  const out: FieldChange[] = [];
  const haveContent = normalizeContent(have.type, have.content);
  if (haveContent !== want.content) out.push({ field: 'content', from: have.content, to: want.content });
  const haveProxied = have.proxied === true;
  if (PROXIABLE.has(want.type) && haveProxied !== want.proxied) out.push({ field: 'proxied', from: haveProxied, to: want.proxied });
  const haveTtl = haveProxied ? 1 : have.ttl;
  if (haveTtl !== want.ttl) out.push({ field: 'ttl', from: have.ttl, to: want.ttl });
  if (want.type === 'MX' && (have.priority ?? 0) !== want.priority) out.push({ field: 'priority', from: have.priority, to: want.priority });
  return out;
}

/** unquoteTxt turns `"a" "b"` or `"a"` into `ab`/`a`, the value a resolver sees. */
export function unquoteTxt(c: string): string {
  if (!c.startsWith('"')) return c;
  const parts = [...c.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return parts.length ? parts.join('') : c;
}

/** normalizeIpv6 expands and re-compresses an IPv6 address into its canonical lower-case form. */
export function normalizeIpv6(addr: string): string {
  const a = addr.toLowerCase();
  if (!a.includes(':')) return a;
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  if (h.length + t.length > 8 || h.concat(t).some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return a;
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return a;
  const parts = groups.map((g) => g.replace(/^0+(?=.)/, ''));
  // Compress the longest run of zero groups (length ≥ 2), as RFC 5952 prescribes.
  let best = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

export { ownerMarker } from './marker.js';

/** parseOwner reads the first readable ownership marker (either format) from a record comment. */
export function parseOwner(comment: string | null | undefined): { instance: string; name: string } | undefined {
  return parseMarkers(comment).find((t) => t.owner)?.owner;
}

/** MULTI_VALUE types commonly hold several records per name, so only an identical one clashes. */
export const MULTI_VALUE = new Set(['TXT', 'MX', 'CAA']);
