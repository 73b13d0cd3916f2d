// Finds where a field of one object sits in its file, for problems found after loading (checks across objects).
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';
import { offsetOf } from './yaml-position.js';

/** locate returns the 1-based line and column of pointer inside the document defining kind/name, or undefined. */
export function locate(path: string, kind: string, name: string, pointer: string): { line: number; col: number } | undefined {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return undefined; }
  const lc = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true })) {
    if (!('contents' in doc)) continue;
    const v = doc.toJS({ maxAliasCount: 100 }) as { kind?: unknown; metadata?: { name?: unknown } } | null;
    if (v?.kind === kind && v.metadata?.name === name) return lc.linePos(offsetOf(doc, pointer));
  }
  return undefined;
}
