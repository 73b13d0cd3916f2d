// Canonical JSON (sorted keys) and the spec hash used for generation tracking; the engine owns it, crd re-exports it.
import { createHash } from 'node:crypto';

/** canonicalJson serialises a JSON value with object keys sorted, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** sha256Hex hashes a string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** specHash is the sha256 of the canonical JSON of a spec; it changes exactly when the spec's meaning changes. */
export function specHash(spec: unknown): string {
  return sha256Hex(canonicalJson(spec));
}
