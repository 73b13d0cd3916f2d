// `livchat plan [DIR]`: what would change per object, with field diffs and server change classes; writes nothing.
import type { CommandFn } from '../types.js';
import { EXIT } from '../io.js';
import { cloudMode } from '../cloud-mode.js';
import { resolveStateDir } from '../../config.js';
import { openOneShot } from '../../ops/one-shot.js';
import { plan as planOp } from '../../ops/plan.js';
import { formatProblem } from '../../engine/types.js';
import type { PlanItem } from '../../engine/reconciler.js';
import type { SecretRegistry } from '../../obs/redact.js';

const SIGN: Record<string, string> = { create: '+', update: '~', delete: '-', conflict: '!', blocked: '!', 'no-op': ' ' };

/** renderPlan prints one block per object and a summary line. */
export function renderPlan(items: PlanItem[], secrets: SecretRegistry): string {
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

const plan: CommandFn = async (io, g, args, opts) => {
  const rt = await openOneShot({
    secrets: io.secrets,
    purpose: 'plan', cwd: io.cwd, ...(args[0] ? { dir: args[0] } : {}), stateDir: resolveStateDir(g.stateDir, io.env), env: io.env,
    cloud: cloudMode(opts), logLevel: g.logLevel, ...(g.logFormat ? { logFormat: g.logFormat } : {}), logDestination: io.stderr as unknown as NodeJS.WritableStream,
    ...(g.instance ? { instance: g.instance } : {}),
  });
  try {
    const problems = rt.lastLoad.problems;
    if (problems.length) {
      for (const p of problems) io.stderr.write(formatProblem(p) + '\n');
      return EXIT.error;
    }
    const items = await planOp(rt);
    io.stdout.write(renderPlan(items, io.secrets));
    return items.some((i) => i.action !== 'no-op') ? EXIT.changes : EXIT.ok;
  } finally {
    await rt.close();
  }
};
export default plan;
