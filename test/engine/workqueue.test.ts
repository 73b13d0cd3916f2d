// Work queue semantics: dedup, per-key exclusivity under load, re-run after a re-add, priorities, backoff, shutdown.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { WorkQueue, PRIORITY_LOW, PRIORITY_NORMAL } from '../../src/engine/workqueue.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function makeQueue(concurrency = 2, clock = new ManualClock()): WorkQueue {
  return new WorkQueue({ name: 't', concurrency, clock, backoffBaseMs: 1000, backoffCapMs: 8000, jitter: 0 });
}

describe('WorkQueue', () => {
  it('never runs one key twice at once: 1,000 keys, repeated adds, concurrency 8', async () => {
    const q = makeQueue(8);
    const running = new Set<string>();
    let overlaps = 0;
    let maxActive = 0;
    const runs = new Map<string, number>();
    q.start(async (key) => {
      if (running.has(key)) overlaps++;
      running.add(key);
      maxActive = Math.max(maxActive, running.size);
      runs.set(key, (runs.get(key) ?? 0) + 1);
      await tick();
      // Re-adding during the run must park the key, not start a second worker.
      if ((runs.get(key) ?? 0) === 1 && Number(key.slice(2)) % 3 === 0) q.add(key);
      await tick();
      running.delete(key);
    });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1000; i++) q.add(`k/${i}`);
      await tick();
    }
    await q.onIdle();
    expect(overlaps).toBe(0);
    expect(maxActive).toBeLessThanOrEqual(8);
    expect(maxActive).toBeGreaterThan(1);
    for (let i = 0; i < 1000; i++) expect(runs.get(`k/${i}`)).toBeGreaterThanOrEqual(1);
    // Keys re-added during their run ran again afterwards.
    expect(runs.get('k/3')).toBeGreaterThanOrEqual(2);
  });

  it('collapses duplicate adds of a waiting key', async () => {
    const q = makeQueue(1);
    const seen: string[] = [];
    q.add('a'); q.add('a'); q.add('b'); q.add('a');
    q.start(async (k) => { seen.push(k); });
    await q.onIdle();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('runs a key once more when it is re-added while running', async () => {
    const q = makeQueue(2);
    let n = 0;
    q.start(async () => { n++; if (n === 1) { q.add('x'); q.add('x'); } await tick(); });
    q.add('x');
    await q.onIdle();
    expect(n).toBe(2);
  });

  it('lets normal-priority adds jump ahead of low-priority start-up adds', async () => {
    const q = makeQueue(1);
    const order: string[] = [];
    q.start(async (k) => { order.push(k); });
    // The first key starts at once; the rest wait, so priority decides their order.
    for (let i = 0; i < 5; i++) q.add(`low${i}`, PRIORITY_LOW);
    q.add('live', PRIORITY_NORMAL);
    q.add('low4', PRIORITY_NORMAL);
    await q.onIdle();
    expect(order.indexOf('live')).toBeLessThan(order.indexOf('low1'));
    expect(order.indexOf('low4')).toBeLessThan(order.indexOf('low1'));
  });

  it('delays with the injected clock and keeps one schedule per key', async () => {
    const clock = new ManualClock();
    const q = makeQueue(1, clock);
    const seen: string[] = [];
    q.start(async (k) => { seen.push(k); });
    q.addAfter('a', 5000);
    q.addAfter('a', 1000);
    expect(q.scheduledAt('a')).toBe(clock.now() + 1000);
    clock.advance(999);
    await q.onIdle();
    expect(seen).toEqual([]);
    clock.advance(1);
    await q.onIdle();
    expect(seen).toEqual(['a']);
    clock.advance(10_000);
    await q.onIdle();
    expect(seen).toEqual(['a']);
  });

  it('backs off exponentially per key up to the cap and resets on forget', () => {
    const q = makeQueue();
    expect([1, 2, 3, 4, 5].map(() => q.backoffDelay('k'))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(q.backoffDelay('other')).toBe(1000);
    expect(q.backoffDelay('k', 30_000)).toBe(30_000);
    q.forget('k');
    expect(q.backoffDelay('k')).toBe(1000);
  });

  it('shutdown drops queued keys, waits for in-flight ones and refuses new work', async () => {
    const clock = new ManualClock();
    const q = makeQueue(1, clock);
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    q.start(async (k) => { seen.push(k); if (k === 'a') await gate; });
    q.add('a'); q.add('b'); q.add('c');
    await tick();
    const done = q.shutdown(30_000);
    q.add('d');
    release();
    expect(await done).toBe(true);
    expect(seen).toEqual(['a']);
  });

  it('shutdown gives up after its timeout', async () => {
    const clock = new ManualClock();
    const q = makeQueue(1, clock);
    q.start(() => new Promise<void>(() => undefined));
    q.add('stuck');
    await tick();
    const done = q.shutdown(30_000);
    clock.advance(30_000);
    expect(await done).toBe(false);
  });

  it('has no isBusy: the engine never asked, so the dead method is gone', () => {
    expect('isBusy' in WorkQueue.prototype).toBe(false);
  });
});
