// The daemon operations: the same calls in-process (localOps) and over the HTTP API (remoteOps), incl. enqueue-now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import { DeletionHold } from '../../src/engine/prune-guard.js';
import { DaemonRefused, localOps, remoteOps, type OpsRuntime } from '../../src/ops/daemon-ops.js';
import type { ObjectState } from '../../src/store/status-store.js';

const TOKEN = 'ops-token-0123456789abc';
const hold = new DeletionHold();
const enqueued: string[] = [];
const states = [{ key: 'DNSRecord/www', generation: 1, createdAt: '2026-01-01T00:00:00Z', status: { conditions: [], events: [] } }] as unknown as ObjectState[];
const rt: OpsRuntime = {
  store: { list: () => states },
  manager: { enqueue: (k) => { enqueued.push(k); }, handles: (k) => k.startsWith('DNSRecord/') || k.startsWith('Server/') },
  heldDeletions: () => hold.held(),
  confirmDeletions: (keys) => hold.confirm(keys),
};
const local = localOps(rt);
let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp({
    host: '127.0.0.1', port: 0, apiToken: TOKEN, ready: () => true,
    metrics: async () => ({ contentType: 'text/plain', body: '' }), objects: () => rt.store.list(),
    heldDeletions: () => rt.heldDeletions(), confirmDeletions: (keys) => rt.confirmDeletions(keys), enqueueNow: (k) => local.enqueueNow(k),
  });
});
afterAll(async () => { await http.close(); });

describe('daemon ops', () => {
  it('enqueueNow: in-process and over HTTP reach the same manager; an unhandled kind is false', async () => {
    enqueued.length = 0;
    expect(await local.enqueueNow('DNSRecord/www')).toBe(true);
    const remote = remoteOps(http.url, TOKEN);
    expect(await remote.enqueueNow('DNSRecord/api')).toBe(true);
    // The kind is matched case-insensitively and canonicalised before it reaches the manager.
    expect(await remote.enqueueNow('server/prod')).toBe(true);
    expect(await remote.enqueueNow('AppDeployment/x')).toBe(false);
    expect(await remote.enqueueNow('Nope/x')).toBe(false);
    expect(enqueued).toEqual(['DNSRecord/www', 'DNSRecord/api', 'Server/prod']);
  });

  it('the enqueue route needs the token and a JSON body', async () => {
    enqueued.length = 0;
    await expect(remoteOps(http.url).enqueueNow('DNSRecord/www')).rejects.toBeInstanceOf(DaemonRefused);
    const form = await fetch(`${http.url}/api/v1/objects/DNSRecord/www/reconcile`, { method: 'POST', body: 'x=1', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(enqueued).toEqual([]);
  });

  it('objects, held and confirm give the same answers both ways', async () => {
    const five = ['DNSRecord/a', 'DNSRecord/b', 'DNSRecord/c', 'DNSRecord/d', 'DNSRecord/e'];
    hold.recompute(five, 6, 1);
    const remote = remoteOps(http.url, TOKEN);
    expect(await remote.objects()).toEqual(await local.objects());
    expect((await local.objects()).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['DNSRecord/www']);
    expect(await remote.heldDeletions()).toEqual(await local.heldDeletions());
    expect(await remote.confirmDeletions(['DNSRecord/a'])).toMatchObject({ ok: false, held: five });
    expect(await remote.confirmDeletions(five)).toEqual({ ok: true, confirmed: five });
    expect(await local.heldDeletions()).toEqual([]);
  });
});
