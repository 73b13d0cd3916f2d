// DNS-port failure facts finer than the closed code set: which thing was not found, set by the provider.
import { factOf } from '../../src/engine/errors.js';

/** DnsFact tells a NotFound apart: `ZoneNotFound` the zone (a setup problem), `RecordNotFound` one record (already gone). */
export type DnsFact = 'ZoneNotFound' | 'RecordNotFound';

const FACTS: ReadonlySet<string> = new Set<DnsFact>(['ZoneNotFound', 'RecordNotFound']);

/** dnsFact finds the DnsFact of an error or of one of its causes. */
export function dnsFact(err: unknown): DnsFact | undefined {
  const f = factOf(err);
  return f && FACTS.has(f) ? (f as DnsFact) : undefined;
}

/** isRecordNotFound tells whether an error says the record does not exist (so a delete is already done). */
export const isRecordNotFound = (err: unknown): boolean => dnsFact(err) === 'RecordNotFound';
