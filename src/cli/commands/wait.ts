// `livchat wait KIND/NAME --for=condition=Ready`: polls the persisted status until the condition holds.
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { resolveStateDir } from '../../config.js';
import { selectStates } from './get.js';
import { getCondition } from '../../engine/conditions.js';
import { parseDuration } from '../format.js';
import { parseRef } from '../ref.js';
import { realClock } from '../../engine/clock.js';
import { loadSecrets } from '../secrets.js';
import { secrets } from '../../obs/redact.js';

const wait: CommandFn = async (io, g, args, opts) => {
  const { kind, name } = parseRef(args[0]!);
  const m = /^condition=([A-Za-z]+)(?:=(True|False|Unknown))?$/i.exec(String(opts.for));
  if (!m) throw new CliError(`invalid --for ${JSON.stringify(opts.for)}: expected condition=NAME[=True|False|Unknown]`, EXIT.usage);
  const type = m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1);
  const want = m[2] ? m[2].charAt(0).toUpperCase() + m[2].slice(1).toLowerCase() : 'True';
  let timeoutMs: number;
  try { timeoutMs = parseDuration(String(opts.timeout)); } catch (e) { throw new CliError((e as Error).message, EXIT.usage); }
  const stateDir = resolveStateDir(g.stateDir, io.env);
  const warning = await loadSecrets(stateDir, io.env);
  if (warning) io.stderr.write(warning);
  // Monotonic: a wall-clock step must neither end the wait early nor stretch it.
  const deadline = realClock.monotonic() + timeoutMs;
  for (;;) {
    const [st] = selectStates(stateDir, kind, name);
    const c = st && getCondition(st.status.conditions, type);
    // A condition counts only once it describes the current generation.
    if (st && c && c.status === want && (c.observedGeneration === undefined || c.observedGeneration === st.generation)) {
      io.stdout.write(`${st.key} condition met\n`);
      return EXIT.ok;
    }
    if (realClock.monotonic() >= deadline) {
      io.stderr.write(secrets.scrub(`error: timed out waiting for ${kind}/${name} ${type}=${want}${c ? ` (now ${c.status}: ${c.reason})` : st ? '' : ' (not found)'}\n`));
      return EXIT.error;
    }
    await realClock.sleep(Math.min(500, Math.max(0, deadline - realClock.monotonic())));
  }
};
export default wait;
