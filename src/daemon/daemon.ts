// The daemon's run loop: load, lease, HTTP, watcher, SIGHUP reload, and the ordered shutdown; never exits the process.
import { createRuntime, type Runtime, type RuntimeOptions } from './compose.js';
import { takeLease } from './take-lease.js';
import { realClock } from '../engine/clock.js';
import { watchDesired } from '../source/watcher.js';
import { startHttp } from '../http/server.js';
import { flushLogger } from '../obs/log.js';
import type { LoadReport } from '../source/desired-store.js';
import { problemLogEntries } from '../source/problem-log.js';
import { localOps, type DaemonOps } from '../ops/daemon-ops.js';

/** SignalSource is what the daemon listens to (process in production; tests pass an EventEmitter). */
export interface SignalSource {
  on(sig: string, fn: () => void): unknown;
  off(sig: string, fn: () => void): unknown;
}

export interface DaemonOptions {
  runtime: RuntimeOptions;
  host: string;
  port: number;
  apiToken?: string;
  /** How long in-flight reconciles may finish on stop. */
  shutdownMs: number;
  /** SIGTERM/SIGINT request a stop (see `stopped`); SIGHUP reloads. */
  signals?: SignalSource;
}

/** Why the daemon asked to stop: a signal (or stop()) or a lost instance lease. */
export type StopCause = 'signal' | 'leaseLost';

export interface Daemon {
  readonly url: string;
  readonly runtime: Runtime;
  /** The operations of this daemon, in-process (what its HTTP API serves). */
  readonly ops: DaemonOps;
  /** Resolves when a stop was requested (a signal, or the lease was taken over); call stop() then. */
  readonly stopped: Promise<StopCause>;
  /** reload does what SIGHUP does: re-arm credentials, re-read desired/ in full, resync every object. */
  reload(): void;
  /** stop shuts down in order (watcher, manager, HTTP, status flush, lease, runtime) and tells whether all went well. */
  stop(): Promise<{ ok: boolean; flushed: boolean; leaseLost: boolean }>;
}

/** startDaemon assembles the runtime and starts it; a startup failure (e.g. a lease conflict) closes what it opened and throws. */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const dir = o.runtime.dir;
  const rt = await createRuntime(o.runtime);
  const { log, manager } = rt;
  const report = (r: LoadReport, why: string): void => {
    // Problems are logged when they change, capped per file: one huge broken file must not flood every reload.
    for (const e of problemLogEntries(r.problemChanges)) {
      if (e.count === 0) log.info({ file: e.file }, 'desired file problems resolved');
      else log.error({ file: e.file, count: e.count, problems: e.problems, ...(e.omitted ? { omitted: e.omitted } : {}) }, 'desired file problems; the last good versions of its objects stay in force');
    }
    if (!r.applied) log.error({ dir }, 'desired directory was not loaded (missing, unreadable or emptied); nothing is removed');
    log.info({ why, objects: r.objects, files: r.files, added: r.added.length, updated: r.updated.length, removed: r.removed.length, revision: r.revision }, 'desired state loaded');
    rt.metrics.desiredParseErrors.inc(r.problemChanges.reduce((n, c) => n + c.problems.length, 0));
    const idle = rt.desired.list().filter((o) => !manager.handles(o.key)).map((o) => o.key);
    if (idle.length) log.warn({ objects: idle }, 'these kinds have no controller in this version; they are validated but not reconciled');
  };
  report(rt.lastLoad, 'start');
  try { await takeLease(rt); } catch (err) { await rt.close(); throw err; }
  let leaseLost = false;
  const ops = localOps(rt);
  const http = await startHttp({
    host: o.host, port: o.port, ...(o.apiToken ? { apiToken: o.apiToken } : {}),
    ready: () => rt.lastLoad.applied !== undefined && manager.ready,
    metrics: async () => ({ contentType: rt.metrics.contentType, body: await rt.metrics.text() }),
    objects: () => rt.store.list(),
    secrets: rt.secrets,
    heldDeletions: () => rt.heldDeletions(),
    confirmDeletions: (keys) => rt.confirmDeletions(keys),
    enqueueNow: (key) => ops.enqueueNow(key),
    notReadyReason: () => { const h = rt.store.health(); return h.ok ? undefined : `status cannot be written (${h.failed} pending since ${h.since ?? '?'}): ${h.error ?? 'unknown error'}`; },
  });
  log.info({ url: http.url, instance: rt.instance, simulated: rt.endpoints.simulated }, 'livchat daemon listening');
  manager.start();
  const watcher = watchDesired(dir, {
    clock: realClock,
    onBatch: (files) => {
      const r = rt.reload(files);
      report(r, 'change');
      manager.desiredChanged([...r.added, ...r.updated, ...r.removed]);
    },
    onError: (err) => log.warn({ err: err.message }, 'desired watcher'),
  });

  const reload = (): void => {
    // Always re-arms the credential breakers, so a token fixed in the dashboard (same value) is retried.
    if (rt.reloadCredentials()) log.info('provider credentials changed; clients replaced');
    // SIGHUP never confirms held deletions: that is `livchat confirm-deletions`, bound to the exact held set.
    const r = rt.load();
    report(r, 'SIGHUP');
    manager.desiredChanged([...r.added, ...r.updated, ...r.removed]);
    manager.resyncAll(true);
  };
  const onHup = (): void => {
    try { reload(); } catch (err) { log.error({ err: (err as Error).message }, 'SIGHUP reload failed'); }
  };
  let requestStop!: (cause: StopCause) => void;
  const stopped = new Promise<StopCause>((resolveStop) => {
    requestStop = (cause) => {
      o.signals?.off('SIGTERM', onSignal);
      o.signals?.off('SIGINT', onSignal);
      o.signals?.off('SIGHUP', onHup);
      resolveStop(cause);
    };
  });
  const onSignal = (): void => requestStop('signal');
  o.signals?.on('SIGTERM', onSignal);
  o.signals?.on('SIGINT', onSignal);
  o.signals?.on('SIGHUP', onHup);
  // Another installation took the instance name over: stop acting at once rather than fight it.
  rt.lease.start((err) => { leaseLost = true; log.error({ instance: rt.instance }, err.message); requestStop('leaseLost'); },
    (err) => log.warn({ err: err.message }, 'instance lease refresh failed; retrying at the next interval'));

  let stopping: Promise<{ ok: boolean; flushed: boolean; leaseLost: boolean }> | undefined;
  const stop = async (): Promise<{ ok: boolean; flushed: boolean; leaseLost: boolean }> => {
    requestStop('signal');
    log.info({ graceMs: o.shutdownMs }, 'shutting down: no new work, waiting for in-flight reconciles');
    await watcher.close();
    const drained = await manager.stop(o.shutdownMs);
    if (!drained) log.warn('in-flight reconciles did not finish in time and were aborted');
    await http.close();
    const flushed = rt.store.flushAll();
    if (!leaseLost) await rt.lease.release().catch((err: Error) => log.warn({ err: err.message }, 'instance lease not released; it expires by itself'));
    await rt.close();
    if (!flushed.ok) log.error({ pending: flushed.failed, err: flushed.error }, 'stopped; status NOT fully flushed: some changes could not be written to disk');
    else log.info('stopped; status flushed');
    await flushLogger(log);
    return { ok: flushed.ok && !leaseLost, flushed: flushed.ok, leaseLost };
  };
  return { url: http.url, runtime: rt, ops, stopped, reload, stop: () => (stopping ??= stop()) };
}
