// Reading --simulate and --sim into a cloud mode, shared by plan, apply and run.
import { CliError, EXIT } from './io.js';
import type { CloudMode } from '../daemon/credentials.js';
import { isLoopback } from '../net/loopback.js';

/** cloudMode maps the flags; --sim must point at a loopback simulator. */
export function cloudMode(opts: Record<string, unknown>): CloudMode {
  if (opts.simulate && opts.sim) throw new CliError('use either --simulate or --sim, not both', EXIT.usage);
  if (opts.simulate) return { mode: 'simulate' };
  if (typeof opts.sim === 'string') {
    let url: URL;
    try { url = new URL(opts.sim); } catch { throw new CliError(`invalid --sim URL ${JSON.stringify(opts.sim)}`, EXIT.usage); }
    if (!isLoopback(url.hostname)) throw new CliError(`--sim must be a loopback URL, not ${url.hostname}`, EXIT.usage);
    return { mode: 'sim', url: url.origin };
  }
  return { mode: 'real' };
}
