// Disk full: a failed status write stays pending, is retried on the next flush and periodically, and is reported once per episode.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { StatusStore, StatusWriteError, type ObjectState } from '../../src/store/status-store.js';
import { writeFileAtomic } from '../../src/store/atomic.js';

const init = (key: string) => (): ObjectState => ({ key, generation: 1, specHash: 'h', createdAt: '2026-01-01T00:00:00.000Z', internal: {}, status: { conditions: [], events: [] } });

/** flakyDisk is an injectable writer that fails with ENOSPC while `full` is true. */
function flakyDisk() {
  const disk = { full: false, writes: [] as string[], failures: 0 };
  const writer = (path: string, data: string): void => {
    if (disk.full) {
      disk.failures++;
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });
    }
    disk.writes.push(path);
    writeFileAtomic(path, data, 0o600, { syncDir: false });
  };
  return { disk, writer };
}

describe('StatusStore write failures', () => {
  it('keeps a failed write dirty, retries it on the next flush, logs once per episode and recovers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-full-'));
    const clock = new ManualClock();
    const { disk, writer } = flakyDisk();
    const events: string[] = [];
    const store = new StatusStore(dir, { writer, clock, onWriteFailed: (e, key, first) => events.push(`${first ? 'FIRST' : 'again'} ${key} ${(e as NodeJS.ErrnoException).code}`), onWriteRecovered: () => events.push('recovered') });
    disk.full = true;
    store.stage('DNSRecord/a', (s) => { s.status.phase = 'one'; }, init('DNSRecord/a'));
    expect(store.flush('DNSRecord/a')).toBe(false);
    store.stage('DNSRecord/b', (s) => { s.status.phase = 'two'; }, init('DNSRecord/b'));
    expect(store.flush('DNSRecord/b')).toBe(false);
    expect(store.flush('DNSRecord/a')).toBe(false);
    expect(events).toEqual(['FIRST DNSRecord/a ENOSPC', 'again DNSRecord/b ENOSPC', 'again DNSRecord/a ENOSPC']);
    expect(store.health()).toMatchObject({ ok: false, failed: 2, error: expect.stringContaining('ENOSPC') as unknown, since: '2026-01-01T00:00:00.000Z' });
    // A durable update refuses to return as if written.
    expect(() => store.update('DNSRecord/a', (s) => { s.internal.createPending = true; })).toThrow(StatusWriteError);
    expect(store.flushAll().ok).toBe(false);

    disk.full = false;
    // The next flush of any key also writes the other pending ones.
    store.stage('DNSRecord/c', (s) => { s.status.phase = 'three'; }, init('DNSRecord/c'));
    expect(store.flush('DNSRecord/c')).toBe(true);
    expect(store.health()).toEqual({ ok: true, failed: 0 });
    expect(events.at(-1)).toBe('recovered');
    expect(events.filter((e) => e.startsWith('FIRST'))).toHaveLength(1);
    const a = JSON.parse(readFileSync(join(dir, 'objects', 'DNSRecord', 'a.json'), 'utf8')) as ObjectState;
    expect(a.status.phase).toBe('one');
    expect(a.internal.createPending).toBe(true);
  });

  it('retries periodically even when nothing else is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-full-'));
    const clock = new ManualClock();
    const { disk, writer } = flakyDisk();
    let recovered = 0;
    const store = new StatusStore(dir, { writer, clock, retryMs: 10_000, onWriteRecovered: () => { recovered++; } });
    disk.full = true;
    store.stage('Server/prod', (s) => { s.status.phase = 'Creating'; }, init('Server/prod'));
    store.flush('Server/prod');
    clock.advance(10_000);
    expect(disk.failures).toBe(2);
    expect(store.health().ok).toBe(false);
    disk.full = false;
    clock.advance(10_000);
    expect(store.health().ok).toBe(true);
    expect(recovered).toBe(1);
    expect(disk.writes).toEqual([join(dir, 'objects', 'Server', 'prod.json')]);
    expect(clock.pending).toBe(0);
  });

  it('reports a real failing directory the same way (a file where the kind directory should be; fails as root too)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-ro-'));
    mkdirSync(join(dir, 'objects'), { recursive: true });
    writeFileSync(join(dir, 'objects', 'DNSRecord'), 'not a directory');
    const seen: string[] = [];
    const store = new StatusStore(dir, { clock: new ManualClock(), onWriteFailed: (e) => seen.push((e as NodeJS.ErrnoException).code ?? '') });
    store.stage('DNSRecord/a', (s) => { s.status.phase = 'x'; }, init('DNSRecord/a'));
    expect(store.flush('DNSRecord/a')).toBe(false);
    expect(seen).toHaveLength(1);
    expect(['EEXIST', 'ENOTDIR']).toContain(seen[0]);
    rmSync(join(dir, 'objects', 'DNSRecord'));
    expect(store.flushAll().ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'objects', 'DNSRecord', 'a.json'), 'utf8'))).toMatchObject({ key: 'DNSRecord/a' });
  });
});
