// The confirm endpoint: POST only, bearer token when configured, JSON only (no cross-site form), exact held set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import { DeletionHold } from '../../src/engine/prune-guard.js';

const TOKEN = 'confirm-token-0123456789';
const hold = new DeletionHold();
let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  hold.recompute(['DNSRecord/a', 'DNSRecord/b', 'DNSRecord/c', 'DNSRecord/d', 'DNSRecord/e'], 6, 1);
  http = await startHttp({
    host: '127.0.0.1', port: 0, apiToken: TOKEN, ready: () => true,
    metrics: async () => ({ contentType: 'text/plain', body: '' }), objects: () => [],
    heldDeletions: () => hold.held(), confirmDeletions: (keys) => hold.confirm(keys),
  });
});
afterAll(async () => { await http.close(); });

const post = (body: string, headers: Record<string, string>) => fetch(`${http.url}/api/v1/deletions/confirm`, { method: 'POST', body, headers });
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

describe('POST /api/v1/deletions/confirm', () => {
  it('refuses without the token, without a JSON body, with a malformed body, or with another set; confirms the exact set', async () => {
    expect((await post(JSON.stringify({ keys: hold.held() }), { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post(`keys=${hold.held().join(',')}`, { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('{"keys": "DNSRecord/a"}', auth)).status).toBe(400);
    const other = await post(JSON.stringify({ keys: ['DNSRecord/a'] }), auth);
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ held: hold.held() });
    expect(hold.held()).toHaveLength(5);
    const held = await fetch(`${http.url}/api/v1/deletions/held`, { headers: auth });
    expect(await held.json()).toEqual({ held: hold.held() });
    const ok = await post(JSON.stringify({ keys: hold.held() }), auth);
    expect(ok.status).toBe(200);
    expect((await ok.json() as { confirmed: string[] }).confirmed).toHaveLength(5);
    expect(hold.held()).toEqual([]);
    // Everything else stays read-only.
    expect((await fetch(`${http.url}/api/v1/objects`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(405);
  });
});
