// `livchat simulate` in-process: one JSON line with the three URLs, real loopback service, persistence, clean exit on SIGTERM.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { memoryIO, tempDir, until, type MemoryIO } from '../helpers/cli.js';

const TOKEN = 'simulate-test-token-0123456789';

/** start runs `livchat simulate` until its JSON line appears; stop() sends a signal and returns the exit code. */
async function start(extra: string[] = []) {
  const io: MemoryIO = memoryIO();
  const exit = runCli(['simulate', '--token', TOKEN, ...extra], io);
  let code: number | undefined;
  void exit.then((c) => { code = c; });
  const line = await until(() => (io.out().includes('\n') ? io.out() : code !== undefined ? `exited ${code}: ${io.err()}` : undefined), 5000, 'the JSON line');
  const urls = JSON.parse(line) as { url: string; hetzner: string; cloudflare: string };
  const stop = async (signal = 'SIGTERM'): Promise<number> => { io.signals.emit(signal); return exit; };
  return { io, urls, stop, line };
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('livchat simulate', () => {
  it('prints exactly one JSON line {url, hetzner, cloudflare, portainer, edge} and serves the APIs until SIGTERM', async () => {
    const { io, urls, stop, line } = await start(['--zone', 'example.com', '--zone', 'example.org']);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd().split('\n')).toHaveLength(1);
    expect(Object.keys(urls).sort()).toEqual(['cloudflare', 'edge', 'hetzner', 'portainer', 'url']);
    expect(urls.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.hetzner).toBe(`${urls.url}/v1`);
    expect(urls.cloudflare).toBe(`${urls.url}/client/v4`);
    // The server with Hetzner id N is served at <portainer>/N/api/…; none is set up yet, so nothing answers behind it.
    expect(urls.portainer).toBe(`${urls.url}/portainer`);
    expect((await fetch(`${urls.portainer}/1/api/system/status`)).status).toBe(502);
    // The edge answers like Traefik: no router for a host is its 404.
    const edge = await fetch(urls.edge);
    expect([edge.status, await edge.text()]).toEqual([404, '404 page not found\n']);

    const zones = await fetch(`${urls.cloudflare}/zones`, { headers: auth });
    expect(zones.status).toBe(200);
    const body = await zones.json() as { success: boolean; result: Array<{ name: string }> };
    expect(body.success).toBe(true);
    expect(body.result.map((z) => z.name).sort()).toEqual(['example.com', 'example.org']);
    expect((await fetch(`${urls.hetzner}/servers`, { headers: auth })).status).toBe(200);
    // --token makes every other token fail like the real APIs do.
    expect((await fetch(`${urls.cloudflare}/zones`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(403);
    expect((await fetch(`${urls.hetzner}/servers`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);

    expect(io.signals.listenerCount('SIGTERM')).toBe(1);
    expect(await stop()).toBe(0);
    expect(io.signals.listenerCount('SIGTERM')).toBe(0);
    expect(io.signals.listenerCount('SIGINT')).toBe(0);
    await expect(fetch(`${urls.cloudflare}/zones`, { headers: auth })).rejects.toThrow();
    expect(io.out()).toBe(line);
    expect(io.err()).toBe('');
  });

  it('SIGINT stops it too', async () => {
    const { stop } = await start();
    expect(await stop('SIGINT')).toBe(0);
  });

  it('--state-file keeps the simulated world across runs', async () => {
    const file = join(tempDir('lc-simulate-'), 'world.json');
    const first = await start(['--zone', 'example.com', '--state-file', file]);
    const zones = await (await fetch(`${first.urls.cloudflare}/zones?name=example.com`, { headers: auth })).json() as { result: Array<{ id: string }> };
    const zoneId = zones.result[0]!.id;
    const created = await fetch(`${first.urls.cloudflare}/zones/${zoneId}/dns_records`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'A', name: 'kept', content: '203.0.113.44', ttl: 1 }),
    });
    expect(created.status).toBe(200);
    expect(await first.stop()).toBe(0);
    expect(existsSync(file)).toBe(true);

    const second = await start(['--state-file', file]);
    const list = await (await fetch(`${second.urls.cloudflare}/zones/${zoneId}/dns_records`, { headers: auth })).json() as { result: Array<{ name: string; content: string }> };
    expect(list.result).toEqual([expect.objectContaining({ name: 'kept.example.com', content: '203.0.113.44' })]);
    expect(await second.stop()).toBe(0);
  });
});
