// Template placeholders (`${input.NAME}`, `${secret.NAME}`, `${host}`, …): parsing, checking and substitution with compose escaping.

/** PLACEHOLDER_KINDS are the only placeholder heads a template may use; anything else is an error naming it. */
export const PLACEHOLDER_KINDS = ['input', 'secret', 'host', 'url', 'version', 'image', 'stack'] as const;

/** PlaceholderKind is one of PLACEHOLDER_KINDS. */
export type PlaceholderKind = (typeof PLACEHOLDER_KINDS)[number];

/** Placeholder is one parsed `${kind}` or `${kind.arg}` reference. */
export interface Placeholder {
  kind: PlaceholderKind;
  /** The part after the dot: an input or secret name, or a host prefix; absent for `${host}`, `${version}`, …. */
  arg?: string;
  /** The placeholder as written, for messages. */
  raw: string;
}

/** Part is a piece of a template string: literal text or a placeholder. */
export type Part = { text: string } | { placeholder: Placeholder };

/** ParsedString is a template string split into parts, or the reason it cannot be parsed. */
export type ParsedString = { parts: Part[]; error?: undefined } | { parts?: undefined; error: string };

const KINDS = new Set<string>(PLACEHOLDER_KINDS);
// Kinds that take an argument always (input, secret) or optionally (host, url); the rest never do.
const ARG_REQUIRED = new Set<string>(['input', 'secret']);
const ARG_OPTIONAL = new Set<string>(['host', 'url']);
const BODY = /^([a-z]+)(?:\.([A-Za-z0-9_-]+))?$/;

/**
 * parseTemplateString splits a template string. `$${` is a literal `${`; every other `${…}` must be a known
 * placeholder, so a compose-style `${VAR}` written by mistake is reported instead of silently interpolated.
 */
export function parseTemplateString(s: string): ParsedString {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('$${', i)) {
      text += '${';
      i += 3;
      continue;
    }
    if (s.startsWith('${', i)) {
      const end = s.indexOf('}', i + 2);
      if (end < 0) return { error: `unterminated placeholder ${shorten(s.slice(i))}` };
      const raw = s.slice(i, end + 1);
      const m = BODY.exec(s.slice(i + 2, end));
      if (!m) return { error: `malformed placeholder ${shorten(raw)}; write $\${ for a literal \${` };
      const kind = m[1]!;
      const arg = m[2];
      if (!KINDS.has(kind)) return { error: `unknown placeholder ${raw}; known: ${PLACEHOLDER_KINDS.map((k) => `\${${k}}`).join(', ')}` };
      if (ARG_REQUIRED.has(kind) && arg === undefined) return { error: `placeholder ${raw} needs a name, e.g. \${${kind}.NAME}` };
      if (!ARG_REQUIRED.has(kind) && !ARG_OPTIONAL.has(kind) && arg !== undefined) return { error: `placeholder ${raw} takes no name; write \${${kind}}` };
      if (text) parts.push({ text });
      text = '';
      parts.push({ placeholder: arg === undefined ? { kind: kind as PlaceholderKind, raw } : { kind: kind as PlaceholderKind, arg, raw } });
      i = end + 1;
      continue;
    }
    text += s[i];
    i++;
  }
  if (text) parts.push({ text });
  return { parts };
}

/** placeholdersOf lists the placeholders in a parsed string. */
export function placeholdersOf(parts: readonly Part[]): Placeholder[] {
  return parts.flatMap((p) => ('placeholder' in p ? [p.placeholder] : []));
}

/** wholePlaceholder returns the placeholder when the string is exactly one placeholder and nothing else. */
export function wholePlaceholder(parts: readonly Part[]): Placeholder | undefined {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only && 'placeholder' in only ? only.placeholder : undefined;
}

/** Substitution is what a placeholder becomes: literal text, or a compose `${VAR}` reference to a stack Env variable. */
export type Substitution = { text: string } | { envRef: string };

/** escapeCompose doubles every `$`, so docker stack deploy's interpolation leaves literal text alone. */
export function escapeCompose(text: string): string {
  return text.replace(/\$/g, '$$$$');
}

/** substitute renders parsed parts to compose text: literal text escaped, env references as `${VAR}`. */
export function substitute(parts: readonly Part[], resolve: (p: Placeholder) => Substitution): string {
  let out = '';
  for (const part of parts) {
    if ('text' in part) {
      out += escapeCompose(part.text);
      continue;
    }
    const s = resolve(part.placeholder);
    out += 'envRef' in s ? `\${${s.envRef}}` : escapeCompose(s.text);
  }
  return out;
}

/**
 * interpolate computes what a rendered compose string becomes inside the container, as docker stack deploy
 * interpolates it: `$$` → `$` and `${VAR}` → the stack Env value (empty when unset).
 */
export function interpolate(rendered: string, env: ReadonlyMap<string, string>): string {
  return rendered.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string | undefined) => (name === undefined ? '$' : (env.get(name) ?? '')));
}

function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
