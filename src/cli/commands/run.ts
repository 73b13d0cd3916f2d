// `livchat run [DIR]`: parse flags, start the daemon (src/daemon/daemon.ts), wait for a stop signal, map the result to an exit code.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { cloudMode } from '../cloud-mode.js';
import { withStateLock } from '../state-lock.js';
import { parseDuration } from '../format.js';
import { parseListen } from '../listen.js';
import { resolveStateDir } from '../../config.js';
import { startDaemon } from '../../daemon/daemon.js';
import { LeaseConflictError } from '../../daemon/lease.js';
import { isLoopback } from '../../net/loopback.js';

const run: CommandFn = async (io, g, args, opts) => {
  const { host, port } = parseListen(String(opts.listen ?? '127.0.0.1:9477'));
  let shutdownMs: number;
  try { shutdownMs = parseDuration(String(opts.shutdownTimeout ?? '30s')); } catch (e) { throw new CliError((e as Error).message, EXIT.usage); }
  let apiToken: string | undefined;
  if (opts.apiTokenFile) {
    apiToken = readFileSync(String(opts.apiTokenFile), 'utf8').trim();
    if (apiToken.length < 16) throw new CliError('the --api-token-file token must be at least 16 characters', EXIT.usage);
    io.secrets.register(apiToken);
  }
  if (!isLoopback(host) && !apiToken) throw new CliError(`listening on ${host} (not loopback) requires --api-token-file`, EXIT.usage);
  const dir = resolve(io.cwd, args[0] ?? 'desired');
  let daemon;
  try {
    daemon = await startDaemon({
      runtime: {
        dir, stateDir: resolveStateDir(g.stateDir, io.env), env: io.env, cloud: cloudMode(opts), secrets: io.secrets,
        logLevel: g.logLevel, logFormat: g.logFormat, logDestination: io.stdout as unknown as NodeJS.WritableStream,
        ...(g.instance ? { instance: g.instance } : {}), ...(g.renameInstance ? { renameInstance: true } : {}),
      },
      host, port, shutdownMs, ...(apiToken ? { apiToken } : {}), ...(io.signals ? { signals: io.signals } : {}),
    });
  } catch (err) {
    if (err instanceof LeaseConflictError) throw new CliError(err.message, EXIT.error);
    throw err;
  }
  const rt = daemon.runtime;
  io.stdout.write(`livchat daemon: instance ${rt.instance}, desired ${dir}, http ${daemon.url}${rt.sim ? `, simulated cloud ${rt.sim.url}` : ''}\n`);
  await daemon.stopped;
  const result = await daemon.stop();
  return result.ok ? EXIT.ok : EXIT.error;
};
export default withStateLock('run', run);
