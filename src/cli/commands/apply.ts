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
import { describeState, type Verdict } from '../../engine/convergence.js';
import { converge } from '../../ops/converge.js';
import { flushLogger } from '../../obs/log.js';

const apply: CommandFn = async (io, g, args, opts) => {
  let timeoutMs: number;
  try { timeoutMs = parseDuration(String(opts.timeout ?? '10m')); } catch (e) { throw new CliError((e as Error).message, EXIT.usage); }
  const tty = io.stdout.isTTY === true;
  const rt = await openOneShot({
    secrets: io.secrets,
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
    const last = new Map<string, string>();
    const verdicts = new Map<string, Verdict>();
    const line = (k: string): string => io.secrets.scrub(describeState(store.get(k)));
    const mark = (v: Verdict | undefined): string => (v === 'done' ? '✔' : v === 'blocked' ? '✖' : '…');
    const print = (): void => {
      if (tty) {
        // Redraw a compact live table in place.
        const rows = [...verdicts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${mark(v)} ${k.padEnd(34)} ${line(k)}`.slice(0, 200));
        io.stdout.write(`\x1b[H\x1b[2J${rows.join('\n')}\n`);
        return;
      }
      for (const k of [...verdicts.keys()].sort()) printOne(k);
    };
    const printOne = (k: string): void => {
      const l = line(k);
      if (last.get(k) !== l) { last.set(k, l); io.stdout.write(`${k}: ${l}\n`); }
    };
    // Phases and progress change inside long reconciles (server creation), so redraw periodically too.
    const ticker = setInterval(print, tty ? 500 : 1000);
    const { result } = await converge(rt, { timeoutMs, held, verdicts, onReconciled: (k) => { if (!tty) printOne(k); } });
    clearInterval(ticker);
    await mgr.stop(30_000);
    print();
    const flushed = store.flushAll();
    if (!flushed.ok) {
      io.stderr.write(`apply: ${flushed.failed} status changes could not be written to disk (${flushed.error ?? 'unknown error'})\n`);
      return EXIT.error;
    }
    if (result === 'timeout') {
      io.stderr.write(`apply: timed out after ${String(opts.timeout)}; still converging: ${[...verdicts].filter(([, v]) => v === 'progressing').map(([k]) => k).sort().join(', ')}\n`);
      return EXIT.notConverged;
    }
    const blocked = [...verdicts].filter(([, v]) => v === 'blocked').map(([k]) => k).sort();
    if (blocked.length) {
      io.stderr.write(`apply: needs a human: ${blocked.join(', ')} (see livchat describe)\n`);
      return EXIT.notConverged;
    }
    io.stdout.write(`apply: ${verdicts.size} objects Ready and Synced\n`);
    return EXIT.ok;
  } finally {
    await rt.close();
    await flushLogger(rt.log);
  }
};
export default withStateLock('apply', apply);
