// Tests for SecretRegistry: registered values, generic credential shapes, deep scrubbing and the canary.
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, REDACTED, SecretRegistry } from '../../src/obs/redact.js';
import * as redact from '../../src/obs/redact.js';

const CANARY = 'canary-9f8e7d6c5b4a-secret';

describe('SecretRegistry.scrub', () => {
  it('replaces every occurrence of a registered value', () => {
    const r = new SecretRegistry();
    r.register('hunter2-password');
    expect(r.scrub('a hunter2-password b hunter2-password')).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it('ignores values shorter than the minimum length', () => {
    const r = new SecretRegistry();
    expect(MIN_SECRET_LENGTH).toBe(6);
    r.register('admin');
    r.register('');
    expect(r.size).toBe(0);
    expect(r.scrub('admin logged in')).toBe('admin logged in');
  });

  it('masks the longest secret whole when one contains another', () => {
    const r = new SecretRegistry();
    r.register('abcdef');
    r.register('abcdef-longer-secret');
    expect(r.scrub('x abcdef-longer-secret y abcdef')).toBe(`x ${REDACTED} y ${REDACTED}`);
  });

  it('escapes regular-expression characters in secrets', () => {
    const r = new SecretRegistry();
    r.register('a.b*c(d)[e]$^|\\+?{1}');
    expect(r.scrub('value a.b*c(d)[e]$^|\\+?{1} end')).toBe(`value ${REDACTED} end`);
    expect(r.scrub('aXbbbc(d)[e]')).toBe('aXbbbc(d)[e]');
  });

  it('masks the JSON-escaped form of a secret with quotes, backslashes or newlines', () => {
    const r = new SecretRegistry();
    const tricky = 'pa"ss\\wo\nrd-xyz';
    r.register(tricky);
    const line = JSON.stringify({ msg: `got ${tricky}` });
    const out = r.scrub(line);
    expect(out).not.toContain('wo\\nrd');
    expect(JSON.parse(out)).toEqual({ msg: `got ${REDACTED}` });
    expect(r.scrub(`raw ${tricky}`)).toBe(`raw ${REDACTED}`);
  });

  it('sees values registered after a previous scrub (lazy rebuild)', () => {
    const r = new SecretRegistry();
    r.register('first-secret');
    expect(r.scrub('second-secret')).toBe('second-secret');
    r.register('second-secret');
    expect(r.scrub('first-secret second-secret')).toBe(`${REDACTED} ${REDACTED}`);
  });

  it('masks Bearer tokens, private key blocks and Portainer keys without registration', () => {
    const r = new SecretRegistry();
    expect(r.scrub('Authorization: Bearer eyJhbGciOi.abc-def_123==')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(r.scrub('authorization: bearer tok123')).toBe(`authorization: bearer ${REDACTED}`);
    // A fake armoured block (not a key), assembled so secret scanners do not flag this file.
    const armor = 'OPENSSH PRIVATE ' + 'KEY-----';
    const pem = `-----BEGIN ${armor}\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAEbm9uZQ==\n-----END ${armor}`;
    expect(r.scrub(`key: ${pem} done`)).toBe(`key: ${REDACTED} done`);
    const rsaArmor = 'RSA PRIVATE ' + 'KEY-----';
    const rsa = `-----BEGIN ${rsaArmor}\nMIIEpAIBAAKCAQEA\n-----END ${rsaArmor}`;
    expect(r.scrub(rsa)).toBe(REDACTED);
    // Inside a JSON line the newlines are escaped; the result must still be valid JSON.
    const line = JSON.stringify({ k: pem, unterminated: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg' });
    expect(JSON.parse(r.scrub(line))).toEqual({ k: REDACTED, unterminated: REDACTED });
    expect(r.scrub('api key ptr_AbCdEf0123456789+/xyz= used')).toBe(`api key ${REDACTED} used`);
    expect(r.scrub('a pointer_value and ptr_x')).toBe('a pointer_value and ptr_x');
  });

  it('stays fast with thousands of registered secrets', () => {
    const r = new SecretRegistry();
    for (let i = 0; i < 5000; i++) r.register(`secret-value-${i.toString(36)}-${'x'.repeat(i % 20)}`);
    const text = 'an ordinary log line without secrets '.repeat(20) + 'secret-value-zz-';
    const start = performance.now();
    for (let i = 0; i < 200; i++) r.scrub(text);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(r.scrub('x secret-value-1-x y')).toBe(`x ${REDACTED} y`);
  });
});

describe('SecretRegistry.scrubDeep', () => {
  it('scrubs nested objects, arrays, maps and errors without modifying the input', () => {
    const r = new SecretRegistry();
    r.register(CANARY);
    const err = new Error(`failed with ${CANARY}`);
    const input = { a: { b: [`x ${CANARY}`, 3, null] }, m: new Map([['k', CANARY]]), err, when: new Date(0) };
    const out = r.scrubDeep(input);
    expect(JSON.stringify({ ...out, m: [...out.m] })).not.toContain(CANARY);
    expect(out.a.b).toEqual([`x ${REDACTED}`, 3, null]);
    expect(out.err).toBeInstanceOf(Error);
    expect(out.err.message).toBe(`failed with ${REDACTED}`);
    expect(out.err.stack).not.toContain(CANARY);
    expect(out.when).toBe(input.when);
    expect(input.a.b[0]).toBe(`x ${CANARY}`);
    expect(err.message).toContain(CANARY);
  });

  it('handles cycles', () => {
    const r = new SecretRegistry();
    r.register(CANARY);
    const a: Record<string, unknown> = { s: CANARY };
    a['self'] = a;
    const out = r.scrubDeep(a);
    expect(out['s']).toBe(REDACTED);
    expect(out['self']).toBe(out);
  });
});

describe('canary', () => {
  it('never lets a registered canary through any scrubbed path', () => {
    const r = new SecretRegistry();
    r.register(CANARY);
    const err = new Error(`boom ${CANARY}`);
    const texts = [
      `message ${CANARY}`,
      JSON.stringify({ nested: { deeper: [{ v: CANARY }] } }),
      JSON.stringify({ err: { message: err.message, stack: err.stack } }),
      `${CANARY}${CANARY}`,
    ];
    for (const t of texts) expect(r.scrub(t)).not.toContain(CANARY);
    expect(JSON.stringify(r.scrubDeep({ err: { message: err.message }, list: [CANARY] }))).not.toContain(CANARY);
  });

  it('has no process-wide registry: every runtime and CLI run is handed its own', () => {
    expect(Object.values(redact).some((v) => v instanceof SecretRegistry)).toBe(false);
  });
});
