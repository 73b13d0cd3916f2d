// Client of the simulator's control API for host setup: SSH ports and boot host keys of simulated servers (simulated mode only).
import { TerminalError } from '../engine/errors.js';
import type { SimulatedHosts } from '../daemon/host-setup.js';

/** simulatedHosts asks the simulated cloud at controlUrl (its base URL, without /v1) where its servers listen. */
export function simulatedHosts(controlUrl: string): SimulatedHosts {
  return {
    async hostKey(serverId) {
      const res = await fetch(`${controlUrl}/_sim/hetzner/host-keys`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) return undefined;
      return ((await res.json()) as Record<string, string>)[String(serverId)];
    },
    async startPortainer(serverId, o) {
      // Idempotent like the role: an instance that exists keeps its state (its admin was created from the same file).
      const list = await fetch(`${controlUrl}/_sim/portainer/instances`, { signal: AbortSignal.timeout(10_000) });
      if (list.ok && ((await list.json()) as Array<{ id: number }>).some((i) => i.id === serverId)) return;
      const res = await fetch(`${controlUrl}/_sim/portainer/instance`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000),
        body: JSON.stringify({ id: serverId, adminPassword: o.adminPassword, nodeAddress: o.nodeAddress, traefikPublic: true }),
      });
      if (!res.ok) throw new TerminalError('SimulatorRefused', `the simulator did not start Portainer for server ${serverId}: ${res.status}`);
    },
    async sshPort(serverId) {
      const res = await fetch(`${controlUrl}/_sim/hetzner/ssh-endpoints`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new TerminalError('NoSshEndpoint', `the simulator's ssh-endpoints answered ${res.status}`);
      const map = (await res.json()) as Record<string, { port: number }>;
      const ep = map[String(serverId)];
      if (!ep) throw new TerminalError('NoSshEndpoint', `the simulator gave server ${serverId} no SSH endpoint`);
      return ep.port;
    },
  };
}
