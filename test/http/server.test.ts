// The daemon's HTTP endpoint over a real loopback socket: health, readiness, metrics, objects and the bearer token.
import { afterEach, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import type { ObjectState } from '../../src/store/status-store.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

const state: ObjectState = {
  key: 'DNSRecord/www', generation: 2, specHash: 'h', createdAt: '2026-01-01T00:00:00.000Z', internal: { secretish: 'never shown' },
  last: { apiVersion: 'livchat.ai/v1alpha1', kind: 'DNSRecord', metadata: { name: 'www' }, spec: { zone: 'example.com', name: 'www', type: 'A', content: '203.0.113.1' } },
  status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: '2026-01-01T00:00:00.000Z' }], events: [], observed: { recordId: 'abc' } },
};

async function serve(opts: { ready?: boolean; apiToken?: string } = {}) {
  const h = await startHttp({
    host: '127.0.0.1', port: 0, ...(opts.apiToken ? { apiToken: opts.apiToken } : {}),
    ready: () => opts.ready ?? true,
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'livchat_up 1\n' }),
    objects: () => [state],
  });
  close = h.close;
  return h.url;
}

describe('startHttp', () => {
  it('serves health, readiness, metrics and a Kubernetes-style List without controller-private data', async () => {
    const url = await serve({ ready: false });
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('livchat_up 1');
    const list = await (await fetch(`${url}/api/v1/objects`)).json() as { kind: string; items: Array<Record<string, unknown>> };
    expect(list.kind).toBe('List');
    expect(list.items[0]).toMatchObject({ kind: 'DNSRecord', metadata: { name: 'www', generation: 2 }, status: { recordId: 'abc', observedGeneration: 2 } });
    expect(JSON.stringify(list)).not.toContain('never shown');
    expect((await fetch(`${url}/api/v1/objects/DNSRecord/www`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/objects/DNSRecord/nope`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/objects`, { method: 'POST' })).status).toBe(405);
  });

  it('requires the bearer token everywhere but /healthz when one is set', async () => {
    const url = await serve({ apiToken: 'a-long-enough-api-token' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/objects`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await fetch(`${url}/api/v1/objects`, { headers: { authorization: 'Bearer a-long-enough-api-token' } })).status).toBe(200);
  });

  it('refuses a non-loopback listen address without a token, before binding anything', async () => {
    await expect(startHttp({ host: '0.0.0.0', port: 0, ready: () => true, metrics: async () => ({ contentType: '', body: '' }), objects: () => [] }))
      .rejects.toThrow(/requires --api-token-file/);
  });
});
