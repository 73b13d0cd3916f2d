// `livchat validate [DIR]`: one line per problem (FILE:LINE:COL: KIND/NAME: message), or a JSON array.
import { resolve } from 'node:path';
import type { CommandFn } from '../types.js';
import { EXIT } from '../io.js';
import { DesiredStore } from '../../source/desired-store.js';
import { formatProblem, type Problem } from '../../engine/types.js';
import { crossIssues } from '../../crd/cross.js';
import { locate } from '../../source/locate.js';
import { desiredChecks } from '../../daemon/compose.js';

const validate: CommandFn = async (io, _g, args, opts) => {
  const dir = resolve(io.cwd, args[0] ?? 'desired');
  const store = new DesiredStore(dir, { git: false, cwd: io.cwd, kindChecks: desiredChecks });
  const report = store.loadAll();
  // Objects that loaded may still fail against each other (an app on a Server without infrastructure).
  const cross: Problem[] = crossIssues(report.problems.length ? [] : store.list()).map((i) => {
    const src = store.get(i.key)?.source;
    const at = src ? locate(resolve(io.cwd, src.file), i.kind, i.name, i.pointer) : undefined;
    return { file: src?.file ?? dir, line: at?.line ?? src?.line ?? 1, col: at?.col ?? src?.col ?? 1, kind: i.kind, name: i.name, message: `${i.pointer.slice(1).replace(/\//g, '.')}: ${i.message}` };
  });
  const problems = [...report.problems, ...cross];
  if (opts.output === 'json') io.stdout.write(JSON.stringify(problems, null, 2) + '\n');
  else {
    for (const p of problems) io.stdout.write(formatProblem(p) + '\n');
    if (!problems.length) io.stderr.write(`${report.objects} objects in ${report.files} files are valid\n`);
  }
  return problems.length ? EXIT.error : EXIT.ok;
};
export default validate;
