// Server-port failure facts finer than the closed code set: set by the provider, read by the Server controller.
import { factOf } from '../../src/engine/errors.js';

/**
 * ServerFact is what the Server port documents beyond the code:
 * `NotStopped` the server must be off first, `TypeNotPossible` the type change can never work, `NoCapacity` the type
 * is sold out in the location (retry in minutes), `NotSupported` the API does not implement it, `ActionFailed` a
 * started operation ended in error.
 */
export type ServerFact = 'NotStopped' | 'TypeNotPossible' | 'NoCapacity' | 'NotSupported' | 'ActionFailed';

const FACTS: ReadonlySet<string> = new Set<ServerFact>(['NotStopped', 'TypeNotPossible', 'NoCapacity', 'NotSupported', 'ActionFailed']);

/** serverFact finds the ServerFact of an error or of one of its causes. */
export function serverFact(err: unknown): ServerFact | undefined {
  const f = factOf(err);
  return f && FACTS.has(f) ? (f as ServerFact) : undefined;
}
