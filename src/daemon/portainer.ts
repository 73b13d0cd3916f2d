// Reaching each server's Portainer: one client per server (token from the vault), simulated over loopback or real through the SSH tunnel.
import type { Agent } from 'node:http';
import type { Clock } from '../engine/clock.js';
import { TerminalError } from '../engine/errors.js';
import type { Metrics } from '../obs/metrics.js';
import { PortainerClient } from '../providers/portainer.js';
import { TokenBucket } from '../providers/limiter.js';
import { PORTAINER_DEFAULT_LIMIT } from '../providers/portainer.js';
import { PORTAINER_PORT } from '../host/infra-versions.js';
import { TunnelAgent } from '../host/tunnel.js';
import { connectPinned } from '../host/ssh.js';
import type { Identity } from './identity.js';

/** PortainerServer names one server as the AppDeployment and Server kinds know it. */
export interface PortainerServer { name: string; id: number; ipv4: string; endpointId?: number }

export interface PortainerAccessOptions {
  /** Simulated mode: every server's Portainer is the simulator's `<portainerUrl>/<server id>` on loopback. */
  simulatedUrl?: string;
  /** Real mode: an http.Agent whose connections are SSH channels to the server's loopback Portainer port. */
  tunnel?: (server: PortainerServer) => Agent;
  token(server: string): string | undefined;
  clock: Clock;
  metrics?: Metrics;
}

/** PortainerAccess hands out the per-server clients (reused while the token is the same) and bootstraps tokens. */
export function portainerAccess(o: PortainerAccessOptions) {
  const clients = new Map<string, { token: string | undefined; endpointId: number | undefined; client: PortainerClient }>();
  const onRequest = (op: string, status: number): void => { o.metrics?.providerApiRequests.inc({ provider: 'portainer', operation: op, code: String(status) }); };

  function base(server: PortainerServer): { baseUrl: string; agent?: Agent } {
    if (o.simulatedUrl) return { baseUrl: `${o.simulatedUrl.replace(/\/+$/, '')}/${server.id}` };
    if (!o.tunnel) throw new TerminalError('TunnelUnavailable', `no SSH tunnel to reach Portainer on ${server.name}`);
    // Plain HTTP inside the SSH channel to the host's own loopback: the channel is the authenticated, encrypted hop.
    return { baseUrl: `http://127.0.0.1:${PORTAINER_PORT}`, agent: o.tunnel(server) };
  }

  function client(server: PortainerServer, apiKey?: string): PortainerClient {
    const b = base(server);
    return new PortainerClient({
      ...b, clock: o.clock, onRequest, limiter: new TokenBucket({ ...PORTAINER_DEFAULT_LIMIT, clock: o.clock }),
      ...(apiKey ? { apiKey } : {}), ...(server.endpointId !== undefined ? { endpointId: server.endpointId } : {}),
    });
  }

  return {
    /** platform returns the server's client with its vaulted token; a changed token or endpoint builds a new one. */
    platform(server: PortainerServer): PortainerClient {
      const token = o.token(server.name);
      const cur = clients.get(server.name);
      if (cur && cur.token === token && cur.endpointId === server.endpointId) return cur.client;
      if (!token) throw new TerminalError('PortainerTokenMissing', `no Portainer API token for ${server.name} in the vault yet; the Server's reconcile creates it`);
      const c = client(server, token);
      clients.set(server.name, { token, endpointId: server.endpointId, client: c });
      return c;
    },
    /** bootstrap logs in as the admin (created from the password file) and mints the daemon's API token. */
    async bootstrap(server: PortainerServer, admin: { username: string; password: string }): Promise<{ token: string; endpointId: number; swarmId: string; version: string }> {
      const anon = client(server);
      const status = await anon.systemStatus();
      if (!(await anon.adminInitialised())) throw new TerminalError('PortainerNotInitialised', `Portainer on ${server.name} has no admin: the infrastructure role hands it the password file; run the setup again`);
      const { jwt, userId } = await anon.login(admin.username, admin.password);
      const token = await anon.createToken(jwt, userId, admin.password, `livchat ${new Date(o.clock.now()).toISOString()}`);
      const env = await anon.withApiKey(token).environment();
      return { token, endpointId: env.endpointId, swarmId: env.swarmId, version: status.version };
    },
  };
}

/** tunnels returns one TunnelAgent per server (one SSH session each), logging in as root with the daemon's key and the pinned host key. */
export function tunnels(identity: Identity): (server: PortainerServer) => Agent {
  const agents = new Map<string, { ip: string; agent: TunnelAgent }>();
  return (server) => {
    const cur = agents.get(server.name);
    if (cur && cur.ip === server.ipv4) return cur.agent;
    cur?.agent.destroy();
    const agent = new TunnelAgent({
      targetPort: PORTAINER_PORT,
      connect: async () => {
        const hostKey = identity.serverDeps.hostKeys.pinned(server.name);
        // Never trust on first use: without a pin there is no tunnel (the Server's setup pins the key first).
        if (!hostKey) throw new TerminalError('HostKeyUnknown', `no pinned SSH host key for ${server.name}; the tunnel to Portainer waits for the Server's setup`);
        return connectPinned({ host: server.ipv4, port: 22, username: 'root', privateKey: identity.get().privateKey, expectedHostKey: hostKey });
      },
    });
    agents.set(server.name, { ip: server.ipv4, agent });
    return agent;
  };
}
