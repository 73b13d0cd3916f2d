// Provider errors are scrubbed where they are classified: message, field details, codes and request ids.
import Cloudflare from 'cloudflare';
import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/providers/hetzner-errors.js';
import { classifyCloudflareError } from '../../src/providers/cloudflare-errors.js';
import { DomainError } from '../../src/engine/errors.js';
import { scrubProvider } from '../../src/obs/redact.js';

const TOKEN = 'tok-5b8e2d7f1a9c3e6b4d0f2a8c6e1b3d5f';
/** everything renders an error with its cause chain, fields included, for a leak check. */
const everything = (err: Error): string => {
  const d = (err as DomainError).detail;
  return JSON.stringify({ m: err.message, cm: d.message, code: d.code, rid: d.requestId, details: d.details });
};

describe('scrubbing provider errors at the point of entry', () => {
  it('scrubProvider masks the token in use and credential shapes deeply', () => {
    const v = scrubProvider({ a: [`x ${TOKEN}`], b: { c: `Bearer abcdefgh123` }, d: 7 }, TOKEN);
    expect(JSON.stringify(v)).not.toContain(TOKEN);
    expect(v.d).toBe(7);
    expect(v.b.c).toBe('Bearer [REDACTED]');
  });

  it('Hetzner: a token echoed in the code, the field details and the correlation id never reaches the classified error', () => {
    const err = classifyFailure({
      op: 'listServers', status: 400, code: `bad_${TOKEN}`, message: 'invalid input', requestId: TOKEN,
      details: { fields: [{ name: TOKEN, messages: [`value ${TOKEN} rejected`] }] },
    }, TOKEN);
    expect(everything(err)).not.toContain(TOKEN);
    expect(err.message).toContain('invalid input');
    expect(err.message).toContain('[REDACTED]');
  });

  it('Cloudflare: the token in errors[].code, messages, error_chain and cf-ray is scrubbed, even unregistered', () => {
    const local = 'cf-only-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
    const body = { success: false, errors: [{ code: local, message: `bad ${local}`, error_chain: [{ code: 1, message: `chain ${local}` }] }] };
    const apiErr = Cloudflare.APIError.generate(400, body, undefined, new Headers({ 'cf-ray': `${local}-FRA` }));
    const err = classifyCloudflareError(apiErr, local);
    expect(everything(err)).not.toContain(local);
    expect(err.message).toContain('[REDACTED]');
  });
});
