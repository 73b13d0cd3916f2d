// The js-yaml fast path must agree with the positional parser, and hand every unusual file to it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fastParse } from '../../src/source/yaml-fast.js';

/** positional returns each non-empty document's value and the 1-based line of its `kind` key, via the yaml package. */
function positional(text: string): Array<{ value: unknown; line: number }> {
  const lc = new LineCounter();
  return parseAllDocuments(text, { lineCounter: lc }).flatMap((d) => {
    const v = d.toJS();
    if (v === null || v === undefined) return [];
    const pair = (d.contents as { items: Array<{ key: { value: string; range: number[] } }> }).items.find((p) => p.key.value === 'kind')!;
    return [{ value: v, line: lc.linePos(pair.key.range[0]!).line }];
  });
}

const samples = readdirSync('desired').map((f) => readFileSync(join('desired', f), 'utf8'));
const multi = `# leading comment
---
apiVersion: livchat.ai/v1alpha1
kind: DNSRecord
metadata: {name: a}
spec: {zone: example.com, name: a, type: TXT, content: "x: y"}
---   # a marker with a comment

---
apiVersion: livchat.ai/v1alpha1
metadata:
  name: b
kind: DNSRecord
spec:
  zone: example.com
  name: b
  type: TXT
  content: |
    ---not a marker inside a block scalar
`;

describe('fastParse', () => {
  it.each([...samples.map((s, i) => [`sample ${i}`, s]), ['multi-document file', multi]])('agrees with the positional parser: %s', (_n, text) => {
    const fast = fastParse(text as string);
    expect(fast).toBeDefined();
    expect(fast!.map((d) => ({ value: d.value, line: d.line }))).toEqual(positional(text as string));
  });

  it.each([
    ['aliases', 'a: &x 1\nkind: K\nb: *x\n'],
    ['custom tags', 'kind: !js/function "f"\n'],
    ['directives', '%YAML 1.2\n---\nkind: K\n'],
    ['duplicate keys', 'kind: A\nkind: B\n'],
    ['syntax errors', 'kind: [unclosed\n'],
    ['content on a marker line', '--- {kind: K}\n'],
    ['a document without a top-level kind line', '{kind: K, a: 1}\n'],
  ])('hands %s to the full parser', (_n, text) => {
    expect(fastParse(text)).toBeUndefined();
  });
});
