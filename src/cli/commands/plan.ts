// `livchat plan [DIR]`: what would change per object, with field diffs and server change classes; writes nothing.
import { resolve } from 'node:path';
import type { CommandFn } from '../types.js';
import { EXIT } from '../io.js';
import { cloudMode } from '../cloud-mode.js';
import { resolveStateDir } from '../../config.js';
import { createRuntime } from '../../daemon/compose.js';
import { planAll } from '../../engine/plan.js';
import { formatProblem } from '../../engine/types.js';
import type { PlanItem } from '../../engine/reconciler.js';
import type { Manager } from '../../engine/manager.js';
import { secrets } from '../../obs/redact.js';

const SIGN: Record<string, string> = { create: '+', update: '~', delete: '-', conflict: '!', blocked: '!', 'no-op': ' ' };

/** renderPlan prints one block per object and a summary line. */
export function renderPlan(items: PlanItem[]): string {
  const lines: string[] = [];
  for (const it of items) {
    if (it.action === 'no-op') continue;
    lines.push(`${SIGN[it.action]} ${it.key}: ${it.action}${it.changeClass ? ` (${it.changeClass})` : ''}${it.message ? ` — ${it.message}` : ''}`);
    for (const c of it.changes ?? []) {
      const from = c.from === undefined ? '' : `${JSON.stringify(c.from)} → `;
      lines.push(`      ${c.field}: ${from}${JSON.stringify(c.to)}`);
    }
  }
  const n = (a: string): number => items.filter((i) => i.action === a).length;
  lines.push(`Plan: ${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('conflict')} conflicts, ${n('blocked')} blocked, ${n('no-op')} unchanged.`);
  return secrets.scrub(lines.join('\n')) + '\n';
}

/** seconds renders a remaining grace for people. */
const seconds = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${Math.ceil(ms / 1000)}s`);

/** annotateRemovals adds to each deletion its remaining removal grace (the daemon waits it out) or its hold. */
export function annotateRemovals(items: PlanItem[], mgr: Manager): PlanItem[] {
  const held = new Set(mgr.heldDeletions());
  return items.map((it) => {
    if (it.action !== 'delete' || mgr.index.get(it.key)) return it;
    const note = held.has(it.key)
      ? 'deletion held with a mass deletion: confirm with `livchat confirm-deletions` (apply: --confirm-deletions), or restore the file'
      : `pending removal: the daemon deletes after its grace, ${seconds(mgr.removalRemainingMs(it.key))} remaining; apply deletes at once`;
    return { ...it, message: it.message ? `${it.message}; ${note}` : note };
  });
}

const plan: CommandFn = async (io, g, args, opts) => {
  const rt = await createRuntime({
    dir: resolve(io.cwd, args[0] ?? 'desired'), stateDir: resolveStateDir(g.stateDir, io.env), env: io.env,
    cloud: cloudMode(opts), logLevel: g.logLevel === 'info' ? 'warn' : g.logLevel, logFormat: g.logFormat, logDestination: io.stderr as unknown as NodeJS.WritableStream,
    ...(g.instance ? { instance: g.instance } : {}),
    readOnly: true,
  });
  try {
    const problems = rt.lastLoad.problems;
    if (problems.length) {
      for (const p of problems) io.stderr.write(formatProblem(p) + '\n');
      return EXIT.error;
    }
    const items = annotateRemovals(await planAll(rt.manager, rt.reconcilers, rt.instance, new AbortController().signal), rt.manager);
    io.stdout.write(renderPlan(items));
    return items.some((i) => i.action !== 'no-op') ? EXIT.changes : EXIT.ok;
  } finally {
    await rt.close();
  }
};
export default plan;
