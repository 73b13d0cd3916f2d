// `livchat run [DIR]`: the daemon — watch desired/, reconcile continuously, serve health, metrics and status.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { cloudMode } from '../cloud-mode.js';
import { withStateLock } from '../state-lock.js';
import { takeLease } from '../lease.js';
import { parseDuration } from '../format.js';
import { parseListen } from '../listen.js';
import { resolveStateDir } from '../../config.js';
import { createRuntime } from '../../daemon/compose.js';
import { realClock } from '../../engine/clock.js';
import { watchDesired } from '../../source/watcher.js';
import { startHttp } from '../../http/server.js';
import { isLoopback } from '../../net/loopback.js';
import { secrets } from '../../obs/redact.js';
import { flushLogger } from '../../obs/log.js';
import type { LoadReport } from '../../source/desired-store.js';
import { problemLogEntries } from '../../source/problem-log.js';

const run: CommandFn = async (io, g, args, opts) => {
  const { host, port } = parseListen(String(opts.listen ?? '127.0.0.1:9477'));
  let shutdownMs: number;
  try { shutdownMs = parseDuration(String(opts.shutdownTimeout ?? '30s')); } catch (e) { throw new CliError((e as Error).message, EXIT.usage); }
  let apiToken: string | undefined;
  if (opts.apiTokenFile) {
    apiToken = readFileSync(String(opts.apiTokenFile), 'utf8').trim();
    if (apiToken.length < 16) throw new CliError('the --api-token-file token must be at least 16 characters', EXIT.usage);
    secrets.register(apiToken);
  }
  if (!isLoopback(host) && !apiToken) throw new CliError(`listening on ${host} (not loopback) requires --api-token-file`, EXIT.usage);
  const dir = resolve(io.cwd, args[0] ?? 'desired');
  const rt = await createRuntime({
    dir, stateDir: resolveStateDir(g.stateDir, io.env), env: io.env, cloud: cloudMode(opts),
    logLevel: g.logLevel, logFormat: g.logFormat, logDestination: io.stdout as unknown as NodeJS.WritableStream,
    ...(g.instance ? { instance: g.instance } : {}), ...(g.renameInstance ? { renameInstance: true } : {}),
  });
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
  const http = await startHttp({
    host, port, ...(apiToken ? { apiToken } : {}),
    ready: () => rt.lastLoad.applied !== undefined && manager.ready,
    metrics: async () => ({ contentType: rt.metrics.contentType, body: await rt.metrics.text() }),
    objects: () => rt.store.list(),
    heldDeletions: () => rt.heldDeletions(),
    confirmDeletions: (keys) => rt.confirmDeletions(keys),
    notReadyReason: () => { const h = rt.store.health(); return h.ok ? undefined : `status cannot be written (${h.failed} pending since ${h.since ?? '?'}): ${h.error ?? 'unknown error'}`; },
  });
  log.info({ url: http.url, instance: rt.instance, simulated: rt.endpoints.simulated }, 'livchat daemon listening');
  io.stdout.write(`livchat daemon: instance ${rt.instance}, desired ${dir}, http ${http.url}${rt.sim ? `, simulated cloud ${rt.sim.url}` : ''}\n`);
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

  await new Promise<void>((resolveStop) => {
    const onHup = (): void => {
      try { hup(); } catch (err) { log.error({ err: (err as Error).message }, 'SIGHUP reload failed'); }
    };
    const hup = (): void => {
      // Always re-arms the credential breakers, so a token fixed in the dashboard (same value) is retried.
      if (rt.reloadCredentials()) log.info('provider credentials changed; clients replaced');
      // SIGHUP never confirms held deletions: that is `livchat confirm-deletions`, bound to the exact held set.
      const r = rt.load();
      report(r, 'SIGHUP');
      manager.desiredChanged([...r.added, ...r.updated, ...r.removed]);
      manager.resyncAll(true);
    };
    const onStop = (): void => {
      io.signals?.off('SIGTERM', onStop);
      io.signals?.off('SIGINT', onStop);
      io.signals?.off('SIGHUP', onHup);
      resolveStop();
    };
    io.signals?.on('SIGTERM', onStop);
    io.signals?.on('SIGINT', onStop);
    io.signals?.on('SIGHUP', onHup);
    // Another installation took the instance name over: stop acting at once rather than fight it.
    rt.lease.start((err) => { leaseLost = true; log.error({ instance: rt.instance }, err.message); onStop(); },
      (err) => log.warn({ err: err.message }, 'instance lease refresh failed; retrying at the next interval'));
  });
  log.info({ graceMs: shutdownMs }, 'shutting down: no new work, waiting for in-flight reconciles');
  await watcher.close();
  const drained = await manager.stop(shutdownMs);
  if (!drained) log.warn('in-flight reconciles did not finish in time and were aborted');
  await http.close();
  const flushed = rt.store.flushAll();
  if (!leaseLost) await rt.lease.release().catch((err: Error) => log.warn({ err: err.message }, 'instance lease not released; it expires by itself'));
  await rt.close();
  if (!flushed.ok) log.error({ pending: flushed.failed, err: flushed.error }, 'stopped; status NOT fully flushed: some changes could not be written to disk');
  else log.info('stopped; status flushed');
  await flushLogger(log);
  return flushed.ok && !leaseLost ? EXIT.ok : EXIT.error;
};
export default withStateLock('run', run);
