// `livchat wait KIND/NAME --for=condition=Ready`: parse, then the wait operation (persisted status, current generation).
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { resolveStateDir } from '../../config.js';
import { waitFor } from '../../ops/objects.js';
import { parseDuration } from '../format.js';
import { parseRef } from '../ref.js';
import { realClock } from '../../engine/clock.js';
import { loadSecrets } from '../secrets.js';

const wait: CommandFn = async (io, g, args, opts) => {
  const { kind, name } = parseRef(args[0]!);
  const m = /^condition=([A-Za-z]+)(?:=(True|False|Unknown))?$/i.exec(String(opts.for));
  if (!m) throw new CliError(`invalid --for ${JSON.stringify(opts.for)}: expected condition=NAME[=True|False|Unknown]`, EXIT.usage);
  const type = m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1);
  const want = m[2] ? m[2].charAt(0).toUpperCase() + m[2].slice(1).toLowerCase() : 'True';
  let timeoutMs: number;
  try { timeoutMs = parseDuration(String(opts.timeout)); } catch (e) { throw new CliError((e as Error).message, EXIT.usage); }
  const stateDir = resolveStateDir(g.stateDir, io.env);
  const warning = await loadSecrets(stateDir, io.env, io.secrets);
  if (warning) io.stderr.write(warning);
  const r = await waitFor(stateDir, { kind, name, type, want, timeoutMs }, realClock);
  if (r.met) { io.stdout.write(`${r.state!.key} condition met\n`); return EXIT.ok; }
  const c = r.condition;
  io.stderr.write(io.secrets.scrub(`error: timed out waiting for ${kind}/${name} ${type}=${want}${c ? ` (now ${c.status}: ${c.reason})` : r.state ? '' : ' (not found)'}\n`));
  return EXIT.error;
};
export default wait;
