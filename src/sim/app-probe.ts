// The simulated outside view of apps: DNS from the simulated Cloudflare zones, routing and certificates from the simulated Traefik labels.
import type { CfRecord, CloudflareSim } from './cloudflare.js';
import type { PortainerRoute, PortainerSim } from './portainer.js';
import { AcmeLedger } from './acme.js';

/** EdgeWorld is what the probe reads: the A records of every simulated zone and the edge's view of every service. */
export interface EdgeWorld {
  aRecords(host: string): Promise<string[]>;
  routes(): Promise<PortainerRoute[]>;
}

/** embeddedWorld reads the simulators in this process directly. */
export function embeddedWorld(s: { cloudflare: CloudflareSim; portainer: PortainerSim }): EdgeWorld {
  return {
    async aRecords(host) {
      const name = host.toLowerCase();
      const out: string[] = [];
      for (const records of s.cloudflare.state.records.values()) for (const r of records.values()) if (r.type === 'A' && r.name.toLowerCase() === name) out.push(r.content);
      return out.sort();
    },
    async routes() { return s.portainer.edgeRoutes(); },
  };
}

/** remoteWorld reads a running `livchat simulate` through its loopback control API. */
export function remoteWorld(controlUrl: string): EdgeWorld {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${controlUrl.replace(/\/+$/, '')}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`simulator ${path} answered ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    async aRecords(host) {
      const state = await get<{ cloudflare?: { records?: Record<string, CfRecord[]> } }>('/_sim/state');
      const name = host.toLowerCase();
      return Object.values(state.cloudflare?.records ?? {}).flat().filter((r) => r.type === 'A' && r.name.toLowerCase() === name).map((r) => r.content).sort();
    },
    routes: () => get<PortainerRoute[]>('/_sim/portainer/routes'),
  };
}

/** Router is one Traefik router read from a service's labels. */
export interface Router { host: string; pathPrefix: string | undefined; tls: boolean; route: PortainerRoute }

const RULE = /^Host\(`([^`]+)`\)(?:\s*&&\s*PathPrefix\(`([^`]+)`\))?$/;

/** routersOf reads `traefik.http.routers.<r>.rule` (Host, optionally && PathPrefix) of services with traefik.enable=true. */
function routersOf(routes: readonly PortainerRoute[]): Router[] {
  const out: Router[] = [];
  for (const route of routes) {
    if (route.labels['traefik.enable'] !== 'true') continue;
    for (const [k, v] of Object.entries(route.labels)) {
      const m = /^traefik\.http\.routers\.([^.]+)\.rule$/.exec(k);
      const rule = m ? RULE.exec(v.trim()) : null;
      if (!m || !rule) continue;
      out.push({ host: rule[1]!.toLowerCase(), pathPrefix: rule[2], tls: !!route.labels[`traefik.http.routers.${m[1]}.tls.certresolver`], route });
    }
  }
  return out;
}

/** matchRouter picks the router Traefik would use for a request (optionally only on one server's node). */
export function matchRouter(routes: readonly PortainerRoute[], host: string, path: string, address?: string): Router | undefined {
  return routersOf(routes)
    .filter((r) => r.host === host.toLowerCase() && (address === undefined || r.route.nodeAddress === address) && (!r.pathPrefix || path.startsWith(r.pathPrefix)))
    // Traefik's default priority: the longer rule wins, so a PathPrefix router beats the bare Host one.
    .sort((a, b) => (b.pathPrefix?.length ?? 0) - (a.pathPrefix?.length ?? 0))[0];
}

/** simulatedAppProbe answers like the public internet would for simulated servers, without any socket to them. */
export function simulatedAppProbe(world: EdgeWorld, acme: AcmeLedger = new AcmeLedger(Date.now)) {
  const resolve = (host: string): Promise<string[]> => world.aRecords(host);
  const match = async (host: string, address: string, path = '/'): Promise<Router | undefined> => matchRouter(await world.routes(), host, path, address);
  return {
    resolve,
    async certificate(host: string, address: string) {
      const r = await match(host, address);
      if (!r?.tls) return { valid: false, traefikDefault: true, error: `no TLS router for ${host}` };
      // Issuance passes the HTTP challenge only when the name resolves to the server Traefik runs on.
      const answers = await resolve(host);
      const got = acme.certificate(host.toLowerCase(), () => answers.includes(address));
      return got.cert ? { valid: true, traefikDefault: false, issuer: got.cert.issuer } : { valid: false, traefikDefault: true, error: got.error! };
    },
    async health(host: string, address: string, path: string) {
      const r = await match(host, address, path);
      if (!r) return { status: 404, error: '404 page not found' };
      return r.route.runningHealthyTasks > 0 ? { status: 200 } : { status: 503, error: 'no available server' };
    },
  };
}
