// The read operations: get by kind (singular, plural, any case) and name, and wait at the current generation on an injected clock.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { conditionMet, getObjects, waitFor } from '../../src/ops/objects.js';
import { tempDir } from '../helpers/cli.js';
import type { ObjectState } from '../../src/store/status-store.js';

function state(stateDir: string, kind: string, name: string, generation: number, ready: { status: string; observedGeneration?: number }): void {
  mkdirSync(join(stateDir, 'objects', kind), { recursive: true });
  const st = { key: `${kind}/${name}`, generation, createdAt: '2026-01-01T00:00:00Z', status: { conditions: [{ type: 'Ready', reason: 'R', message: '', lastTransitionTime: '2026-01-01T00:00:00Z', ...ready }], events: [] } };
  writeFileSync(join(stateDir, 'objects', kind, `${name}.json`), JSON.stringify(st));
}

describe('ops objects', () => {
  it('get filters by kind (singular, plural, any case) and name', () => {
    const dir = tempDir('lc-ops-get-');
    state(dir, 'DNSRecord', 'a', 1, { status: 'True' });
    state(dir, 'Server', 'prod', 1, { status: 'True' });
    expect(getObjects(dir).map((s) => s.key).sort()).toEqual(['DNSRecord/a', 'Server/prod']);
    expect(getObjects(dir, 'dnsrecords').map((s) => s.key)).toEqual(['DNSRecord/a']);
    expect(getObjects(dir, 'SERVER', 'prod').map((s) => s.key)).toEqual(['Server/prod']);
    expect(getObjects(dir, 'server', 'nope')).toEqual([]);
  });

  it('a condition of an older generation does not count', () => {
    const st = (g: number, og: number) => ({ key: 'Server/x', generation: g, status: { conditions: [{ type: 'Ready', status: 'True', observedGeneration: og }] } }) as unknown as ObjectState;
    expect(conditionMet(st(2, 1), 'Ready', 'True')).toBe(false);
    expect(conditionMet(st(2, 2), 'Ready', 'True')).toBe(true);
  });

  it('wait ends when the condition holds, or times out on the monotonic clock', async () => {
    const dir = tempDir('lc-ops-wait-');
    state(dir, 'Server', 'prod', 2, { status: 'True', observedGeneration: 1 });
    const clock = new ManualClock();
    const pending = waitFor(dir, { kind: 'Server', name: 'prod', type: 'Ready', want: 'True', timeoutMs: 2_000 }, clock, 500);
    // A wall-clock step does not end the wait.
    clock.stepWall(10_000_000);
    for (let i = 0; i < 5; i++) { await Promise.resolve(); clock.advance(500); await Promise.resolve(); }
    const r = await pending;
    expect(r.met).toBe(false);
    expect(r.condition?.status).toBe('True');
    state(dir, 'Server', 'prod', 2, { status: 'True', observedGeneration: 2 });
    expect((await waitFor(dir, { kind: 'Server', name: 'prod', type: 'Ready', want: 'True', timeoutMs: 2_000 }, clock)).met).toBe(true);
  });
});
