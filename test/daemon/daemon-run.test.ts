// startDaemon outside the CLI: signals come from an injected emitter, reload() is SIGHUP, stop() shuts down in order.
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { dnsYaml, tempDir, until, writeFiles } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
beforeAll(async () => { sim = await startSimCloud({ zones: ['example.com'] }); });
afterAll(async () => { await sim.server.close(); });

const ready = (stateDir: string, name: string): string | undefined => {
  const f = join(stateDir, 'objects', 'DNSRecord', `${name}.json`);
  if (!existsSync(f)) return undefined;
  const st = JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string }> } };
  return st.status.conditions.find((c) => c.type === 'Ready')?.status;
};

function options(desired: string, stateDir: string, signals: EventEmitter) {
  return {
    runtime: { dir: desired, stateDir, env: {}, cloud: { mode: 'sim' as const, url: sim.urls.url }, logLevel: 'silent' },
    host: '127.0.0.1', port: 0, shutdownMs: 5_000, signals,
  };
}

describe('startDaemon', () => {
  it('serves HTTP, reconciles, stops on the injected SIGTERM and leaves no signal listener behind', async () => {
    const desired = tempDir('lc-dm-desired-');
    const stateDir = tempDir('lc-dm-state-');
    writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a', type: 'TXT', content: 'one' }) });
    const signals = new EventEmitter();
    const daemon = await startDaemon(options(desired, stateDir, signals));
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    expect(signals.listenerCount('SIGHUP')).toBe(1);
    const health = await fetch(`${daemon.url}/healthz`);
    expect(health.status).toBe(200);
    await until(() => (ready(stateDir, 'a') === 'True' ? true : undefined), 20_000, 'DNSRecord/a Ready');
    signals.emit('SIGTERM');
    expect(await daemon.stopped).toBe('signal');
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT') + signals.listenerCount('SIGHUP')).toBe(0);
    const r = await daemon.stop();
    expect(r).toEqual({ ok: true, flushed: true, leaseLost: false });
    // HTTP is closed once stop() returns.
    await expect(fetch(`${daemon.url}/healthz`)).rejects.toThrow();
  });

  it('reload() re-reads desired/ in full, as SIGHUP does', async () => {
    const desired = tempDir('lc-dm2-desired-');
    const stateDir = tempDir('lc-dm2-state-');
    writeFiles(desired, { 'a.yaml': dnsYaml('a', { zone: 'example.com', name: 'a2', type: 'TXT', content: 'one' }) });
    const signals = new EventEmitter();
    const daemon = await startDaemon(options(desired, stateDir, signals));
    const before = daemon.runtime.lastLoad;
    daemon.reload();
    expect(daemon.runtime.lastLoad).not.toBe(before);
    expect(daemon.runtime.lastLoad.objects).toBe(1);
    expect((await daemon.stop()).ok).toBe(true);
    // stop() is idempotent: a second call returns the same shutdown.
    expect((await daemon.stop()).ok).toBe(true);
  });
});
