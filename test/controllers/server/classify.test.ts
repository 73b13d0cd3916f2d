// Pure Server helpers: exact label selectors that cannot be widened by a name, and resize pre-checks.
import { describe, expect, it } from 'vitest';
import { labelSelector } from '../../../controllers/server/classify.js';
import { resizeProblem } from '../../../controllers/server/resize.js';
import { matchesSelector, parseSelector } from '../../../src/sim/hetzner-labels.js';
import type { ServerInfo, ServerTypeInfo } from '../../../controllers/server/port.js';

describe('labelSelector', () => {
  it('builds exact terms that never match a name with the same prefix', () => {
    const sel = labelSelector({ 'livchat.ai/instance': 'prod', 'livchat.ai/object': 'web1' });
    expect(sel).toBe('livchat.ai/instance=prod,livchat.ai/object=web1');
    const reqs = parseSelector(sel);
    if (typeof reqs === 'string') throw new Error(reqs);
    const match = (instance: string, object: string) => matchesSelector(reqs, { 'livchat.ai/instance': instance, 'livchat.ai/object': object });
    expect(match('prod', 'web1')).toBe(true);
    expect(match('prod2', 'web1')).toBe(false);
    expect(match('prod', 'web10')).toBe(false);
    expect(match('pro', 'web1')).toBe(false);
  });

  it('refuses values that would change the selector instead of quoting them', () => {
    for (const bad of ['prod,managed-by', 'prod x', 'a in (b)', '!prod', 'prod=1', '', '-prod', 'x'.repeat(64)]) {
      expect(() => labelSelector({ 'livchat.ai/instance': bad }), bad).toThrow(/invalid label value/);
    }
    expect(() => labelSelector({ 'bad key': 'x' })).toThrow(/invalid label key/);
    expect(() => labelSelector({})).toThrow(/at least one/);
  });
});

describe('resizeProblem', () => {
  const type = (name: string, disk: number, extra: Partial<ServerTypeInfo> = {}): ServerTypeInfo => ({
    name, cores: 2, memoryGb: 4, diskGb: disk, architecture: 'x86', deprecated: false,
    locations: [{ name: 'nbg1', available: true }], ...extra,
  });
  const server = (t: ServerTypeInfo, disk = t.diskGb): ServerInfo => ({
    id: 1, name: 's', status: 'running', ipv4: undefined, ipv6: undefined, location: 'nbg1', serverType: t.name, architecture: t.architecture,
    image: 'ubuntu-24.04', labels: {}, protection: { delete: true, rebuild: true }, diskGb: disk,
  });

  it('allows a bigger type, and a smaller one that still holds the current disk', () => {
    expect(resizeProblem(server(type('cx23', 40)), 'cx33', type('cx33', 80))).toBeUndefined();
    expect(resizeProblem(server(type('cx43', 160), 80), 'cx33', type('cx33', 80))).toBeUndefined();
  });

  it('names every reason a change_type would fail', () => {
    const s = server(type('cx33', 80));
    expect(resizeProblem(s, 'cx23', type('cx23', 40))).toMatchObject({ kind: 'never', reason: 'DiskTooSmall' });
    expect(resizeProblem(s, 'cax21', type('cax21', 80, { architecture: 'arm' }))).toMatchObject({ kind: 'never', reason: 'InvalidServerType' });
    expect(resizeProblem(s, 'nope', undefined)).toMatchObject({ kind: 'never', reason: 'UnknownServerType' });
    expect(resizeProblem(s, 'cpx99', type('cpx99', 160, { locations: [{ name: 'ash', available: true }] }))).toMatchObject({ reason: 'UnsupportedLocation' });
    expect(resizeProblem(s, 'cx43', type('cx43', 160, { locations: [{ name: 'nbg1', available: false }] }))).toMatchObject({ kind: 'unavailable' });
  });
});
