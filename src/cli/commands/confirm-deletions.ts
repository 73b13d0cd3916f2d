// `livchat confirm-deletions [KEY...]`: confirm, on the running daemon, exactly the set of deletions its hold keeps back.
import { readFileSync } from 'node:fs';
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { parseListen } from '../listen.js';
import { isLoopback } from '../../net/loopback.js';
import { DaemonRefused, remoteOps } from '../../ops/daemon-ops.js';

const confirmDeletions: CommandFn = async (io, _g, args, opts) => {
  const { host, port } = parseListen(String(opts.listen ?? '127.0.0.1:9477'));
  if (!isLoopback(host)) throw new CliError(`confirm-deletions talks to a daemon on loopback only, not ${host}`, EXIT.usage);
  let token: string | undefined;
  if (opts.apiTokenFile) {
    token = readFileSync(String(opts.apiTokenFile), 'utf8').trim();
    io.secrets.register(token);
  }
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const ops = remoteOps(base, token);
  let keys = args;
  try {
    if (keys.length === 0) {
      keys = await ops.heldDeletions();
      if (keys.length === 0) { io.stdout.write('no deletions are held\n'); return EXIT.ok; }
    }
    const r = await ops.confirmDeletions(keys);
    if (r.ok) {
      io.stdout.write(`confirmed the deletion of ${r.confirmed.length} objects:\n${r.confirmed.map((k) => `  ${k}\n`).join('')}`);
      return EXIT.ok;
    }
    io.stderr.write(io.secrets.scrub(`error: ${r.message || 'the daemon refused the set'}${r.held.length ? `; held now:\n${r.held.map((k) => `  ${k}`).join('\n')}` : ''}\n`));
    return EXIT.error;
  } catch (err) {
    if (err instanceof DaemonRefused) throw new CliError(err.message);
    throw new CliError(`cannot reach the daemon at ${host}:${port}: ${(err as Error).message}`);
  }
};
export default confirmDeletions;
