// Secret scrubbing: masks registered secret values and well-known credential shapes in any text or value.

/** The text every secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Registered values shorter than this are ignored: masking every "admin" or "12345" would mangle ordinary
 * log text while protecting almost nothing (such short values are not real secrets anyway).
 */
export const MIN_SECRET_LENGTH = 6;

// Generic credential shapes masked even when never registered.
const BEARER = /\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
// A private key block; an unterminated block is masked over its base64 body (raw or JSON-escaped newlines).
const PRIVATE_KEY =
  /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----(?:[\s\S]*?-----END \1PRIVATE KEY-----|(?:[A-Za-z0-9+/=:,\-\s]|\\[nrt])*)/g;
// Portainer API keys are `ptr_` followed by a base64 body.
const PORTAINER = /\bptr_[A-Za-z0-9+/_=-]{8,}/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** SecretRegistry remembers secret values and removes them from any text that may leave the process. */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private combined: RegExp | null = null;
  private dirty = false;

  /** register adds a secret; its raw form and its JSON-escaped form (as it appears inside log lines) are masked. */
  register(value: string): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
    this.add(value);
    // JSON output escapes quotes, backslashes and control characters, so the raw form would not match there.
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.add(escaped);
  }

  /** Number of distinct patterns (raw and escaped forms) currently registered. */
  get size(): number {
    return this.values.size;
  }

  /** scrub returns `text` with every registered secret and every generic credential shape replaced by `[REDACTED]`. */
  scrub(text: string): string {
    let out = text;
    const re = this.pattern();
    if (re !== null) out = out.replace(re, REDACTED);
    if (out.includes('PRIVATE KEY-----')) out = out.replace(PRIVATE_KEY, REDACTED);
    if (out.includes('ptr_')) out = out.replace(PORTAINER, REDACTED);
    return out.replace(BEARER, `$1 ${REDACTED}`);
  }

  /** scrubDeep returns a copy of `value` with every string inside it scrubbed; the input is not modified. */
  scrubDeep<T>(value: T): T {
    return this.deep(value, new WeakMap()) as T;
  }

  private add(value: string): void {
    if (this.values.has(value)) return;
    this.values.add(value);
    this.dirty = true;
  }

  // One alternation, longest first so a secret containing another one is masked whole; rebuilt lazily.
  private pattern(): RegExp | null {
    if (this.dirty) {
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.combined = sorted.length === 0 ? null : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
      this.dirty = false;
    }
    return this.combined;
  }

  private deep(value: unknown, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === 'string') return this.scrub(value);
    if (value === null || typeof value !== 'object') return value;
    const hit = seen.get(value);
    if (hit !== undefined) return hit;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(this.deep(item, seen));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      seen.set(value, out);
      for (const [k, v] of value) out.set(this.deep(k, seen), this.deep(v, seen));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      seen.set(value, out);
      for (const v of value) out.add(this.deep(v, seen));
      return out;
    }
    if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    // Plain objects and errors: same prototype, own properties (including non-enumerable message/stack) scrubbed.
    const out = Object.create(Object.getPrototypeOf(value)) as Record<PropertyKey, unknown>;
    seen.set(value, out);
    for (const key of Reflect.ownKeys(value)) {
      const desc = Object.getOwnPropertyDescriptor(value, key);
      if (desc === undefined) continue;
      if ('value' in desc) desc.value = this.deep(desc.value, seen);
      Object.defineProperty(out, key, desc);
    }
    return out;
  }
}

/**
 * scrubProvider deep-scrubs a value that came from a provider (error message, fields, codes, request ids, headers)
 * at the point it enters the program: registered secrets, credential shapes, and `extra` values (the token in use).
 */
export function scrubProvider<T>(value: T, ...extra: Array<string | undefined>): T {
  // The credentials in use and every credential shape go here; registered secrets are scrubbed again at every output.
  const reg = new SecretRegistry();
  for (const v of extra) if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) reg.register(v);
  return reg.scrubDeep(value);
}
