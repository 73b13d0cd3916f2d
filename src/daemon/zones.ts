// Zones named by desired objects, used to seed the embedded simulator.
import type { DesiredObject } from '../engine/types.js';

/** desiredZones lists the DNS zones the desired objects use (DNSRecord zones and Server dns zones). */
export function desiredZones(objects: DesiredObject[]): string[] {
  const zones = new Set<string>();
  for (const o of objects) {
    const spec = o.object.spec as { zone?: unknown; dns?: { zone?: unknown } };
    if (o.object.kind === 'DNSRecord' && typeof spec.zone === 'string') zones.add(spec.zone.toLowerCase().replace(/\.$/, ''));
    if (o.object.kind === 'Server' && typeof spec.dns?.zone === 'string') zones.add(spec.dns.zone.toLowerCase().replace(/\.$/, ''));
  }
  return [...zones].sort();
}
