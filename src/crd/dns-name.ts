// DNS name rules shared by validation and the DNS controller: record names relative to a zone, hostnames.
import { isIP } from 'node:net';

const LABEL = /^[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?$/;

/** ResolvedName is the outcome of resolving a record name against its zone. */
export type ResolvedName = { fqdn: string; error?: undefined } | { fqdn?: undefined; error: string };

/**
 * resolveRecordName turns a record name into a lowercase FQDN without a trailing dot.
 * "@" is the apex; a trailing dot makes a name absolute; a name that already ends in the zone is taken as an FQDN;
 * anything else is relative to the zone (so "n8n.prod" in example.com is n8n.prod.example.com).
 */
export function resolveRecordName(zone: string, name: string): ResolvedName {
  const z = zone.toLowerCase().replace(/\.$/, '');
  const n = name.toLowerCase();
  let fqdn: string;
  if (n === '@') fqdn = z;
  else if (n.endsWith('.')) {
    const abs = n.slice(0, -1);
    if (abs !== z && !abs.endsWith(`.${z}`)) return { error: `${JSON.stringify(name)} is outside zone ${z}` };
    fqdn = abs;
  } else if (n === z || n.endsWith(`.${z}`)) fqdn = n;
  else fqdn = `${n}.${z}`;
  if (fqdn.length > 253) return { error: `the full name ${fqdn} is longer than 253 characters` };
  return { fqdn };
}

/** isHostname accepts a lowercase-insensitive DNS hostname with at least two labels and an optional trailing dot; IP addresses are not hostnames. */
export function isHostname(value: string): boolean {
  const v = value.toLowerCase().replace(/\.$/, '');
  if (v.length === 0 || v.length > 253 || isIP(v) !== 0) return false;
  const labels = v.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^[0-9]+$/.test(labels[labels.length - 1]!);
}
