// Checks across objects that one file alone cannot settle: an AppDeployment needs a Server with infrastructure.
import { objectKey, type DesiredObject } from '../engine/types.js';

/** CrossIssue is a problem of one object, at a JSON pointer inside it. */
export interface CrossIssue { key: string; kind: string; name: string; pointer: string; message: string }

/** crossIssues checks every object's references against the other desired objects. */
export function crossIssues(objects: readonly DesiredObject[]): CrossIssue[] {
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const out: CrossIssue[] = [];
  for (const o of objects) {
    if (o.object.kind !== 'AppDeployment') continue;
    const server = String((o.object.spec as { server?: unknown }).server);
    const target = byKey.get(objectKey('Server', server));
    const base = { key: o.key, kind: o.object.kind, name: o.object.metadata.name, pointer: '/spec/server' };
    if (!target) out.push({ ...base, message: `no Server named ${JSON.stringify(server)} in the desired files` });
    else if (!(target.object.spec as { infrastructure?: unknown }).infrastructure) {
      out.push({ ...base, message: `Server ${server} has no spec.infrastructure (Traefik and Portainer); add it, e.g. infrastructure: {acmeEmail: you@example.com}` });
    }
  }
  return out;
}
