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
