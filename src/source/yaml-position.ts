// Maps a JSON Pointer inside a parsed YAML document to the source offset a human should look at.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { toSegments } from '../crd/pointer.js';

const start = (node: { range?: readonly number[] | null } | null | undefined): number | undefined => node?.range?.[0];

/**
 * offsetOf walks the document along pointer and returns the offset of the deepest field that exists:
 * the key of a mapping entry (so an unknown field points at itself, a missing one at its parent's key),
 * or the item of a list. Aliases are followed, so at most one step per path segment is taken.
 */
export function offsetOf(doc: Document, pointer: string): number {
  let node: unknown = doc.contents;
  let offset = start(doc.contents as Node | null) ?? 0;
  for (const segment of toSegments(pointer)) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) break;
      offset = start(pair.key as Node) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (!/^[0-9]+$/.test(segment) || item === undefined) break;
      offset = start(item as Node) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
