// The HTTP endpoint under many idle sockets: a connection cap, a short header timeout, and it keeps answering.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_LIMITS, startHttp } from '../../src/http/server.js';
import { waitFor } from '../helpers/daemon.js';

let cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanup.reverse()) await c(); cleanup = []; });

/** idleSockets opens n loopback connections that never send a byte, and tracks which ones the server closed. */
async function idleSockets(url: string, n: number): Promise<{ sockets: Socket[]; closed: () => number }> {
  const { port } = new URL(url);
  let closed = 0;
  const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<Socket>((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined);
    s.on('close', () => { closed++; });
    s.once('error', reject);
  })));
  cleanup.push(() => { for (const s of sockets) s.destroy(); });
  return { sockets, closed: () => closed };
}

describe('HTTP limits', () => {
  it('has defaults: a connection cap and short header, request and keep-alive timeouts', () => {
    expect(DEFAULT_HTTP_LIMITS.maxConnections).toBeLessThanOrEqual(256);
    expect(DEFAULT_HTTP_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(DEFAULT_HTTP_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs).toBeLessThanOrEqual(5_000);
  });

  it('keeps open sockets under the cap with 150 idle clients, closes idle ones after the header timeout, and answers again', async () => {
    const h = await startHttp({
      host: '127.0.0.1', port: 0, ready: () => true, objects: () => [],
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      limits: { maxConnections: 40, headersTimeoutMs: 400, requestTimeoutMs: 800, checkIntervalMs: 100 },
    });
    cleanup.push(() => h.close());
    const idle = await idleSockets(h.url, 150);
    // Everything above the cap is closed on accept; the server never holds more than the cap.
    await waitFor(() => idle.closed() >= 110, { timeoutMs: 10_000, what: 'sockets over the cap closed' });
    expect(await h.connections()).toBeLessThanOrEqual(40);
    // The idle ones inside the cap never sent headers: the header timeout frees them.
    await waitFor(() => idle.closed() === 150, { timeoutMs: 10_000, what: 'idle sockets closed by the header timeout' });
    expect(await h.connections()).toBe(0);
    const res = await fetch(`${h.url}/healthz`);
    expect(await res.text()).toBe('ok\n');
  });

  it('answers while idle sockets below the cap are held open', async () => {
    const h = await startHttp({
      host: '127.0.0.1', port: 0, ready: () => true, objects: () => [],
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      limits: { maxConnections: 100 },
    });
    cleanup.push(() => h.close());
    await idleSockets(h.url, 80);
    for (let i = 0; i < 5; i++) expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(await h.connections()).toBeLessThanOrEqual(100);
  });

  it('/readyz is 503 with the reason when notReadyReason says so', async () => {
    let why: string | undefined = 'status cannot be written: ENOSPC';
    const h = await startHttp({
      host: '127.0.0.1', port: 0, ready: () => true, objects: () => [], notReadyReason: () => why,
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
    });
    cleanup.push(() => h.close());
    const res = await fetch(`${h.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('ENOSPC');
    why = undefined;
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  });
});
