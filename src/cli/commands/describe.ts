// `livchat describe KIND/NAME`: spec, status, conditions, events and what the object waits on.
import { stringify } from 'yaml';
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { resolveStateDir } from '../../config.js';
import { loadSecrets } from '../secrets.js';
import { describeObject } from '../../ops/objects.js';
import { age, table } from '../format.js';
import { parseRef } from '../ref.js';

const describe: CommandFn = async (io, g, args) => {
  const { kind, name } = parseRef(args[0]!);
  const warning = await loadSecrets(resolveStateDir(g.stateDir, io.env), io.env, io.secrets);
  if (warning) io.stderr.write(warning);
  const found = describeObject(resolveStateDir(g.stateDir, io.env), kind, name, io.secrets);
  if (!found) throw new CliError(`${kind}/${name} not found`, EXIT.error);
  const { state: st, object: obj } = found;
  const status = obj.status as Record<string, unknown> & { conditions: Array<Record<string, string>>; events: Array<Record<string, string | number>> };
  const now = Date.now();
  const lines: string[] = [];
  lines.push(`Name:         ${name}`, `Kind:         ${obj.kind}`, `Generation:   ${st.generation}`);
  if (st.source) lines.push(`Source:       ${st.source.file}:${st.source.line}:${st.source.col}`);
  if (st.owner) lines.push(`Owner:        ${st.owner.kind}/${st.owner.name}`);
  if (st.removed) lines.push('Removed:      the desired object is gone; cleanup follows its deletionPolicy');
  if (status.phase) lines.push(`Phase:        ${String(status.phase)}${status.progress ? ` (${String(status.progress)})` : ''}`);
  if (st.status.waitingOn?.length) lines.push(`Waiting on:   ${st.status.waitingOn.join(', ')}`);
  lines.push('Spec:', indent(stringify(obj.spec)));
  const { conditions, events, ...rest } = status;
  delete rest.phase; delete rest.progress; delete rest.waitingOn;
  lines.push('Status:', indent(stringify(rest)));
  lines.push('Conditions:');
  lines.push(indent(table(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], conditions.map((c) => [c.type!, c.status!, c.reason!, age(c.lastTransitionTime, now), c.message ?? '']))));
  lines.push('Events:');
  lines.push(events.length ? indent(table(['TYPE', 'REASON', 'COUNT', 'LAST SEEN', 'MESSAGE'], events.map((e) => [String(e.type), String(e.reason), String(e.count), age(String(e.lastTimestamp), now), String(e.message)]))) : '  <none>');
  // Source paths, owner and waitingOn come from state unscrubbed: the whole text passes the scrubber once more.
  io.stdout.write(io.secrets.scrub(lines.join('\n').replace(/\n+$/, '') + '\n'));
  return EXIT.ok;
};

function indent(text: string): string {
  return text.replace(/\n$/, '').split('\n').map((l) => `  ${l}`).join('\n');
}
export default describe;
