// Test harness: simulated cloud over loopback, real clients, real controllers, a manager on a manual clock.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, realClock } from '../../src/engine/clock.js';
import { Manager } from '../../src/engine/manager.js';
import type { Reconciler } from '../../src/engine/reconciler.js';
import { StatusStore } from '../../src/store/status-store.js';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createCloudflareSim, type CloudflareSim } from '../../src/sim/cloudflare.js';
import { createHetznerSim, type HetznerSim } from '../../src/sim/hetzner.js';
import { CloudflareDns } from '../../src/providers/cloudflare.js';
import { HetznerClient } from '../../src/providers/hetzner.js';
import { TokenBucket } from '../../src/providers/limiter.js';
import { createLogger } from '../../src/obs/log.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { MemorySource } from './memory-source.js';

export const TOKEN = 'sim-token-0123456789';

/** startCloud starts a SimServer with the Cloudflare and Hetzner simulators and returns clients for both. */
export async function startCloud(opts: { zones?: string[]; actionDurationMs?: number } = {}) {
  const simClock = new SimClock();
  const cloudflare: CloudflareSim = createCloudflareSim({ clock: simClock, zones: opts.zones ?? ['example.com'] });
  const hetzner: HetznerSim = createHetznerSim({ clock: simClock, actionDurationMs: opts.actionDurationMs ?? 0 });
  const server = new SimServer({ services: [hetzner, cloudflare], token: TOKEN, clock: simClock });
  await server.listen();
  const cf = new CloudflareDns({ token: TOKEN, baseURL: server.baseUrl('cloudflare'), limiter: new TokenBucket({ limit: 100_000, windowMs: 1000 }) });
  const hc = new HetznerClient({ token: TOKEN, endpoint: server.baseUrl('hetzner'), limiter: new TokenBucket({ limit: 100_000, windowMs: 1000 }) });
  return { server, cloudflare, hetzner, cf, hc, simClock, realClock };
}

/** writes counts non-GET requests the simulator served, optionally under one path prefix. */
export function writes(server: SimServer, prefix = ''): number {
  return Object.entries(server.requests().byRoute)
    .filter(([route]) => !route.startsWith('GET ') && route.split(' ')[1]!.startsWith(prefix))
    .reduce((n, [, c]) => n + c, 0);
}

/** lists counts GET requests on one route template. */
export function count(server: SimServer, route: string): number {
  return server.requests().byRoute[route] ?? 0;
}

/** startManager runs reconcilers over an in-memory desired source on a manual clock; pass stateDir to restart on existing state. */
export function startManager(reconcilers: Reconciler[], instance = 'test', stateDir = mkdtempSync(join(tmpdir(), 'lc-ctl-')), clock = new ManualClock()) {
  const source = new MemorySource();
  const store = new StatusStore(stateDir);
  store.load();
  // Controller tests delete at once: the removal grace and the mass-deletion hold are tested in test/engine/manager*.
  const mgr = new Manager({ reconcilers, desired: source, store, clock, log: createLogger({ level: 'silent' }), instance, metrics: createMetrics(), removalGraceMs: 0, holdMassDeletions: false });
  return { clock, source, store, mgr, stateDir };
}
