// Runs the engine until every object is done or needs a human, or a deadline passes: apply's loop, shared with MCP's wait.
import { verdict, type Verdict } from '../engine/convergence.js';
import type { Runtime } from '../daemon/compose.js';

export interface ConvergeOptions {
  timeoutMs: number;
  /** Keys whose deletion the mass-deletion hold keeps back: they count as blocked. */
  held: ReadonlySet<string>;
  /** Called when one key's verdict or state line may have changed (after each of its reconciles). */
  onReconciled?(key: string): void;
  /** The live verdict map to fill (so a caller can draw progress while it runs). */
  verdicts?: Map<string, Verdict>;
  /** A signal that ends the wait early (the first Ctrl-C), as if it timed out. */
  signal?: AbortSignal;
}

export interface ConvergeResult {
  result: 'converged' | 'timeout';
  verdicts: Map<string, Verdict>;
}

/**
 * converge starts the manager and follows verdicts incrementally: each reconcile recomputes only its own key, so the
 * cost per reconcile stays constant however many objects there are. Keys not reconciled yet count as progressing.
 */
export async function converge(rt: Runtime, o: ConvergeOptions): Promise<ConvergeResult> {
  const mgr = rt.manager;
  const seen = new Set<string>();
  const verdicts = o.verdicts ?? new Map<string, Verdict>();
  let progressing = 0;
  const set = (k: string, v: Verdict): void => {
    const before = verdicts.get(k);
    if (before === v) return;
    if (before === 'progressing') progressing--;
    if (v === 'progressing') progressing++;
    verdicts.set(k, v);
  };
  const judge = (k: string): Verdict => o.held.has(k) ? 'blocked' : seen.has(k) ? verdict(rt.store.get(k), !!mgr.index.get(k), mgr.reasons) : 'progressing';
  for (const k of new Set([...mgr.index.list().map((x) => x.key), ...rt.store.keys()])) if (mgr.handles(k)) set(k, judge(k));
  let timer: NodeJS.Timeout | undefined;
  const result = await new Promise<'converged' | 'timeout'>((resolveDone) => {
    const finish = (r: 'converged' | 'timeout'): void => { clearTimeout(timer); o.signal?.removeEventListener('abort', onAbort); resolveDone(r); };
    const onAbort = (): void => finish('timeout');
    mgr.onReconciled((key) => {
      if (!mgr.handles(key)) return;
      seen.add(key);
      // A derived object appears only when its owner reconciles: it joins the set then.
      set(key, judge(key));
      o.onReconciled?.(key);
      if (progressing === 0) finish('converged');
    });
    // A referenced timer keeps the process alive while the engine only has (unreferenced) requeue timers.
    timer = setTimeout(() => finish('timeout'), o.timeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    mgr.start();
    if (progressing === 0) finish('converged');
  });
  return { result, verdicts };
}
