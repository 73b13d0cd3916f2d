// `livchat simulate`: serves every simulator on one loopback port and prints their base URLs as one JSON line.
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { startSimCloud } from '../../sim/cloud.js';
import { isLoopback } from '../../net/loopback.js';
import { parseListen } from '../listen.js';

const simulate: CommandFn = async (io, _g, _args, opts) => {
  const { host, port } = parseListen(String(opts.listen));
  if (!isLoopback(host)) throw new CliError(`the simulator listens on loopback only, not ${host}`, EXIT.usage);
  const actionMs = Number(opts.actionDuration ?? 2000);
  if (!Number.isInteger(actionMs) || actionMs < 0) throw new CliError('--action-duration must be a non-negative number of milliseconds', EXIT.usage);
  const sim = await startSimCloud({
    host, port, actionDurationMs: actionMs,
    ...(opts.token ? { token: String(opts.token) } : {}),
    ...(opts.stateFile ? { stateFile: String(opts.stateFile) } : {}),
    zones: (opts.zone as string[] | undefined) ?? [],
  });
  io.stdout.write(JSON.stringify(sim.urls) + '\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => { for (const s of ['SIGTERM', 'SIGINT']) io.signals?.off(s, stop); resolve(); };
    for (const s of ['SIGTERM', 'SIGINT']) io.signals?.on(s, stop);
  });
  await sim.close();
  return EXIT.ok;
};
export default simulate;
