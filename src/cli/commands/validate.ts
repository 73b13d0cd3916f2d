// `livchat validate [DIR]`: one line per problem (FILE:LINE:COL: KIND/NAME: message), or a JSON array.
import { resolve } from 'node:path';
import type { CommandFn } from '../types.js';
import { EXIT } from '../io.js';
import { DesiredStore } from '../../source/desired-store.js';
import { formatProblem } from '../../engine/types.js';

const validate: CommandFn = async (io, _g, args, opts) => {
  const dir = resolve(io.cwd, args[0] ?? 'desired');
  const report = new DesiredStore(dir, { git: false, cwd: io.cwd }).loadAll();
  const problems = report.problems;
  if (opts.output === 'json') io.stdout.write(JSON.stringify(problems, null, 2) + '\n');
  else {
    for (const p of problems) io.stdout.write(formatProblem(p) + '\n');
    if (!problems.length) io.stderr.write(`${report.objects} objects in ${report.files} files are valid\n`);
  }
  return problems.length ? EXIT.error : EXIT.ok;
};
export default validate;
