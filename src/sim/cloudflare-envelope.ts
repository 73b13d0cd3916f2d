// Cloudflare v4 envelope helpers for the simulator: success/error bodies, error codes, ids and timestamps.
import { createHash } from 'node:crypto';
import type { SimResponse } from './framework.js';

/** CfErrorItem is one entry of the envelope's `errors[]`. */
export interface CfErrorItem {
  code: number;
  message: string;
  error_chain?: Array<{ code: number; message: string }>;
}

/** ResultInfo is the pagination block of list replies. */
export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

/** CfFailure is thrown inside handlers and turned into an error envelope by `failure()`. */
export class CfFailure extends Error {
  constructor(readonly status: number, readonly errors: CfErrorItem[]) {
    super(errors.map((e) => `${e.code} ${e.message}`).join('; '));
  }
}

/** ok wraps a result in the success envelope. */
export function ok(result: unknown, resultInfo?: ResultInfo): SimResponse {
  const body: Record<string, unknown> = { success: true, errors: [], messages: [], result };
  if (resultInfo) body.result_info = resultInfo;
  return { status: 200, body };
}

/** failure renders an error envelope (`success:false, result:null`). */
export function failure(status: number, errors: CfErrorItem[]): SimResponse {
  return { status, body: { success: false, errors, messages: [], result: null } };
}

/** validation builds the 400 1004 "DNS Validation Error" failure with one error_chain entry. */
export function validation(code: number, message: string): CfFailure {
  return new CfFailure(400, [{ code: 1004, message: 'DNS Validation Error', error_chain: [{ code, message }] }]);
}

/** noRoute is Cloudflare's 7003 + 7000 reply for an unknown route or a bad object identifier. */
export function noRoute(fullPath: string): CfFailure {
  return new CfFailure(404, [
    { code: 7003, message: `Could not route to ${fullPath}, perhaps your object identifier is invalid?` },
    { code: 7000, message: 'No route for that URI' },
  ]);
}

/** Messages as Cloudflare returns them (api-facts 2.4). */
export const MSG = {
  dupCname: 'An A, AAAA, or CNAME record with that host already exists.',
  cnameExists: 'A CNAME record with that host already exists.',
  identical: 'An identical record already exists.',
  recordMissing: 'Record does not exist.',
  nsExclusive: 'A delegation (NS) record cannot share its name with records of another type.',
  quota: 'Record quota exceeded.',
  throttle: 'Please wait and consider throttling your request speed',
} as const;

/** hexId derives a deterministic 32-hex identifier from a seed and a sequence number. */
export function hexId(seed: string, seq: number): string {
  return createHash('sha256').update(`${seed}:${seq}`).digest('hex').slice(0, 32);
}

/** cfTime formats ms as Cloudflare does, with microseconds: `2026-01-01T10:00:00.123000Z`. */
export function cfTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
