// The simulated cloud: every provider simulator on one loopback port, as used by `--simulate` and `livchat simulate`.
import { SimClock, SimServer } from './framework.js';
import { createCloudflareSim, SEEDED_ZONE_CREATED, type CloudflareSim } from './cloudflare.js';
import { createHetznerSim, type HetznerSim } from './hetzner.js';
import { createPortainerSim, type PortainerSim } from './portainer.js';
import { startEdge } from './edge.js';

export interface SimCloudOptions {
  host?: string;
  port?: number;
  /** Required bearer token; any non-empty token when absent. */
  token?: string;
  /** Persist the simulated world here so repeated runs see the same world. */
  stateFile?: string;
  /** Zones to make sure exist (seeded on top of any persisted state). */
  zones?: string[];
  clock?: SimClock;
  /** Hetzner action duration in simulated ms. */
  actionDurationMs?: number;
}

/** SimCloudUrls is the JSON line `livchat simulate` prints. */
export interface SimCloudUrls { url: string; hetzner: string; cloudflare: string; portainer: string; edge: string }

/** startSimCloud starts the combined simulator and returns it with its base URLs. */
export async function startSimCloud(opts: SimCloudOptions = {}): Promise<{ server: SimServer; urls: SimCloudUrls; cloudflare: CloudflareSim; hetzner: HetznerSim; portainer: PortainerSim; close(): Promise<void> }> {
  const clock = opts.clock ?? new SimClock();
  // Zones given here are seeds: a reset brings them back.
  const cloudflare = createCloudflareSim({ clock, zones: (opts.zones ?? []).map((z) => z.toLowerCase()) });
  const hetzner = createHetznerSim({ clock, ...(opts.actionDurationMs !== undefined ? { actionDurationMs: opts.actionDurationMs } : {}) });
  // One Portainer per simulated server, added when its infrastructure is set up (served at /portainer/<server id>).
  const portainer = createPortainerSim({ clock });
  const server = new SimServer({
    services: [hetzner, cloudflare, portainer], clock,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.stateFile ? { stateFile: opts.stateFile } : {}),
  });
  const known = new Set([...cloudflare.state.zones.values()].map((z) => z.name));
  for (const z of opts.zones ?? []) if (!known.has(z.toLowerCase())) cloudflare.addZone(z.toLowerCase(), 'free', SEEDED_ZONE_CREATED);
  server.save();
  const url = await server.listen();
  // The edge is where `curl -H 'Host: …'` reaches the simulated apps (Traefik's websecure entrypoint, as plain HTTP on loopback).
  const edge = await startEdge(() => portainer.edgeRoutes());
  return {
    server, cloudflare, hetzner, portainer,
    urls: { url, hetzner: server.baseUrl('hetzner'), cloudflare: server.baseUrl('cloudflare'), portainer: server.baseUrl('portainer'), edge: edge.url },
    async close() { await edge.close(); await server.close(); },
  };
}
