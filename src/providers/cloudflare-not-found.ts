// Cloudflare's "record does not exist" test, kept apart from the SDK so callers need not load it.
import { ProviderError } from '../engine/errors.js';

/** RECORD_NOT_FOUND is Cloudflare's 81044 "Record does not exist." code. */
export const RECORD_NOT_FOUND = '81044';

/** isRecordNotFound tells whether an error (or its cause) is Cloudflare's 81044 "Record does not exist.". */
export function isRecordNotFound(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof ProviderError && e.provider === 'cloudflare' && e.code === RECORD_NOT_FOUND) return true;
  }
  return false;
}
