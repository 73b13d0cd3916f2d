// Whether a Cloudflare failure says the record is already gone (the provider sets the `RecordNotFound` fact).
import { factOf } from '../engine/errors.js';

/** isRecordNotFound tells whether an error says the record does not exist (so a delete is already done). */
export const isRecordNotFound = (err: unknown): boolean => factOf(err) === 'RecordNotFound';

/** RECORD_NOT_FOUND is Cloudflare's 81044 "Record does not exist." code. */
export const RECORD_NOT_FOUND = '81044';
