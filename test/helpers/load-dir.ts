// Test helper: one-shot load of a whole desired directory (production reads desired/ through DesiredStore).
import { resolve } from 'node:path';
import type { DesiredObject, Problem } from '../../src/engine/types.js';
import { compareProblems, duplicateProblems, groupByKey } from '../../src/source/duplicates.js';
import { displayFile } from '../../src/source/ignore.js';
import { scanDesired } from '../../src/source/scan.js';
import { loadDesiredFile, type FileLoad, type LoaderOptions } from '../../src/source/yaml-loader.js';

/** DirectoryLoad holds the valid, unique objects and every problem found. */
export interface DirectoryLoad {
  objects: DesiredObject[];
  problems: Problem[];
  files: FileLoad[];
}

/** loadDesiredDirectory loads every desired file under dir; duplicated keys are reported at each place and left out. */
export function loadDesiredDirectory(dir: string, opts: LoaderOptions = {}): DirectoryLoad {
  const root = resolve(dir);
  const dirProblem = (message: string): Problem => ({ file: displayFile(root, opts.cwd), line: 1, col: 1, message });
  let scanned;
  try {
    scanned = scanDesired(root);
  } catch (err) {
    return { objects: [], problems: [dirProblem(`cannot read desired directory: ${(err as Error).message}`)], files: [] };
  }
  const problems = scanned.unreadableDirs.map((u) => ({ ...dirProblem(`cannot read directory: ${u.error}`), file: displayFile(u.dir, opts.cwd) }));
  for (const l of scanned.links) problems.push({ ...dirProblem(l.message), file: displayFile(l.path, opts.cwd) });
  const files = scanned.files.map((f) => loadDesiredFile(f, opts)).filter((f): f is FileLoad => f !== undefined);
  const objects: DesiredObject[] = [];
  for (const f of files) problems.push(...f.problems);
  for (const copies of groupByKey(files.flatMap((f) => f.objects)).values()) {
    if (copies.length === 1) objects.push(copies[0]!);
    else problems.push(...duplicateProblems(copies, false));
  }
  objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { objects, problems: problems.sort(compareProblems), files };
}
