// Watcher: batching logic on a manual clock, then real file-system events (bursts, single writes, ignore rules, dir loss).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, realClock } from '../../src/engine/clock.js';
import { BatchCoalescer } from '../../src/source/coalesce.js';
import { watchDesired, type DesiredWatcher } from '../../src/source/watcher.js';

/** until polls cond every 10 ms and fails after the deadline; it is the only way these tests wait. */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('BatchCoalescer', () => {
  it('flushes after a quiet window, restarted by every event', () => {
    const clock = new ManualClock();
    const batches: string[][] = [];
    const c = new BatchCoalescer(clock, (b) => batches.push(b), { quietMs: 100, maxWaitMs: 250 });
    c.add('b');
    clock.advance(60);
    c.add('a');
    c.add('b');
    clock.advance(99);
    expect(batches).toEqual([]);
    clock.advance(1);
    expect(batches).toEqual([['a', 'b']]);
    expect(clock.pending).toBe(0);
  });

  it('flushes at the max wait even while events keep coming', () => {
    const clock = new ManualClock();
    const flushedAt: number[] = [];
    const start = clock.now();
    const c = new BatchCoalescer(clock, () => flushedAt.push(clock.now() - start), { quietMs: 100, maxWaitMs: 250 });
    for (let t = 0; t < 600; t += 50) {
      c.add(`f${t}`);
      clock.advance(50);
    }
    clock.advance(100);
    expect(flushedAt).toEqual([250, 500, 650]);
  });

  it('cancel drops pending items', () => {
    const clock = new ManualClock();
    const batches: string[][] = [];
    const c = new BatchCoalescer(clock, (b) => batches.push(b));
    c.add('x');
    expect(c.pending).toBe(1);
    c.cancel();
    clock.advance(1000);
    expect(batches).toEqual([]);
  });
});

describe('watchDesired on a real directory', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  function setup(opts: { missing?: boolean } = {}) {
    const parent = mkdtempSync(join(tmpdir(), 'livchat-watch-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const dir = join(parent, 'desired');
    if (!opts.missing) mkdirSync(join(dir, 'sub'), { recursive: true });
    const batches: string[][] = [];
    const errors: string[] = [];
    const watcher: DesiredWatcher = watchDesired(dir, {
      clock: realClock,
      pollMs: 20,
      settleMs: 50,
      onBatch: (files) => {
        batches.push(files);
      },
      onError: (err) => errors.push(err.message),
    });
    cleanups.push(() => watcher.close());
    const seen = (): Set<string> => new Set(batches.flat());
    return { dir, batches, errors, watcher, seen };
  }

  // How soon and in how few batches writes arrive depends on the machine's load: the batching rules are tested on a
  // ManualClock above, latency belongs in benchmarks; here only what is delivered is asserted.
  it('delivers a single write as one batch holding only that file', async () => {
    const { dir, batches, watcher } = setup();
    await watcher.ready;
    const file = join(dir, 'one.yaml');
    writeFileSync(file, 'a: 1\n');
    await until(() => batches.length > 0, 'the batch');
    expect(batches).toEqual([[file]]);
  });

  it('delivers every file of a burst of 300 writes exactly once, in batches', async () => {
    const { dir, batches, watcher, seen } = setup();
    await watcher.ready;
    const files = Array.from({ length: 300 }, (_, i) => join(dir, i % 2 ? 'sub' : '', `f${String(i).padStart(3, '0')}.yaml`));
    for (const f of files) writeFileSync(f, 'a: 1\n');
    await until(() => files.every((f) => seen().has(f)), 'all 300 files', 30_000);
    expect(batches.flat().sort()).toEqual([...files].sort());
    expect(batches.every((b) => b.length > 0)).toBe(true);
  });

  it('delivers a file written in two parts only once its writes settled', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'livchat-watch-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const contents: string[] = [];
    const file = join(parent, 'slow.yaml');
    const watcher = watchDesired(parent, {
      clock: realClock,
      settleMs: 3000,
      onBatch: (files) => { if (files.includes(file)) contents.push(readFileSync(file, 'utf8')); },
    });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    writeFileSync(file, 'a: 1\n');
    // The second half comes well after the batch quiet window (100 ms) and well inside the settle window.
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(file, 'b: 2\n');
    await until(() => contents.length > 0, 'the settled file', 20_000);
    expect(contents).toEqual(['a: 1\nb: 2\n']);
  });

  it('reports removals and ignores dotfiles, editor temp files and non-YAML files', async () => {
    const { dir, batches, watcher, seen } = setup();
    const keep = join(dir, 'keep.yaml');
    writeFileSync(keep, 'a: 1\n');
    await watcher.ready;
    for (const name of ['.hidden.yaml', 'keep.yaml~', '#keep.yaml#', 'keep.yaml.swp', '4913', 'notes.txt']) writeFileSync(join(dir, name), 'x');
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', 'x.yaml'), 'x');
    unlinkSync(keep);
    const marker = join(dir, 'sub', 'marker.yaml');
    writeFileSync(marker, 'b: 2\n');
    await until(() => seen().has(keep) && seen().has(marker), 'the removal and the marker');
    expect([...seen()].sort()).toEqual([keep, marker]);
    expect(batches.length).toBeGreaterThanOrEqual(1);
  });

  it('reports a removed directory, keeps running, and rescans it when it comes back', async () => {
    const { dir, batches, errors, watcher, seen } = setup();
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    await watcher.ready;
    rmSync(dir, { recursive: true });
    await until(() => errors.some((e) => e.includes('was removed')) && seen().has(dir), 'the loss report');
    const before = batches.length;
    mkdirSync(dir);
    await until(() => batches.slice(before).some((b) => b.includes(dir)), 'the rescan batch');
    // The new watcher sees later writes; it may still be starting, so the write is repeated until it shows up.
    const later = join(dir, 'later.yaml');
    let writes = 0;
    await until(() => {
      // Rewrite only now and then: a file rewritten faster than the settle window is (rightly) never delivered.
      if (writes++ % 30 === 0) writeFileSync(later, `t: ${writes}\n`);
      return seen().has(later);
    }, 'a write after recreation', 20_000);
  });

  it('waits for a directory that does not exist yet', async () => {
    const { dir, batches, errors, watcher } = setup({ missing: true });
    await watcher.ready;
    expect(errors).toEqual([`desired directory ${dir} is missing; waiting for it to appear`]);
    mkdirSync(dir);
    await until(() => batches.some((b) => b.includes(dir)), 'the directory to appear');
  });

  it('reports a failing onBatch and keeps delivering', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'livchat-watch-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const errors: string[] = [];
    const delivered: string[][] = [];
    const watcher = watchDesired(parent, {
      clock: realClock,
      onBatch: async (files) => {
        delivered.push(files);
        if (delivered.length === 1) throw new Error('engine busy');
      },
      onError: (err) => errors.push(err.message),
    });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    writeFileSync(join(parent, 'a.yaml'), 'a: 1\n');
    await until(() => errors.includes('engine busy'), 'the error');
    writeFileSync(join(parent, 'b.yaml'), 'b: 1\n');
    await until(() => delivered.length === 2, 'the second batch');
    expect(delivered[1]).toEqual([join(parent, 'b.yaml')]);
  });
});
