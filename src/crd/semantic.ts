// Per-kind checks that JSON Schema cannot express; they run only on schema-valid objects.
import type { Resource } from '../engine/types.js';
import type { AppDeploymentSpec, DNSRecordSpec, KindName, ServerSpec } from './generated.js';
import { isHostname, resolveRecordName } from './dns-name.js';
import { shown, type ValidationIssue } from './issues.js';
import { childPointer } from './pointer.js';

const CAA = /^([0-9]{1,3}) (issue|issuewild|iodef|issuemail|issuevmc) "[^"]*"$/;

/** checkDNSRecord: name inside the zone, contentFrom only for A/AAAA with the matching address, hostnames where needed. */
export function checkDNSRecord(obj: Resource<DNSRecordSpec>): ValidationIssue[] {
  const s = obj.spec;
  const issues: ValidationIssue[] = [];
  const resolved = resolveRecordName(s.zone, s.name);
  if (resolved.error) issues.push({ path: '/spec/name', message: resolved.error });
  if (s.contentFrom) {
    if (s.type !== 'A' && s.type !== 'AAAA') {
      issues.push({ path: '/spec/contentFrom', message: `is only allowed for A and AAAA records; use content for ${s.type}` });
    } else {
      const want = s.type === 'A' ? 'ipv4' : 'ipv6';
      if (s.contentFrom.address !== want) {
        issues.push({ path: '/spec/contentFrom/address', message: `must be ${want} for an ${s.type} record (got ${shown(s.contentFrom.address)})` });
      }
    }
  }
  if (s.content !== undefined) {
    if ((s.type === 'CNAME' || s.type === 'MX') && !isHostname(s.content)) {
      issues.push({ path: '/spec/content', message: `must be a hostname such as target.example.com for a ${s.type} record (got ${shown(s.content)})` });
    } else if (s.type === 'CNAME' && resolved.fqdn && s.content.toLowerCase().replace(/\.$/, '') === resolved.fqdn) {
      issues.push({ path: '/spec/content', message: 'a CNAME record cannot point at itself' });
    }
    if (s.type === 'CAA') {
      const m = CAA.exec(s.content);
      if (!m || Number(m[1]) > 255) {
        issues.push({ path: '/spec/content', message: `must be 'flags tag "value"' such as 0 issue "letsencrypt.org" for a CAA record (got ${shown(s.content)})` });
      }
    }
  }
  if (s.proxied === true && typeof s.ttl === 'number') {
    issues.push({ path: '/spec/ttl', message: `must be "auto" when proxied is true; Cloudflare ignores the TTL of proxied records (got ${s.ttl})` });
  }
  return issues;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** labelKeyError applies Hetzner's label key rule: [prefix/]name, prefix a DNS subdomain, hetzner.cloud/ reserved. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key prefix ${shown(prefix)} must be a lowercase DNS subdomain of at most 253 characters`;
  }
  if (prefix === 'hetzner.cloud' || prefix?.endsWith('.hetzner.cloud')) return 'the hetzner.cloud/ label prefix is reserved by Hetzner';
  if (!LABEL_NAME.test(name)) {
    return `label key name ${shown(name)} must be 1 to 63 characters of [a-zA-Z0-9], with "-", "_" and "." allowed inside`;
  }
  return undefined;
}

/** sshKeyError checks that an OpenSSH public key line carries well-formed base64 whose embedded type matches the line. */
export function sshKeyError(line: string): string | undefined {
  const [type, b64] = line.split(' ');
  if (!type || !b64) return 'must be "<type> <base64> [comment]"';
  const blob = Buffer.from(b64, 'base64');
  if (blob.toString('base64') !== b64 || blob.length < 4) return 'has a malformed base64 key';
  const len = blob.readUInt32BE(0);
  if (len + 4 > blob.length || blob.subarray(4, 4 + len).toString('latin1') !== type) return `key data does not match its type ${type}`;
  return undefined;
}

const tzCache = new Map<string, boolean>();

/** timezoneValid asks ICU whether the time zone exists; answers are cached because ICU is slow to ask. */
function timezoneValid(tz: string): boolean {
  let ok = tzCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (tzCache.size < 1000) tzCache.set(tz, ok);
  }
  return ok;
}

/** checkServer: Hetzner label keys, SSH keys that decode and are not repeated, a DNS name inside its zone, a real time zone. */
export function checkServer(obj: Resource<ServerSpec>): ValidationIssue[] {
  const s = obj.spec;
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(s.labels ?? {})) {
    const err = labelKeyError(key);
    if (err) issues.push({ path: childPointer('/spec/labels', key), message: err });
  }
  const seen = new Map<string, number>();
  (s.sshKeys ?? []).forEach((line, i) => {
    const path = childPointer('/spec/sshKeys', i);
    const err = sshKeyError(line);
    if (err) issues.push({ path, message: err });
    const blob = line.split(' ')[1] ?? '';
    const first = seen.get(blob);
    if (first !== undefined) issues.push({ path, message: `repeats sshKeys[${first}]` });
    else seen.set(blob, i);
  });
  if (s.dns) {
    const r = resolveRecordName(s.dns.zone, s.dns.name);
    if (r.error) issues.push({ path: '/spec/dns/name', message: r.error });
  }
  // Apps are named under the server's DNS name, so infrastructure without one could route nothing.
  if (s.infrastructure && !s.dns) issues.push({ path: '/spec/infrastructure', message: 'infrastructure needs spec.dns: apps get names under the server\'s DNS name' });
  if (s.setup?.timezone !== undefined && !timezoneValid(s.setup.timezone)) {
    issues.push({ path: '/spec/setup/timezone', message: `unknown time zone ${shown(s.setup.timezone)}` });
  }
  return issues;
}

/** checkAppDeployment has nothing beyond the schema yet; the AppDeployment issue will add catalog checks. */
export function checkAppDeployment(_obj: Resource<AppDeploymentSpec>): ValidationIssue[] {
  return [];
}

/** semanticChecks maps each kind to its check. */
export const semanticChecks: Record<KindName, (obj: Resource) => ValidationIssue[]> = {
  AppDeployment: (o) => checkAppDeployment(o as unknown as Resource<AppDeploymentSpec>),
  DNSRecord: (o) => checkDNSRecord(o as unknown as Resource<DNSRecordSpec>),
  Server: (o) => checkServer(o as unknown as Resource<ServerSpec>),
};
