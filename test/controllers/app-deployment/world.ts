// AppDeployment test world: simulated Cloudflare and Portainer on loopback, real clients, the real DNS and app controllers, a stub Server.
import { ManualClock } from '../../../src/engine/clock.js';
import type { Reconciler } from '../../../src/engine/reconciler.js';
import { SimClock, SimServer } from '../../../src/sim/framework.js';
import { createCloudflareSim, type CloudflareSim } from '../../../src/sim/cloudflare.js';
import { createPortainerSim, type PortainerSim } from '../../../src/sim/portainer.js';
import { embeddedWorld, simulatedAppProbe } from '../../../src/sim/app-probe.js';
import { AcmeLedger } from '../../../src/sim/acme.js';
import { CloudflareDns } from '../../../src/providers/cloudflare.js';
import { PortainerClient } from '../../../src/providers/portainer.js';
import { TokenBucket } from '../../../src/providers/limiter.js';
import { SecretRegistry } from '../../../src/obs/redact.js';
import { createDnsRecordController } from '../../../controllers/dns-record/controller.js';
import { isRecordNotFound } from '../../../controllers/dns-record/failure.js';
import { createAppDeploymentController } from '../../../controllers/app-deployment/controller.js';
import type { AppTemplate } from '../../../controllers/app-deployment/template.js';
import { findTemplate } from '../../../controllers/app-deployment/catalog/index.js';
import { startManager } from '../../helpers/harness.js';

export const TOKEN = 'sim-token-0123456789';
export const SERVER_ID = 7;
export const SERVER_IP = '203.0.113.7';
const ADMIN_PW = 'app-world-admin-password-01';

/** MemoryVault is the vault slice the controller uses, registering every value like the real vault. */
export class MemoryVault {
  readonly entries = new Map<string, string>();
  constructor(readonly registry: SecretRegistry) {}
  get(name: string): string | undefined { const v = this.entries.get(name); if (v) this.registry.register(v); return v; }
  set(name: string, value: string): void { this.registry.register(value); this.entries.set(name, value); }
  remove(name: string): boolean { return this.entries.delete(name); }
}

/** serverStub is a Server that is Ready with its infrastructure: what the app controller reads through depend(). */
function serverStub(): Reconciler {
  return {
    kind: 'Server',
    reconcile: async (ctx) => ctx.desired
      ? { ready: { status: 'True', reason: 'Available' }, observed: { id: SERVER_ID, ipv4: SERVER_IP, ipv6: undefined, hetznerStatus: 'running', location: 'nbg1', serverType: 'cx23', infrastructure: { ready: true, traefik: 'v3.7.17', portainer: '2.45.0', endpointId: 1, swarmId: 'x' } } }
      : { ready: { status: 'False', reason: 'Deleted' }, deleted: true },
  };
}

export interface World {
  sim: SimServer; simClock: SimClock; cloudflare: CloudflareSim; portainer: PortainerSim;
  vault: MemoryVault; registry: SecretRegistry; logs: string[];
  /** The same Portainer API the controller uses, for out-of-band changes (someone in Portainer's UI). */
  platform: PortainerClient;
  t: ReturnType<typeof startManager>;
  /** settle runs passes, moving both clocks by `stepMs`, until nothing is due or `maxSteps` passed. */
  settle(maxSteps?: number, stepMs?: number): Promise<void>;
  /** portainerWrites counts non-GET Portainer requests so far. */
  portainerWrites(): number;
  portainerRequests(): number;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function appWorld(o: { stateDir?: string; templates?: AppTemplate[]; vault?: MemoryVault; registry?: SecretRegistry; sim?: { server: SimServer; clock: SimClock; cloudflare: CloudflareSim; portainer: PortainerSim } } = {}): Promise<World> {
  const simClock = o.sim?.clock ?? new SimClock();
  const cloudflare = o.sim?.cloudflare ?? createCloudflareSim({ clock: simClock, zones: ['example.com'] });
  cloudflare.setConsistency(false);
  const portainer = o.sim?.portainer ?? createPortainerSim({ clock: simClock });
  const sim = o.sim?.server ?? new SimServer({ services: [cloudflare, portainer], token: TOKEN, clock: simClock });
  if (!o.sim) {
    await sim.listen();
    portainer.addInstance(SERVER_ID, { adminPassword: ADMIN_PW, nodeAddress: SERVER_IP, traefikPublic: true });
  }
  const base = `${sim.baseUrl('portainer')}/${SERVER_ID}`;
  const anon = new PortainerClient({ baseUrl: base });
  const { jwt, userId } = await anon.login('admin', ADMIN_PW);
  const apiKey = await anon.createToken(jwt, userId, ADMIN_PW, 'test');
  const registry = o.registry ?? new SecretRegistry();
  const vault = o.vault ?? new MemoryVault(registry);
  const logs: string[] = [];
  const limiter = () => new TokenBucket({ limit: 100_000, windowMs: 1000 });
  const cf = new CloudflareDns({ token: TOKEN, baseURL: sim.baseUrl('cloudflare'), limiter: limiter() });
  const platform = new PortainerClient({ baseUrl: base, apiKey, endpointId: 1, limiter: limiter() });
  const acme = new AcmeLedger(() => simClock.now());
  const extra = new Map((o.templates ?? []).map((t) => [t.name, t]));
  const make = (clock: ManualClock): Reconciler[] => [
    serverStub(),
    createDnsRecordController({ dns: cf, clock, isNotFound: isRecordNotFound }),
    createAppDeploymentController({ platform: () => platform, probe: simulatedAppProbe(embeddedWorld({ cloudflare, portainer }), acme), vault, clock, templates: (n) => extra.get(n) ?? findTemplate(n) }),
  ];
  const boot = (stateDir?: string): ReturnType<typeof startManager> => {
    const clock = new ManualClock();
    return startManager(make(clock), 'test', stateDir, clock);
  };
  let t = boot(o.stateDir);
  const world: World = {
    sim, simClock, cloudflare, portainer, vault, registry, logs, platform,
    get t() { return t; },
    async settle(maxSteps = 200, stepMs = 2000) {
      await t.mgr.idle();
      for (let i = 0; i < maxSteps; i++) {
        simClock.advance(stepMs);
        t.clock.advance(stepMs);
        await t.mgr.idle();
        const pending = [...t.store.keys()].some((k) => t.store.get(k)?.status.conditions.some((c) => c.type === 'Reconciling' && c.status === 'True'));
        if (!pending) return;
      }
    },
    portainerWrites() { return Object.entries(sim.requests().byRoute).filter(([r]) => !r.startsWith('GET ') && r.split(' ')[1]!.startsWith('/portainer')).reduce((n, [, c]) => n + c, 0); },
    portainerRequests() { return Object.entries(sim.requests().byRoute).filter(([r]) => r.split(' ')[1]!.startsWith('/portainer')).reduce((n, [, c]) => n + c, 0); },
    async restart() { await t.mgr.stop(); const dir = t.stateDir; const objects = [...t.source.objects.values()]; t = boot(dir); for (const d of objects) t.source.objects.set(d.key, d); t.mgr.start(); },
    async close() { await t.mgr.stop(); await sim.close(); },
  };
  return world;
}
