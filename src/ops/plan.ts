// The plan operation: what every object would do, with removal graces and holds noted; writes nothing.
import type { Runtime } from '../daemon/compose.js';
import type { PlanItem } from '../engine/reconciler.js';
import { planAll } from '../engine/plan.js';

/** The manager parts the removal notes read. */
interface RemovalView {
  heldDeletions(): string[];
  index: { get(key: string): unknown };
  removalRemainingMs(key: string): number;
}

/** seconds renders a remaining grace for people. */
const seconds = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${Math.ceil(ms / 1000)}s`);

/** annotateRemovals adds to each deletion its remaining removal grace (the daemon waits it out) or its hold. */
export function annotateRemovals(items: PlanItem[], mgr: RemovalView): PlanItem[] {
  const held = new Set(mgr.heldDeletions());
  return items.map((it) => {
    if (it.action !== 'delete' || mgr.index.get(it.key)) return it;
    const note = held.has(it.key)
      ? 'deletion held with a mass deletion: confirm with `livchat confirm-deletions` (apply: --confirm-deletions), or restore the file'
      : `pending removal: the daemon deletes after its grace, ${seconds(mgr.removalRemainingMs(it.key))} remaining; apply deletes at once`;
    return { ...it, message: it.message ? `${it.message}; ${note}` : note };
  });
}

/** plan returns every object's plan item (problems in desired/ come first: the caller shows them instead). */
export async function plan(rt: Runtime, signal: AbortSignal = new AbortController().signal): Promise<PlanItem[]> {
  return annotateRemovals(await planAll(rt.manager, rt.reconcilers, rt.instance, signal), rt.manager);
}
