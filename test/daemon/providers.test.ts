// Provider wiring: a bad token costs one request, not one per object, and a credential change resets the breaker.
import { afterEach, describe, expect, it } from 'vitest';
import { buildProviders } from '../../src/daemon/providers.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { realClock } from '../../src/engine/clock.js';
import { DomainError } from '../../src/engine/errors.js';
import { startSimCloud } from '../../src/sim/cloud.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

describe('buildProviders', () => {
  it('trips on a rejected token, makes no further requests, and resets when credentials change', async () => {
    const sim = await startSimCloud({ token: 'the-right-token-123456', zones: ['example.com'] });
    close = () => sim.server.close();
    const ep = (token: string) => ({
      hetzner: { url: sim.urls.hetzner, token }, cloudflare: { url: sim.urls.cloudflare, token }, simulated: true,
    });
    const p = buildProviders(ep('a-wrong-token-1234567'), createMetrics(), realClock);
    for (let i = 0; i < 20; i++) {
      await expect(p.dns.findZone('example.com')).rejects.toBeInstanceOf(DomainError);
      await expect(p.hcloud.listServers()).rejects.toMatchObject({ code: 'Unauthorized' });
    }
    const calls = sim.server.requests().byRoute;
    expect(calls['GET /client/v4/zones']).toBe(1);
    expect(calls['GET /v1/servers']).toBe(1);
    expect(p.update(ep('the-right-token-123456'))).toBe(true);
    expect(await p.dns.findZone('example.com')).toMatchObject({ name: 'example.com' });
    expect(await p.hcloud.listServers()).toEqual([]);
  });

  it('resetBreakers makes the next call ask again with an unchanged token (permissions fixed in the dashboard)', async () => {
    const sim = await startSimCloud({ zones: ['example.com'] });
    close = () => sim.server.close();
    const token = 'same-token-value-123456';
    const ep = { hetzner: { url: sim.urls.hetzner, token }, cloudflare: { url: sim.urls.cloudflare, token }, simulated: true };
    const p = buildProviders(ep, createMetrics(), realClock);
    sim.server.addFault({ route: 'GET /client/v4/zones', status: 403, times: 1, body: { success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null } });
    sim.server.addFault({ route: 'GET /v1/servers', status: 403, times: 1, body: { error: { code: 'forbidden', message: 'insufficient permissions', details: null } } });
    for (let i = 0; i < 3; i++) {
      await expect(p.dns.findZone('example.com')).rejects.toMatchObject({ code: 'Unauthorized' });
      await expect(p.hcloud.listServers()).rejects.toMatchObject({ code: 'Unauthorized' });
    }
    expect(p.update(ep)).toBe(false);
    await expect(p.hcloud.listServers()).rejects.toMatchObject({ code: 'Unauthorized' });
    p.resetBreakers();
    expect(await p.dns.findZone('example.com')).toMatchObject({ name: 'example.com' });
    expect(await p.hcloud.listServers()).toEqual([]);
    expect(sim.server.requests().byRoute['GET /v1/servers']).toBe(2);
  });

  it('reports a missing token as a terminal, token-scoped error without any request', async () => {
    const p = buildProviders({ hetzner: { url: 'http://127.0.0.1:9', token: undefined }, cloudflare: { url: 'http://127.0.0.1:9', token: undefined }, simulated: false }, createMetrics(), realClock);
    await expect(p.dns.listRecords('z')).rejects.toMatchObject({ reason: 'CredentialsMissing', scope: 'cloudflare-token' });
    await expect(p.hcloud.listServers()).rejects.toMatchObject({ reason: 'CredentialsMissing', scope: 'hetzner-token' });
  });
});
