// Which Server an object names (DNSRecord contentFrom.server, AppDeployment server): the references the desired writer checks.
import type { DesiredObject } from '../engine/types.js';

/** serverRefs lists the Server names an object refers to. */
export function serverRefs(o: DesiredObject): string[] {
  const spec = (o.object.spec ?? {}) as { server?: unknown; contentFrom?: { server?: unknown } };
  const out: string[] = [];
  if (o.object.kind === 'DNSRecord' && typeof spec.contentFrom?.server === 'string') out.push(spec.contentFrom.server);
  if (o.object.kind === 'AppDeployment' && typeof spec.server === 'string') out.push(spec.server);
  return out;
}
