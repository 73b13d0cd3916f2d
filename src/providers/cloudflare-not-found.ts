// Cloudflare's "record does not exist" test, kept apart from the SDK so callers need not load it.
export { isRecordNotFound } from '../dns/failure.js';

/** RECORD_NOT_FOUND is Cloudflare's 81044 "Record does not exist." code. */
export const RECORD_NOT_FOUND = '81044';
