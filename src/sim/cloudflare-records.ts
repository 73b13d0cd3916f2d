// Cloudflare simulator DNS record model: normalisation, validation and duplicate/CNAME conflict rules.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { CfFailure, MSG, validation } from './cloudflare-envelope.js';

export type ZonePlan = 'free' | 'pro';

/** CfZone is a zone as `GET /zones` returns it (the fields the SDK types declare). */
export interface CfZone {
  id: string;
  name: string;
  status: 'active';
  paused: boolean;
  type: 'full';
  development_mode: number;
  name_servers: string[];
  original_name_servers: string[] | null;
  original_registrar: string | null;
  original_dnshost: string | null;
  account: { id: string; name: string };
  owner: { id: string | null; type: string; email: string | null };
  plan: { id: string; name: string; price: number; currency: string; frequency: string; is_subscribed: boolean; can_subscribe: boolean; legacy_id: ZonePlan; legacy_discount: boolean; externally_managed: boolean };
  meta: Record<string, unknown>;
  permissions: string[];
  created_on: string;
  modified_on: string;
  activated_on: string;
}

/** CfRecord is a stored DNS record, in the wire shape and key order Cloudflare uses. */
export interface CfRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  proxiable: boolean;
  proxied: boolean;
  ttl: number;
  settings: Record<string, unknown>;
  meta: Record<string, unknown>;
  comment: string | null;
  tags: string[];
  created_on: string;
  modified_on: string;
  comment_modified_on?: string;
  tags_modified_on?: string;
  priority?: number;
  data?: Record<string, unknown>;
}

