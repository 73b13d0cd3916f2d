// A wall clock stepping back an hour delays neither the work queue's delayed adds nor the shared list caches' expiry.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { WorkQueue } from '../../src/engine/workqueue.js';
import { SharedList } from '../../src/engine/shared-list.js';

describe('stepWall(-3_600_000)', () => {
  it('does not delay a WorkQueue addAfter, and scheduledAt stays in wall time for display', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ name: 't', concurrency: 1, clock, backoffBaseMs: 1000, backoffCapMs: 10_000, random: () => 0.5 });
    const ran: string[] = [];
    q.start(async (key) => { ran.push(key); });
    q.addAfter('a', 60_000);
    clock.stepWall(-3_600_000);
    expect(q.scheduledAt('a')).toBe(clock.now() + 60_000);
    clock.advance(59_999);
    await q.onIdle();
    expect(ran).toEqual([]);
    clock.advance(1);
    await q.onIdle();
    expect(ran).toEqual(['a']);
  });

  it('does not keep a SharedList cache alive past its TTL (nor expire it early on a forward step)', async () => {
    const clock = new ManualClock();
    let fetches = 0;
    const list = new SharedList(async () => { fetches++; return [{ id: 1 }]; }, (i) => i.id, clock, 30_000);
    await list.items();
    clock.stepWall(-3_600_000);
    clock.advance(29_000);
    await list.items();
    expect(fetches).toBe(1);
    clock.advance(1_000);
    await list.items();
    expect(fetches).toBe(2);
    clock.stepWall(3_600_000);
    await list.items();
    expect(fetches).toBe(2);
  });
});
