// `livchat apply [DIR]`: reconcile until every object is Ready and Synced, or needs a human, or the timeout passes.
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { cloudMode } from '../cloud-mode.js';
import { withStateLock } from '../state-lock.js';
import { takeLease } from '../lease.js';
import { parseDuration } from '../format.js';
import { resolveStateDir } from '../../config.js';
import { openOneShot } from '../../ops/one-shot.js';
import { formatProblem } from '../../engine/types.js';
import { describeState, verdict, type Verdict } from '../../engine/convergence.js';
import { secrets } from '../../obs/redact.js';
import { flushLogger } from '../../obs/log.js';

const apply: CommandFn = async (io, g, args, opts) => {
  let timeoutMs: number;
  try { timeoutMs = parseDuration(String(opts.timeout ?? '10m')); } catch (e) { throw new CliError((e as Error).message, EXIT.usage); }
  const tty = io.stdout.isTTY === true;
  const rt = await openOneShot({
    purpose: 'apply', cwd: io.cwd, ...(args[0] ? { dir: args[0] } : {}), stateDir: resolveStateDir(g.stateDir, io.env), env: io.env,
    cloud: cloudMode(opts), logLevel: g.logLevel, ...(g.logFormat ? { logFormat: g.logFormat } : {}), logDestination: io.stderr as unknown as NodeJS.WritableStream,
    ...(g.instance ? { instance: g.instance } : {}), ...(g.renameInstance ? { renameInstance: true } : {}),
  });
  const { manager: mgr, store } = rt;
  try {
    if (rt.lastLoad.problems.length) {
      for (const p of rt.lastLoad.problems) io.stderr.write(formatProblem(p) + '\n');
      io.stderr.write('error: fix these problems first; nothing was applied\n');
      return EXIT.error;
    }
    await takeLease(rt, 'check');
    const heldNow = rt.heldDeletions();
    if (heldNow.length && opts.confirmDeletions) {
      rt.confirmDeletions(heldNow);
      io.stderr.write(`apply: deleting ${heldNow.length} objects as confirmed: ${heldNow.join(', ')}\n`);
    }
    const held = new Set(rt.heldDeletions());
    if (held.size) io.stderr.write(`apply: ${held.size} objects disappeared at once (half or more of them, or desired/ has no objects left); their deletion is held: ${[...held].join(', ')}. Re-run with --confirm-deletions if that is intended.\n`);
    const seen = new Set<string>();
    const last = new Map<string, string>();
    const keys = (): string[] => [...new Set([...mgr.index.list().map((o) => o.key), ...store.keys()])].filter((k) => mgr.handles(k)).sort();
    const verdicts = (): Map<string, Verdict> => new Map(keys().map((k) => [k,
      held.has(k) ? 'blocked' : seen.has(k) ? verdict(store.get(k), !!mgr.index.get(k), mgr.reasons) : 'progressing']));
    const print = (): void => {
      const v = verdicts();
      if (tty) {
        // Redraw a compact live table in place.
        const rows = [...v].map(([k, s]) => `${s === 'done' ? '✔' : s === 'blocked' ? '✖' : '…'} ${k.padEnd(34)} ${secrets.scrub(describeState(store.get(k)))}`.slice(0, 200));
        io.stdout.write(`\x1b[H\x1b[2J${rows.join('\n')}\n`);
        return;
      }
      for (const [k] of v) {
        const line = secrets.scrub(describeState(store.get(k)));
        if (last.get(k) !== line) { last.set(k, line); io.stdout.write(`${k}: ${line}\n`); }
      }
    };
    const done = new Promise<Verdict[]>((resolveDone) => {
      const check = (): void => {
        const v = [...verdicts().values()];
        if (v.every((x) => x !== 'progressing')) resolveDone(v);
      };
      mgr.onReconciled((key) => { seen.add(key); print(); check(); });
      rt.manager.start();
      check();
    });
    // A referenced timer keeps the process alive while the engine only has (unreferenced) requeue timers.
    let timer: NodeJS.Timeout | undefined;
    // Phases and progress change inside long reconciles (server creation), so redraw periodically too.
    const ticker = setInterval(print, tty ? 500 : 1000);
    const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
    const result = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    clearInterval(ticker);
    await mgr.stop(30_000);
    print();
    const flushed = store.flushAll();
    if (!flushed.ok) {
      io.stderr.write(`apply: ${flushed.failed} status changes could not be written to disk (${flushed.error ?? 'unknown error'})\n`);
      return EXIT.error;
    }
    if (result === 'timeout') {
      io.stderr.write(`apply: timed out after ${String(opts.timeout)}; still converging: ${[...verdicts()].filter(([, v]) => v === 'progressing').map(([k]) => k).join(', ')}\n`);
      return EXIT.notConverged;
    }
    const blocked = [...verdicts()].filter(([, v]) => v === 'blocked').map(([k]) => k);
    if (blocked.length) {
      io.stderr.write(`apply: needs a human: ${blocked.join(', ')} (see livchat describe)\n`);
      return EXIT.notConverged;
    }
    io.stdout.write(`apply: ${keys().length} objects Ready and Synced\n`);
    return EXIT.ok;
  } finally {
    await rt.close();
    await flushLogger(rt.log);
  }
};
export default withStateLock('apply', apply);