/** Record types the simulator accepts; others get 1004/9000 (the real API supports more). */
export const SUPPORTED_TYPES = new Set(['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'CAA', 'PTR']);
const PROXIABLE = new Set(['A', 'AAAA', 'CNAME']);
const FIELDS = ['type', 'name', 'content', 'ttl', 'proxied', 'comment', 'tags', 'priority', 'settings', 'data'] as const;

type Mode = 'create' | 'patch' | 'put';

/** buildRecord validates a create/PATCH/PUT body against the zone and returns the record to store. */
export function buildRecord(zone: CfZone, body: unknown, mode: Mode, base: CfRecord | undefined, id: string, now: string): CfRecord {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CfFailure(400, [{ code: 9207, message: 'Request body is invalid.' }]);
  const b = body as Record<string, unknown>;
  // PATCH merges onto the stored record; create and PUT start from an empty record (missing optional fields reset).
  const merged: Record<string, unknown> = mode === 'patch' && base ? { ...base } : {};
  for (const f of FIELDS) if (f in b) merged[f] = b[f];
  // A new content or type on PATCH replaces derived structured data rather than fighting it.
  if (mode === 'patch' && ('content' in b || ('type' in b && b.type !== base?.type)) && !('data' in b)) delete merged.data;

  const type = requireString(merged.type, 'type').toUpperCase();
  if (!SUPPORTED_TYPES.has(type)) throw validation(9000, 'DNS record type is invalid.');
  const name = normalizeName(requireString(merged.name, 'name'), zone.name);
  const proxied = optBool(merged.proxied, 'proxied') ?? false;
  if (proxied && !PROXIABLE.has(type)) throw validation(9004, 'This record type cannot be proxied.');
  if (mode === 'put' && merged.ttl === undefined) throw validation(9100, 'ttl is a required field.');
  const ttl = proxied ? 1 : checkTtl(merged.ttl);
  const { content, priority, data } = checkContent(type, merged);
  const proxiable = PROXIABLE.has(type) && !((type === 'A' || type === 'AAAA') && isNonPublic(content));
  if (proxied && !proxiable) throw validation(9003, `Target ${content} is not allowed for a proxied record.`);
  const comment = optComment(merged.comment);
  if (comment !== null && /[\r\n]/.test(comment)) throw new CfFailure(400, [{ code: 9313, message: 'DNS record comment must not contain newlines.' }]);
  const maxComment = zone.plan.legacy_id === 'free' ? 100 : 500;
  if (comment !== null && [...comment].length > maxComment) {
    throw new CfFailure(400, [{ code: 9313, message: `DNS record comment exceeds the maximum length of ${maxComment} characters.` }]);
  }
  const tags = optTags(merged.tags);
  if (tags.length > 0 && zone.plan.legacy_id === 'free') throw validation(9300, `DNS record has ${tags.length} tags, exceeding the quota of 0.`);
  const settings = merged.settings === undefined || merged.settings === null ? {} : requireObject(merged.settings, 'settings');

  const rec: CfRecord = {
    id, name, type, content, proxiable, proxied, ttl, settings, meta: {},
    comment, tags,
    created_on: base?.created_on ?? now,
    modified_on: now,
  };
  stampChange(rec, base, now);
  if (priority !== undefined) rec.priority = priority;
  if (data !== undefined) rec.data = data;
  return rec;
}

/** checkConflicts applies Cloudflare's duplicate, CNAME and NS rules against the other records of the zone. */
export function checkConflicts(rec: CfRecord, others: Iterable<CfRecord>): void {
  for (const o of others) {
    if (o.id === rec.id || o.name !== rec.name) continue;
    checkExclusive(rec, o);
    if (o.type === rec.type && o.content === rec.content && o.priority === rec.priority) {
      throw new CfFailure(400, [{ code: 81058, message: MSG.identical }]);
    }
  }
}

/** checkGhosts applies only the exclusive-name rules to records deleted moments ago, which Cloudflare still counts. */
export function checkGhosts(rec: CfRecord, ghosts: Iterable<CfRecord>): void {
  for (const o of ghosts) if (o.id !== rec.id && o.name === rec.name) checkExclusive(rec, o);
}

// A CNAME excludes A/AAAA/CNAME at its name; a delegation (NS) excludes every other type (81056 is an inference).
function checkExclusive(rec: CfRecord, o: CfRecord): void {
  if (rec.type === 'CNAME' && PROXIABLE.has(o.type)) throw new CfFailure(400, [{ code: 81053, message: MSG.dupCname }]);
  if ((rec.type === 'A' || rec.type === 'AAAA') && o.type === 'CNAME') throw new CfFailure(400, [{ code: 81054, message: MSG.cnameExists }]);
  if ((rec.type === 'NS') !== (o.type === 'NS')) throw new CfFailure(400, [{ code: 81056, message: MSG.nsExclusive }]);
}

/** normalizeName turns `@`, relative names and trailing dots into a lowercase FQDN inside the zone. */
export function normalizeName(raw: string, zone: string): string {
  let n = raw.trim().toLowerCase();
  if (n === '@' || n === '') return zone;
  const absolute = n.endsWith('.');
  if (absolute) n = n.slice(0, -1);
  // Without a trailing dot a name not ending in the zone is relative; with one it must already be inside the zone.
  if (!absolute && n !== zone && !n.endsWith(`.${zone}`)) n = `${n}.${zone}`;
  if (n !== zone && !n.endsWith(`.${zone}`)) throw validation(9021, `DNS name ${n} is not within the zone ${zone}.`);
  if (n.length > 253 || !n.split('.').every((l, i) => (l === '*' && i === 0) || /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) {
    throw validation(9021, 'DNS name is invalid.');
  }
  return n;
}

function checkContent(type: string, m: Record<string, unknown>): { content: string; priority?: number; data?: Record<string, unknown> } {
  if (type === 'CAA') return checkCaa(m);
  const raw = m.content;
  if (raw === undefined || raw === null || raw === '') throw validation(9100, 'content is a required field.');
  if (typeof raw !== 'string') throw validation(9007, `Content for ${type} record is invalid.`);
  const s = raw.trim();
  switch (type) {
    case 'A':
      if (!isIPv4(s)) throw validation(9005, 'Content for A record must be a valid IPv4 address.');
      return { content: s };
    case 'AAAA':
      if (!isIPv6(s)) throw validation(9006, 'Content for AAAA record must be a valid IPv6 address.');
      return { content: canonicalV6(s) };
    case 'MX': {
      if (isIPv4(s) || isIPv6(s)) throw validation(9009, 'Content for MX record must be a hostname, not an IP address.');
      const priority = m.priority;
      if (priority === undefined || priority === null) throw validation(9100, 'priority is a required field.');
      if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 65535) {
        throw validation(9008, 'Invalid priority, priority must be set and be between 0 and 65535');
      }
      return { content: hostname(s, type), priority: priority as number };
    }
    case 'TXT':
      // TXT content is stored exactly as sent (quotes included), like the API's default mode.
      if (raw.length > 4096) throw validation(9007, 'Content for TXT record is invalid.');
      return { content: raw };
    default:
      return { content: hostname(s, type) };
  }
}

function checkCaa(m: Record<string, unknown>): { content: string; data: Record<string, unknown> } {
  let flags: unknown; let tag: unknown; let value: unknown;
  if (m.data !== undefined && m.data !== null) {
    const d = requireObject(m.data, 'data');
    ({ flags, tag, value } = d);
  } else if (typeof m.content === 'string') {
    const match = /^\s*(\d+)\s+([a-zA-Z0-9]+)\s+"?([^"]*)"?\s*$/.exec(m.content);
    if (match) { flags = Number(match[1]); tag = match[2]!.toLowerCase(); value = match[3]; }
  } else {
    throw validation(9100, 'content is a required field.');
  }
  if (!Number.isInteger(flags) || (flags as number) < 0 || (flags as number) > 255 || typeof tag !== 'string'
    || !['issue', 'issuewild', 'iodef'].includes(tag) || typeof value !== 'string') {
    throw validation(9007, 'Content for CAA record is invalid.');
  }
  return { content: `${flags as number} ${tag} "${value}"`, data: { flags, tag, value } };
}

