// JSON Pointer helpers shared by the validator (issue paths) and the YAML loader (positions).

/** toSegments splits a JSON Pointer such as /metadata/annotations/livchat.ai~1paused into its unescaped parts. */
export function toSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** toPointer joins path segments into a JSON Pointer. */
export function toPointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** childPointer appends one segment to a pointer. */
export function childPointer(pointer: string, segment: string | number): string {
  return pointer + toPointer([segment]);
}

/** displayPath renders a pointer for humans: spec.labels["team/a"], spec.sshKeys[0]. */
export function displayPath(pointer: string): string {
  let out = '';
  for (const s of toSegments(pointer)) {
    if (/^(0|[1-9][0-9]*)$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
