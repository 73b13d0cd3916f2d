// One summarizer: only summarize writes conditions; Reconciling says work is in progress, Ready says usable.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getCondition, READY, RECONCILING, SYNCED } from '../../src/engine/conditions.js';
import { WaitError } from '../../src/engine/errors.js';
import { describeState, verdict } from '../../src/engine/convergence.js';
import type { Condition } from '../../src/engine/conditions.js';
import { engine } from './engine-setup.js';

const ROOT = resolve(import.meta.dirname, '../..');
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

describe('summarize', () => {
  it('is the only caller of setCondition and removeCondition in src/ and controllers/', () => {
    const callers = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'controllers'))]
      .filter((f) => /\b(setCondition|removeCondition)\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f)).sort();
    expect(callers).toEqual(['src/engine/conditions.ts', 'src/engine/summarize.ts']);
  });

  it('progress on a usable object sets Reconciling=True with the step and leaves Ready=True; success removes it', async () => {
    let release!: () => void;
    let resizing = false;
    const seen: Condition[][] = [];
    const t = engine({
      Server: async (ctx) => {
        if (resizing) {
          ctx.progress('Resizing', 'powering off');
          seen.push(structuredClone(t.store.get(ctx.key)!.status.conditions));
          await new Promise<void>((r) => { release = r; });
        }
        return { ready: { status: 'True', reason: 'Available' } };
      },
    });
    const key = t.source.put('Server', 'prod', { serverType: 'cx22' });
    t.mgr.start();
    await t.mgr.idle();
    resizing = true;
    t.source.put('Server', 'prod', { serverType: 'cx32' });
    t.mgr.desiredChanged([key]);
    for (let i = 0; i < 1000 && !seen.length; i++) await new Promise((r) => setImmediate(r));
    const during = seen[0]!;
    expect(getCondition(during, READY)).toMatchObject({ status: 'True', reason: 'Available' });
    expect(getCondition(during, RECONCILING)).toMatchObject({ status: 'True', reason: 'Resizing', message: 'powering off' });
    const st = t.store.get(key)!;
    expect(describeState(st)).toContain('Reconciling=True Resizing [Resizing: powering off]');
    expect(verdict(st, true)).toBe('progressing');
    release();
    await t.mgr.idle();
    const after = t.store.get(key)!;
    expect(getCondition(after.status.conditions, READY)?.status).toBe('True');
    expect(getCondition(after.status.conditions, RECONCILING)).toBeUndefined();
    expect(verdict(after, true)).toBe('done');
  });

  it('an object being created is Ready=False with the wait reason and Reconciling=True', async () => {
    let exists = false;
    const t = engine({
      Server: async (ctx) => {
        if (!exists) { ctx.progress('Creating', 'POST /servers'); throw new WaitError('Creating', 'waiting for the server', 5_000); }
        return { ready: { status: 'True', reason: 'Available' } };
      },
    });
    const key = t.source.put('Server', 'prod', {});
    t.mgr.start();
    await t.mgr.idle();
    const c = t.store.get(key)!.status.conditions;
    expect(getCondition(c, READY)).toMatchObject({ status: 'False', reason: 'Creating' });
    expect(getCondition(c, SYNCED)?.status).toBe('True');
    expect(getCondition(c, RECONCILING)).toMatchObject({ status: 'True', reason: 'Creating' });
    exists = true;
    t.clock.advance(5_000);
    await t.mgr.idle();
    expect(getCondition(t.store.get(key)!.status.conditions, RECONCILING)).toBeUndefined();
    expect(getCondition(t.store.get(key)!.status.conditions, READY)?.status).toBe('True');
  });
});