function hostname(s: string, type: string): string {
  const h = s.toLowerCase().replace(/\.$/, '');
  if (h.length === 0 || h.length > 253 || isIPv4(h) || !h.split('.').every((l) => /^[a-z0-9_*]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) {
    throw validation(9007, `Content for ${type} record is invalid.`);
  }
  return h;
}

function checkTtl(v: unknown): number {
  if (v === undefined || v === null) return 1;
  if (typeof v !== 'number') throw validation(9022, 'TTL must be a number, not a string.');
  if (v === 1 || (Number.isInteger(v) && v >= 60 && v <= 86400)) return v;
  throw validation(9021, 'TTL must be between 60 and 86400 seconds, or 1 for Automatic.');
}

function stampChange(rec: CfRecord, base: CfRecord | undefined, now: string): void {
  const commentChanged = base ? base.comment !== rec.comment : rec.comment !== null;
  if (commentChanged) rec.comment_modified_on = now;
  else if (base?.comment_modified_on) rec.comment_modified_on = base.comment_modified_on;
  const tagsChanged = base ? base.tags.join('\n') !== rec.tags.join('\n') : rec.tags.length > 0;
  if (tagsChanged) rec.tags_modified_on = now;
  else if (base?.tags_modified_on) rec.tags_modified_on = base.tags_modified_on;
}

// WHATWG URL serialises IPv6 hosts in canonical compressed lowercase form, like Cloudflare stores them.
function canonicalV6(s: string): string {
  return new URL(`http://[${s}]/`).hostname.slice(1, -1);
}

// Addresses Cloudflare will not proxy to: RFC 1918, loopback, link-local, CGNAT, "this network", ULA, unspecified, multicast.
const NON_PUBLIC = (() => {
  const b = new BlockList();
  for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) b.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) b.addSubnet(net, bits, 'ipv6');
  return b;
})();

function isNonPublic(ip: string): boolean {
  if (isIPv4(ip)) return NON_PUBLIC.check(ip, 'ipv4');
  if (!isIPv6(ip)) return false;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged by its IPv4 part.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? NON_PUBLIC.check(mapped[1]!, 'ipv4') : NON_PUBLIC.check(ip, 'ipv6');
}

function requireString(v: unknown, field: string): string {
  if (v === undefined || v === null || v === '') throw validation(9100, `${field} is a required field.`);
  if (typeof v !== 'string') throw new CfFailure(400, [{ code: 9207, message: `Request body is invalid: ${field} must be a string.` }]);
  return v;
}

function requireObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CfFailure(400, [{ code: 9207, message: `Request body is invalid: ${field} must be an object.` }]);
  return v as Record<string, unknown>;
}

function optBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new CfFailure(400, [{ code: 9207, message: `Request body is invalid: ${field} must be a boolean.` }]);
  return v;
}

function optComment(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new CfFailure(400, [{ code: 9207, message: 'Request body is invalid: comment must be a string.' }]);
  return v;
}

function optTags(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'string')) {
    throw new CfFailure(400, [{ code: 9207, message: 'Request body is invalid: tags must be an array of strings.' }]);
  }
  return [...(v as string[])];
}
