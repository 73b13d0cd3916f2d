// Finds objects defined more than once across the desired files and words the problem for every copy.
import type { DesiredObject, Problem } from '../engine/types.js';
import { parseKey } from '../engine/types.js';

/** groupByKey collects candidates per key, keeping their order. */
export function groupByKey(candidates: Iterable<DesiredObject>): Map<string, DesiredObject[]> {
  const groups = new Map<string, DesiredObject[]>();
  for (const c of candidates) {
    const g = groups.get(c.key);
    if (g) g.push(c);
    else groups.set(c.key, [c]);
  }
  return groups;
}

const where = (o: DesiredObject): string => (o.source ? `${o.source.file}:${o.source.line}:${o.source.col}` : '(unknown)');

/** duplicateProblems reports a duplicated key at every place it is defined; keptPrevious says an older version stays in force. */
export function duplicateProblems(copies: DesiredObject[], keptPrevious: boolean): Problem[] {
  const { kind, name } = parseKey(copies[0]!.key);
  const tail = keptPrevious ? 'neither copy is applied; the version already in force stays' : 'neither copy is applied';
  return copies.map((c) => ({
    file: c.source?.file ?? '',
    line: c.source?.line ?? 1,
    col: c.source?.col ?? 1,
    kind,
    name,
    message: `defined more than once (also at ${copies.filter((o) => o !== c).map(where).join(', ')}); ${tail}`,
  }));
}

/** compareProblems orders problems by file, line and column. */
export function compareProblems(a: Problem, b: Problem): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}
