// One daemon per state dir: a second run/apply exits 1 naming the holder's PID, readers keep working, a SIGKILLed holder's lock is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireStateLock, holderAlive, processStart, StateLockedError } from '../../src/daemon/lock.js';
import { cli, tempDir } from '../helpers/cli.js';
import { daemonHttpUrl, ensureBuilt, waitFor, startDaemon, startSimulate, stopAll, type LivchatProcess } from '../helpers/daemon.js';

let sim: Awaited<ReturnType<typeof startSimulate>>;
beforeAll(async () => { ensureBuilt(); sim = await startSimulate(); }, 60_000);
// stopAll also stops the simulator (a helper-spawned process too), so it runs once, at the end.
afterAll(async () => { await stopAll(); });

const lockOf = (stateDir: string) => JSON.parse(readFileSync(join(stateDir, 'lock'), 'utf8')) as { pid: number; start?: string; command: string };

describe('state dir lock (in-process)', () => {
  it('refuses a second holder while the first holds it, and is free again after release', () => {
    const dir = tempDir('lc-lock-');
    const a = acquireStateLock(dir, 'run');
    expect(() => acquireStateLock(dir, 'apply')).toThrow(StateLockedError);
    expect(() => acquireStateLock(dir, 'apply')).toThrow(`PID ${process.pid}`);
    a.release();
    acquireStateLock(dir, 'apply').release();
  });

  it('treats a live PID with another start time (a reused PID) as stale, and a dead PID as stale', () => {
    const dir = tempDir('lc-lock-');
    expect(processStart(process.pid)).toMatch(/^\d+$/);
    expect(holderAlive({ pid: process.pid, start: processStart(process.pid)!, host: hostname(), command: 'run', since: '' })).toBe(true);
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: process.pid, start: '1', host: hostname(), command: 'run', since: 'then' }));
    const l = acquireStateLock(dir, 'run');
    expect(lockOf(dir).start).toBe(processStart(process.pid));
    l.release();
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), command: 'run', since: 'then' }));
    acquireStateLock(dir, 'run').release();
  });
});

describe('state dir lock (real processes)', () => {
  it('a second daemon and apply exit 1 naming the PID; get keeps working; after SIGKILL the next start takes over', async () => {
    const stateDir = tempDir('lc-lock-state-');
    const desired = tempDir('lc-lock-desired-');
    const first: LivchatProcess = startDaemon({ stateDir, simUrl: sim.urls.url, desiredDir: desired });
    await daemonHttpUrl(first);
    expect(lockOf(stateDir)).toMatchObject({ pid: first.pid, command: 'run' });

    const second = startDaemon({ stateDir, simUrl: sim.urls.url, desiredDir: desired });
    expect((await second.exited).code).toBe(1);
    expect(second.stderr.join('\n')).toContain(`in use by \`livchat run\` (PID ${first.pid}`);

    const apply = await cli(['--state-dir', stateDir, 'apply', desired, '--sim', sim.urls.url, '--timeout', '10s']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(`PID ${first.pid}`);
    const get = await cli(['--state-dir', stateDir, 'get']);
    expect(get.code).toBe(0);
    expect(first.running).toBe(true);

    // SIGKILL leaves the lock file behind; its PID is gone, so the next daemon starts.
    first.signal('SIGKILL');
    await first.exited;
    expect(lockOf(stateDir).pid).toBe(first.pid);
    const third = startDaemon({ stateDir, simUrl: sim.urls.url, desiredDir: desired });
    const url = await daemonHttpUrl(third);
    expect(lockOf(stateDir).pid).toBe(third.pid);
    // Signal handlers are installed right after the banner line; wait until the daemon is serving to stop it cleanly.
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { timeoutMs: 20_000, what: 'third daemon ready' });
    expect((await third.stop()).code).toBe(0);
    // A clean stop removes the lock.
    expect(() => readFileSync(join(stateDir, 'lock'))).toThrow();
  }, 60_000);
});
