import { it } from 'vitest';
import { parseAllDocuments, LineCounter } from 'yaml';
import { check } from '../../src/crd/registry.js';
import { parseDesiredText } from '../../src/source/yaml-loader.js';
const record = (name: string, content: string): string =>
  `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: ${name}\nspec:\n  zone: example.com\n  name: ${name}\n  type: TXT\n  content: "${content}"\n`;
it('prof', () => {
  const texts = Array.from({ length: 1000 }, (_, f) => Array.from({ length: 10 }, (_, i) => record(`r-${f}-${i}`, `v ${f} ${i}`)).join('---\n'));
  let t = performance.now();
  const all: any[] = [];
  for (const tx of texts) { const lc = new LineCounter(); all.push(...parseAllDocuments(tx, { lineCounter: lc, schema: 'core', uniqueKeys: true, strict: true, stringKeys: true, prettyErrors: false } as any) as any); }
  console.log('parse', performance.now() - t); t = performance.now();
  const js = all.map((d) => d.toJS({ maxAliasCount: 100 }));
  console.log('toJS', performance.now() - t); t = performance.now();
  for (const o of js) check(o);
  console.log('check', performance.now() - t); t = performance.now();
  for (const o of js) structuredClone(o);
  console.log('clone', performance.now() - t); t = performance.now();
  for (const tx of texts) parseDesiredText(tx, '/x/a.yaml');
  console.log('full', performance.now() - t); t = performance.now();
});
