// Tests for createLogger: redacted paths, secret scrubbing (JSON and pretty), child context and flushing.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, flushLogger } from '../../src/obs/log.js';
import { REDACTED, SecretRegistry } from '../../src/obs/redact.js';
import { captureLogs } from '../helpers/capture-logs.js';

const CANARY = 'canary-1a2b3c4d5e6f-secret';

function registry(): SecretRegistry {
  const r = new SecretRegistry();
  r.register(CANARY);
  return r;
}

function sink(opts: { isTTY?: boolean } = {}): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(c: Buffer | string, _e, cb) { chunks.push(c.toString()); cb(); } });
  if (opts.isTTY) Object.assign(stream, { isTTY: true });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes JSON lines with level, time and message', () => {
    const cap = captureLogs({ secrets: new SecretRegistry() });
    cap.logger.info({ n: 1 }, 'hello');
    const [line] = cap.lines();
    expect(line).toMatchObject({ level: 30, msg: 'hello', n: 1 });
    expect(typeof line?.['time']).toBe('string');
  });

  it('respects the level', () => {
    const cap = captureLogs({ level: 'warn', secrets: new SecretRegistry() });
    cap.logger.info('hidden');
    cap.logger.warn('shown');
    expect(cap.lines().map((l) => l['msg'])).toEqual(['shown']);
  });

  it('censors structured secret fields by path', () => {
    const cap = captureLogs({ secrets: new SecretRegistry() });
    cap.logger.info({
      token: 't', apiToken: 'a', password: 'p', secret: 's', privateKey: 'k', authorization: 'z', value: 'v',
      headers: { authorization: 'Basic xyz', accept: 'json' },
      provider: { token: 't2', password: 'p2', privateKey: 'k2', apiToken: 'a2', name: 'cf' },
    }, 'fields');
    const line = cap.lines()[0]!;
    for (const k of ['token', 'apiToken', 'password', 'secret', 'privateKey', 'authorization', 'value']) expect(line[k]).toBe(REDACTED);
    expect(line['headers']).toEqual({ authorization: REDACTED, accept: 'json' });
    expect(line['provider']).toEqual({ token: REDACTED, password: REDACTED, privateKey: REDACTED, apiToken: REDACTED, name: 'cf' });
  });

  it('adds controller and key context in child loggers', () => {
    const cap = captureLogs({ secrets: new SecretRegistry() });
    const child = cap.logger.child({ controller: 'DNSRecord', key: 'DNSRecord/www' });
    child.info('reconciled');
    expect(cap.lines()[0]).toMatchObject({ controller: 'DNSRecord', key: 'DNSRecord/www', msg: 'reconciled' });
  });

  it('serializes errors under err with message and stack', () => {
    const cap = captureLogs({ secrets: new SecretRegistry() });
    cap.logger.error({ err: new TypeError('bad thing') }, 'failed');
    const err = cap.lines()[0]!['err'] as Record<string, unknown>;
    expect(err['type']).toBe('TypeError');
    expect(err['message']).toBe('bad thing');
    expect(String(err['stack'])).toContain('bad thing');
  });

  it('defaults to pretty on a TTY and JSON otherwise', () => {
    const tty = sink({ isTTY: true });
    createLogger({ destination: tty.stream, secrets: new SecretRegistry() }).info('pretty-line');
    expect(tty.text()).toContain('pretty-line');
    expect(() => JSON.parse(tty.text())).toThrow();
    const pipe = sink();
    createLogger({ destination: pipe.stream, secrets: new SecretRegistry() }).info('json-line');
    expect(JSON.parse(pipe.text())).toMatchObject({ msg: 'json-line' });
  });

  it('flushes without losing lines', async () => {
    const out = sink();
    const log = createLogger({ destination: out.stream, format: 'pretty', secrets: new SecretRegistry() });
    for (let i = 0; i < 50; i++) log.info(`line ${i}`);
    await flushLogger(log);
    expect(out.text().match(/line \d+/g)).toHaveLength(50);
  });
});

describe('canary', () => {
  const cases = (log: ReturnType<typeof createLogger>): void => {
    log.info(`message with ${CANARY}`);
    log.info({ deep: { nested: { list: [`x ${CANARY} y`, { inner: CANARY }] } } }, 'nested object');
    log.error({ err: new Error(`upstream said ${CANARY}`) }, 'error object');
    log.error(new Error(`bare error ${CANARY}`));
    log.warn({ note: `quoted "${CANARY}"` }, `printf %s`, CANARY);
    log.child({ key: CANARY }).info('child binding');
    log.info({ header: 'Bearer abcdef0123456789' }, 'bearer');
  };

  it('never appears in JSON output', () => {
    const cap = captureLogs({ secrets: registry() });
    cases(cap.logger);
    const text = cap.text();
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('abcdef0123456789');
    expect(cap.lines()).toHaveLength(7);
    expect(text.split(REDACTED).length).toBeGreaterThan(8);
  });

  it('never appears in pretty output', () => {
    const cap = captureLogs({ secrets: registry(), format: 'pretty' });
    cases(cap.logger);
    const text = cap.text();
    expect(text).toContain('nested object');
    expect(text).toContain('error object');
    expect(text).not.toContain(CANARY);
    expect(text).toContain(REDACTED);
  });

  it('catches secrets registered after the logger was created', () => {
    const r = new SecretRegistry();
    const cap = captureLogs({ secrets: r });
    r.register('late-registered-secret');
    cap.logger.info({ v: 'late-registered-secret' }, 'late');
    expect(cap.text()).not.toContain('late-registered-secret');
  });
});
