// Planning: ask every controller what it would do for every known object, with zero writes anywhere.
import type { Manager } from './manager.js';
import type { PlanItem, Reconciler } from './reconciler.js';
import { parseKey } from './types.js';
import { dependencyReader } from './depend.js';

/** planAll walks desired and persisted objects and collects each controller's plan; nothing is written. */
export async function planAll(mgr: Manager, reconcilers: Reconciler[], instance: string, signal: AbortSignal): Promise<PlanItem[]> {
  const byKind = new Map(reconcilers.map((r) => [r.kind, r]));
  const keys = new Set([...mgr.index.list().map((o) => o.key), ...mgr.store.keys()]);
  const out: PlanItem[] = [];
  for (const key of [...keys].sort()) {
    const r = byKind.get(parseKey(key).kind);
    const desired = mgr.index.get(key);
    const st = mgr.store.get(key);
    const object = desired?.object ?? st?.last;
    if (!r?.plan || !object) continue;
    const generation = st && desired && st.specHash !== desired.specHash ? st.generation + 1 : st?.generation ?? 1;
    try {
      out.push(await r.plan({
        key, desired, object, generation, signal, instance,
        internal: st?.internal ?? {}, status: st?.status,
        ...dependencyReader((k) => {
          const d = mgr.index.get(k);
          const s = mgr.store.get(k);
          return { exists: !!d, ...(s ? { status: s.status } : {}), ...(d ? { object: d.object } : {}) };
        }),
      }));
    } catch (err) {
      out.push({ key, action: 'blocked', message: (err as Error).message });
    }
  }
  return out;
}
