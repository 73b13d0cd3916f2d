// Routes host setup: simulated for documentation-range servers, real SSH + Ansible otherwise (loopback only in simulate mode).
// Where simulated servers listen comes from an injected resolver, so this file never talks to the simulator itself.
import { dirname, join } from 'node:path';
import type { Clock } from '../engine/clock.js';
import { TerminalError } from '../engine/errors.js';
import type { Logger } from '../obs/log.js';
import type { HostSetupInput, HostSetupPort } from '../host/port.js';
import { SimulatedHostSetup, isDocumentationAddress } from '../host/simulated-setup.js';
import { AnsibleHostSetup } from '../host/host-setup.js';
import { cachedPlaybookHash } from '../host/playbook-hash.js';
import { publicKeyFingerprintSha256 } from '../host/keys.js';
import { connectPinned } from '../host/ssh.js';
import { isLoopback } from '../net/loopback.js';
import { ansibleDir } from '../paths.js';
import type { Identity } from './identity.js';

/** SimulatedHosts resolves a simulated server's SSH endpoint and boot host key (injected in simulated mode). */
export interface SimulatedHosts {
  sshPort(serverId: number): Promise<number>;
  hostKey(serverId: number): Promise<string | undefined>;
  /** startPortainer gives a simulated server its Portainer once its infrastructure is set up (admin from the password file). */
  startPortainer(serverId: number, o: { adminPassword: string; nodeAddress: string }): Promise<void>;
}

export interface HostSetupOptions {
  simulated: boolean;
  /** Where simulated servers listen (SSH port, boot host key); the composition root passes it in simulated mode only. */
  hosts?: SimulatedHosts;
  identity: Identity;
  clock: Clock;
  log: Logger;
  /** Entry playbook; defaults to ansible/site.yml. */
  playbook?: string;
  extraVars?: Record<string, unknown>;
  sshWaitMs?: number;
}

/** buildHostSetup returns the HostSetupPort the Server controller uses. */
export function buildHostSetup(o: HostSetupOptions): HostSetupPort {
  const playbook = o.playbook ?? join(ansibleDir(), 'site.yml');
  // Hashed once per process; the Server controller's invalidate() (SIGHUP) makes the next read hash again.
  const cached = cachedPlaybookHash(dirname(playbook));
  const hash = (): Promise<string> => cached.get();
  const simulated = new SimulatedHostSetup(hash, o.simulated && o.hosts ? simulatedHostKey : undefined, undefined, o.simulated && o.hosts ? (id, infra) => o.hosts!.startPortainer(id, infra) : undefined);
  const ansible = new AnsibleHostSetup({ playbook, clock: o.clock, hash, ...(o.extraVars ? { extraVars: o.extraVars } : {}), ...(o.sshWaitMs ? { sshWaitMs: o.sshWaitMs } : {}) });

  /** simulatedHostKey is the host key a simulated server booted with (from its cloud-init). */
  function simulatedHostKey(input: HostSetupInput): Promise<string | undefined> { return o.hosts!.hostKey(input.serverId); }

  async function sshPort(input: HostSetupInput): Promise<number> {
    if (!o.simulated) return 22;
    if (!o.hosts) throw new TerminalError('NoSshEndpoint', `no simulated endpoint resolver for server ${input.serverId}`);
    return o.hosts.sshPort(input.serverId);
  }

  return {
    playbookHash: hash,
    invalidate: () => cached.invalidate(),
    async setup(input, signal, onLine) {
      if (isDocumentationAddress(input.ipv4)) {
        if (!o.simulated) throw new TerminalError('DocumentationAddress', `${input.ipv4} is a documentation address; nothing connects to it`);
        return simulated.setup(input, signal, onLine);
      }
      // In simulate mode nothing outside loopback is ever contacted.
      if (o.simulated && !isLoopback(input.ipv4)) throw new TerminalError('NotLoopback', `simulate mode only contacts loopback servers, not ${input.ipv4}`);
      // Never trust on first use: an unpinned server is accepted only with the fingerprint a person approved.
      if (!input.hostKey && !input.approvedFingerprint) throw new TerminalError('HostKeyUnknown', `no pinned host key for ${input.name}`);
      const port = await sshPort(input);
      const { privateKey } = o.identity.get();
      let hostKey = input.hostKey;
      let recorded: string | undefined;
      if (!hostKey) {
        // The key is checked against the approved fingerprint before authentication (connectPinned's host verifier).
        const conn = await connectPinned({ host: input.ipv4, port, username: 'root', privateKey, signal, approvedFingerprint: input.approvedFingerprint });
        const seen = conn.hostKey;
        conn.close();
        const fp = publicKeyFingerprintSha256(seen);
        recorded = hostKey = seen;
        onLine(`ssh: pinned the approved host key ${fp} of ${input.ipv4}`);
      }
      const res = await ansible.setup(
        { host: input.ipv4, port, privateKey, hostKey, hostname: input.name, authorizedKeys: input.authorizedKeys, setup: input.setup, ...(input.infrastructure ? { infrastructure: input.infrastructure } : {}) },
        signal, onLine,
      );
      return { playbookHash: res.playbookHash, ...(recorded ? { hostKey: recorded } : {}) };
    },
  };
}
