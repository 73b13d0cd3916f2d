// The Cloudflare client paces bursts under the API's 200 requests/s per IP, so a burst never meets a 429.
import { afterEach, describe, expect, it } from 'vitest';
import { CloudflareDns } from '../../src/providers/cloudflare.js';
import { TokenBucket } from '../../src/providers/limiter.js';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createCloudflareSim } from '../../src/sim/cloudflare.js';

let server: SimServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

describe('per-IP pacing', () => {
  it('260 concurrent calls with a roomy token budget get zero 429s from the 200/s per-IP cap', async () => {
    const clock = new SimClock();
    const sim = createCloudflareSim({ clock, zones: ['example.com'] });
    server = new SimServer({ services: [sim], clock, token: 'pace-token' });
    await server.listen();
    const cf = new CloudflareDns({ token: 'pace-token', baseURL: server.baseUrl('cloudflare'), limiter: new TokenBucket({ limit: 100_000, windowMs: 1000 }), maxRetries: 0 });
    const found = await Promise.all(Array.from({ length: 260 }, () => cf.findZone('example.com')));
    expect(found.every((z) => z?.name === 'example.com')).toBe(true);
    expect(server.requests().byStatus['429'] ?? 0).toBe(0);
    expect(server.requests().total).toBe(260);
  });
});
