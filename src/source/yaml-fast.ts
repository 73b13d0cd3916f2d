// Fast path for well-formed desired files: js-yaml without aliases or tags, falling back to the positional parser on any doubt.
import jsyaml from 'js-yaml';

/** FastDoc is one non-empty document with the position of its `kind` key (1-based). */
export interface FastDoc { value: unknown; line: number; col: number }

// Anything beyond plain block/flow YAML (directives, end markers, content on a `---` line, anything that may be an
// anchor, alias or tag) takes the full parser, which bounds alias expansion and rejects custom tags with positions.
const UNUSUAL = /^(%|\.\.\.)|^---[ \t]*[^\s#]|(^|[\s,[{:-])[&*!][^\s]/m;
const MARKER = /^---[ \t]*(#.*)?$/;
const KIND = /^kind[ \t]*:/;

/**
 * fastParse returns the documents of `text`, or undefined when the text needs the full parser (aliases, tags,
 * directives, duplicate keys, syntax errors, a document without a top-level `kind:` line): that parser then reports
 * every problem with its exact position. Both parsers use the YAML 1.2 core schema.
 */
export function fastParse(text: string): FastDoc[] | undefined {
  if (UNUSUAL.test(text)) return undefined;
  const lines = text.split('\n');
  const docs: FastDoc[] = [];
  let startLine = 0;
  const flush = (end: number): boolean => {
    const chunk = lines.slice(startLine, end).join('\n');
    let value: unknown;
    try {
      // json: false makes duplicate keys an error, as in the full parser.
      const all = jsyaml.loadAll(chunk, undefined, { schema: jsyaml.CORE_SCHEMA, json: false });
      if (all.length > 1) return false;
      value = all[0];
    } catch {
      return false;
    }
    if (value === undefined || value === null) return true;
    const at = lines.slice(startLine, end).findIndex((l) => KIND.test(l));
    if (at < 0) return false;
    docs.push({ value, line: startLine + at + 1, col: 1 });
    return true;
  };
  for (let i = 0; i < lines.length; i++) {
    if (!MARKER.test(lines[i]!)) continue;
    if (!flush(i)) return undefined;
    startLine = i + 1;
  }
  if (!flush(lines.length)) return undefined;
  return docs;
}
