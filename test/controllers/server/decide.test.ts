// decide() is pure: the same facts give the same steps; reconcile runs the first, plan prints them (planItem).
import { describe, expect, it } from 'vitest';
import { decide, planItem, POLL_MS, type ServerFacts } from '../../../controllers/server/decide.js';
import type { ServerInfo } from '../../../controllers/server/port.js';

const server = (extra: Partial<ServerInfo> = {}): ServerInfo => ({
  id: 7, name: 'prod', status: 'running', ipv4: '203.0.113.7', ipv6: '2001:db8::1', location: 'nbg1', serverType: 'cx23', architecture: 'x86',
  image: 'ubuntu-24.04', labels: { 'managed-by': 'livchat', 'livchat.ai/instance': 'test', 'livchat.ai/object': 'prod' },
  protection: { delete: true, rebuild: true }, diskGb: 40, ...extra,
});
const cx33 = { name: 'cx33', cores: 4, memoryGb: 8, diskGb: 80, architecture: 'x86' as const, deprecated: false, locations: [{ name: 'nbg1', available: true }] };

function facts(extra: Partial<ServerFacts> = {}): ServerFacts {
  return {
    name: 'prod', instance: 'test', generation: 1, spec: { location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04' },
    removed: false, adopt: false, approveReplace: false, internal: { serverId: 7 }, server: server(),
    setup: { key: 'k', playbookHash: 'h', current: true, pinned: true, approvedFingerprint: undefined },
    limits: { createGraceMs: 15_000, shutdownTimeoutMs: 120_000, shutdownPollMs: 2000 },
    ...extra,
  };
}
const types = (f: ServerFacts) => decide(f).actions.map((a) => a.type);

describe('decide', () => {
  it('is converged for a running, set-up server that matches its spec', () => {
    expect(types(facts())).toEqual(['done']);
    expect(decide(facts())).toEqual(decide(facts()));
    expect(planItem('Server/prod', facts(), decide(facts()))).toEqual({ key: 'Server/prod', action: 'no-op' });
  });

  it('waits out a running operation with the provider\'s poll estimate, and finishes it once it ended', () => {
    const op = { kind: 'create' as const, step: 'Creating' as const, ids: [1, 2], serverId: 7, at: 0, message: 'creating cx23 in nbg1' };
    expect(decide(facts({ internal: { serverId: 7, op }, op: { state: 'running', progress: 40, pollAfterMs: 1500 } })).actions)
      .toEqual([{ type: 'wait', reason: 'Creating', message: 'creating cx23 in nbg1 (40%)', afterMs: 1500 }]);
    // Not read yet counts as running: a second operation is never started on top.
    expect(types(facts({ internal: { serverId: 7, op } }))).toEqual(['wait']);
    expect(types(facts({ internal: { serverId: 7, op }, op: { state: 'success', progress: 100 } }))).toEqual(['finishOp']);
  });

  it('creates only after the create-pending grace, and records a server found meanwhile', () => {
    const pending = { internal: { createPending: { at: 0 } }, server: undefined };
    expect(decide(facts({ ...pending, createPendingMs: 14_999 })).actions).toEqual([expect.objectContaining({ type: 'wait', reason: 'Creating', afterMs: POLL_MS })]);
    expect(types(facts({ ...pending, createPendingMs: 15_000 }))).toEqual(['forgetCreateMark', 'create']);
    expect(decide(facts({ internal: { createPending: { at: 0 } } })).actions[0]).toMatchObject({ type: 'recordServer', recovered: true });
    expect(decide(facts({ internal: { serverId: 3 }, server: undefined })).actions).toEqual([expect.objectContaining({ type: 'create', missing: 3 })]);
  });

  it('plans a resize as shutdown → change_type → poweron, checked before any downtime', () => {
    const f = facts({ spec: { location: 'nbg1', serverType: 'cx33', image: 'ubuntu-24.04' }, targetType: cx33 });
    expect(types(f)).toEqual(['shutdown', 'changeType', 'powerOn', 'done']);
    expect(planItem('Server/prod', f, decide(f))).toMatchObject({ action: 'update', changeClass: 'restart', changes: [{ field: 'serverType', from: 'cx23', to: 'cx33' }] });
    const small = facts({ server: server({ serverType: 'cx33', diskGb: 80 }), targetType: { ...cx33, name: 'cx23', diskGb: 40 } });
    expect(decide(small).actions).toEqual([expect.objectContaining({ type: 'stall', reason: 'DiskTooSmall' })]);
    expect(planItem('Server/prod', small, decide(small))).toMatchObject({ action: 'blocked', message: expect.stringMatching(/disks never shrink/) });
    const soldOut = facts({ ...f, targetType: { ...cx33, locations: [{ name: 'nbg1', available: false }] } });
    expect(decide(soldOut).actions).toEqual([expect.objectContaining({ type: 'retry', reason: 'CapacityUnavailable' })]);
    // A server that is off anyway changes type first and boots once.
    expect(types(facts({ ...f, server: server({ status: 'off' }) }))).toEqual(['changeType', 'powerOn']);
  });

  it('walks a recorded resize: wait for off within the timeout, then power off hard; a failed change powers on first', () => {
    const spec = { location: 'nbg1', serverType: 'cx33', image: 'ubuntu-24.04' };
    const resize = { from: 'cx23', to: 'cx33', shutdownAt: 0 };
    const base = { spec, targetType: cx33, internal: { serverId: 7, resize } };
    expect(decide(facts({ ...base, shutdownMs: 119_999 })).actions).toEqual([expect.objectContaining({ type: 'wait', reason: 'Resizing', afterMs: 2000 })]);
    expect(types(facts({ ...base, shutdownMs: 120_000 }))).toEqual(['powerOff', 'changeType', 'powerOn']);
    expect(types(facts({ ...base, server: server({ status: 'off' }) }))).toEqual(['changeType', 'powerOn']);
    expect(types(facts({ ...base, server: server({ status: 'off', serverType: 'cx33' }) }))).toEqual(['powerOn']);
    expect(types(facts({ ...base, server: server({ serverType: 'cx33' }) }))).toEqual(['endResize']);
    const failed = { ...base, internal: { serverId: 7, resize: { ...resize, failed: 'placement failed' } } };
    expect(types(facts({ ...failed, server: server({ status: 'off' }) }))).toEqual(['powerOn']);
    expect(types(facts(failed))).toEqual(['endResize']);
  });

  it('runs host setup in the background: start, wait while it runs, collect when done, stall without a key', () => {
    const setup = { key: 'k2', playbookHash: 'h', current: false, pinned: true, approvedFingerprint: undefined };
    expect(types(facts({ setup }))).toEqual(['startSetup', 'done']);
    expect(decide(facts({ setup: { ...setup, job: { key: 'k2', state: 'running', last: 'TASK [docker]' } } })).actions)
      .toEqual([{ type: 'wait', reason: 'SettingUp', message: 'TASK [docker]', afterMs: 1000 }]);
    expect(types(facts({ setup: { ...setup, job: { key: 'k2', state: 'done' } } }))).toEqual(['collectSetup', 'done']);
    expect(types(facts({ setup: { ...setup, job: { key: 'old', state: 'running' } } }))).toEqual(['wait']);
    expect(types(facts({ setup: { ...setup, job: { key: 'old', state: 'done' } } }))).toEqual(['dropSetup', 'done']);
    expect(decide(facts({ setup: { ...setup, pinned: false } })).actions).toEqual([expect.objectContaining({ type: 'stall', reason: 'HostKeyUnknown' })]);
    expect(types(facts({ setup: { ...setup, pinned: false, approvedFingerprint: 'SHA256:x' } }))).toEqual(['startSetup', 'done']);
  });

  it('removes by policy: delete, orphan, or nothing while protected', () => {
    const spec = { location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04' };
    expect(types(facts({ removed: true, server: server({ protection: { delete: false, rebuild: false } }) }))).toEqual(['delete', 'deleted']);
    expect(types(facts({ removed: true }))).toEqual(['blocked']);
    expect(decide(facts({ removed: true, spec: { ...spec, deletionPolicy: 'Orphan' } })).actions).toEqual([expect.objectContaining({ type: 'orphan', labels: {} })]);
    expect(decide(facts({ removed: true, server: undefined })).actions).toEqual([{ type: 'deleted', childrenPolicy: 'Delete' }]);
    expect(planItem('Server/prod', facts({ removed: true }), decide(facts({ removed: true })))).toMatchObject({ action: 'blocked' });
  });

  it('replaces only when approved for this generation, lifting protection first', () => {
    const f = facts({ spec: { location: 'fsn1', serverType: 'cx23', image: 'ubuntu-24.04' } });
    expect(decide(f).actions.at(-1)).toMatchObject({ type: 'done', synced: { status: 'False', reason: 'ReplacementRequired' } });
    expect(planItem('Server/prod', f, decide(f))).toMatchObject({ action: 'update', changeClass: 'replacement', message: expect.stringContaining('approve-replace: "1"') });
    expect(decide({ ...f, approveReplace: true }).actions).toEqual([
      expect.objectContaining({ type: 'setProtection', on: false, step: 'Replacing' }),
      expect.objectContaining({ type: 'delete', step: 'Replacing', fields: ['location'] }),
    ]);
  });
});
