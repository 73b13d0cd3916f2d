// The token bucket and the 429 pause run on the monotonic clock: a wall clock stepping back an hour stalls nothing.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { TokenBucket } from '../../src/providers/limiter.js';

/** settled tells whether a promise has resolved, after letting queued microtasks run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => { done = true; });
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

describe('TokenBucket under a wall-clock step', () => {
  it('keeps refilling at the configured rate after stepWall(-1h)', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ limit: 10, windowMs: 10_000, clock });
    for (let i = 0; i < 10; i++) await bucket.acquire();
    clock.stepWall(-3_600_000);
    const next = bucket.acquire();
    expect(await settled(next)).toBe(false);
    clock.advance(1_000);
    expect(await settled(next)).toBe(true);
    expect(bucket.available).toBeLessThan(1);
  });

  it('ends a 429 pause on time after stepWall(-1h)', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ limit: 100, windowMs: 1_000, clock });
    bucket.pauseFor(30_000);
    clock.stepWall(-3_600_000);
    const next = bucket.acquire();
    clock.advance(29_000);
    expect(await settled(next)).toBe(false);
    clock.advance(1_000);
    // The pause drained the bucket; the refill after it takes one permit's time at 100/s.
    clock.advance(10);
    expect(await settled(next)).toBe(true);
  });

  it('a wall step forward does not end a pause early', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ limit: 100, windowMs: 1_000, clock });
    bucket.pauseFor(30_000);
    clock.stepWall(3_600_000);
    const next = bucket.acquire();
    clock.advance(10_000);
    expect(await settled(next)).toBe(false);
    clock.advance(20_100);
    expect(await settled(next)).toBe(true);
  });
});
