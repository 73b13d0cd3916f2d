// `livchat get [KIND [NAME]]`: a table, or a Kubernetes-style List as JSON or YAML.
import { stringify } from 'yaml';
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { resolveStateDir } from '../../config.js';
import { loadSecrets } from '../secrets.js';
import { getObjects } from '../../ops/objects.js';
import { toList } from '../../store/object-view.js';
import { getCondition, READY, SYNCED } from '../../engine/conditions.js';
import { parseKey } from '../../engine/types.js';
import { age, table } from '../format.js';

const get: CommandFn = async (io, g, args, opts) => {
  const [kind, name] = args;
  const warning = await loadSecrets(resolveStateDir(g.stateDir, io.env), io.env, io.secrets);
  if (warning) io.stderr.write(warning);
  const states = getObjects(resolveStateDir(g.stateDir, io.env), kind, name);
  if (name && states.length === 0) throw new CliError(`${kind}/${name} not found`, EXIT.error);
  const out = opts.output as string | undefined;
  if (out === 'json') { io.stdout.write(JSON.stringify(toList(states, io.secrets), null, 2) + '\n'); return EXIT.ok; }
  if (out === 'yaml') { io.stdout.write(stringify(toList(states, io.secrets))); return EXIT.ok; }
  const now = Date.now();
  const wide = out === 'wide';
  const rows = states.map((s) => {
    const { kind: k, name: n } = parseKey(s.key);
    const ready = getCondition(s.status.conditions, READY);
    const synced = getCondition(s.status.conditions, SYNCED);
    const reason = (ready?.status !== 'True' ? ready?.reason : synced?.status !== 'True' ? synced?.reason : ready?.reason) ?? '';
    const row = [k, n, ready?.status ?? 'Unknown', synced?.status ?? 'Unknown', reason, age(s.createdAt, now)];
    if (wide) row.push(s.owner ? `${s.owner.kind}/${s.owner.name}` : '', s.source ? `${s.source.file}:${s.source.line}` : '', io.secrets.scrub(ready?.message ?? ''));
    return row;
  });
  const headers = ['KIND', 'NAME', 'READY', 'SYNCED', 'REASON', 'AGE', ...(wide ? ['OWNER', 'SOURCE', 'MESSAGE'] : [])];
  if (rows.length === 0) { io.stderr.write('No objects found.\n'); return EXIT.ok; }
  io.stdout.write(io.secrets.scrub(table(headers, rows)));
  return EXIT.ok;
};
export default get;
