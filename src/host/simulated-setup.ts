// Host setup for simulated servers at documentation-range addresses: reports the playbook steps, never connects.
import { TerminalError } from '../engine/errors.js';
import { publicKeyFingerprintSha256, sameKey } from './keys.js';
import type { HostSetupInput, HostSetupPort } from './port.js';

const STEPS = ['base : packages and updates', 'base : timezone, hostname and swap', 'base : SSH hardening', 'firewall : nftables and DOCKER-USER rules', 'docker : Docker CE', 'swarm : single-node swarm and overlay network'];
const INFRA_STEPS = ['infrastructure : traefik-public overlay', 'infrastructure : Traefik stack', 'infrastructure : Portainer and agent stack'];

/** StartPortainer brings up a simulated server's Portainer, as the infrastructure role's stack would. */
export type StartPortainer = (serverId: number, o: { adminPassword: string; nodeAddress: string }) => Promise<void>;

/** isDocumentationAddress tells whether an IPv4 is in TEST-NET-3 (203.0.113.0/24), where nothing may be contacted. */
export function isDocumentationAddress(ip: string): boolean {
  return /^203\.0\.113\.\d{1,3}$/.test(ip) || /^2001:0?db8:/i.test(ip);
}

/** The host key a simulated server would present (from its cloud-init), or undefined when it is unknown. */
export type PresentedHostKey = (input: HostSetupInput) => Promise<string | undefined>;

/**
 * SimulatedHostSetup walks the playbook's steps as output lines and returns the real playbook hash. With `presented`,
 * it checks host keys like the real path: the pin must match, and an unpinned server needs an approved fingerprint.
 */
export class SimulatedHostSetup implements HostSetupPort {
  constructor(private readonly hash: () => Promise<string>, private readonly presented?: PresentedHostKey, private readonly onInvalidate?: () => void, private readonly startPortainer?: StartPortainer) {}

  playbookHash(): Promise<string> { return this.hash(); }

  invalidate(): void { this.onInvalidate?.(); }

  async setup(input: HostSetupInput, signal: AbortSignal, onLine: (line: string) => void): Promise<{ playbookHash: string; hostKey?: string }> {
    if (!isDocumentationAddress(input.ipv4)) throw new Error(`refusing to simulate setup for ${input.ipv4}: only documentation-range servers are simulated`);
    const recorded = await this.#checkHostKey(input);
    onLine(`PLAY [livchat host setup (simulated: ${input.name} at ${input.ipv4}, nothing is contacted)] ***`);
    const steps = input.infrastructure ? [...STEPS, ...INFRA_STEPS] : STEPS;
    for (const step of steps) {
      signal.throwIfAborted();
      onLine(`TASK [${step}] ***`);
      onLine(`ok: [${input.name}]`);
    }
    if (input.infrastructure && this.startPortainer) await this.startPortainer(input.serverId, { adminPassword: input.infrastructure.adminPassword, nodeAddress: input.ipv4 });
    onLine(`PLAY RECAP ***`);
    onLine(`${input.name} : ok=${steps.length} changed=0 unreachable=0 failed=0`);
    return { playbookHash: await this.hash(), ...(recorded ? { hostKey: recorded } : {}) };
  }

  /** #checkHostKey returns the key to pin when an approved fingerprint matched, and throws where real SSH would refuse. */
  async #checkHostKey(input: HostSetupInput): Promise<string | undefined> {
    const shown = this.presented ? await this.presented(input) : undefined;
    if (input.hostKey) {
      if (shown && !sameKey(shown, input.hostKey)) {
        throw new TerminalError('HostKeyMismatch', `ssh ${input.ipv4}: host key ${publicKeyFingerprintSha256(shown)} does not match pinned ${publicKeyFingerprintSha256(input.hostKey)}`);
      }
      return undefined;
    }
    if (!input.approvedFingerprint) throw new TerminalError('HostKeyUnknown', `no pinned host key for ${input.name}`);
    if (!shown) throw new TerminalError('HostKeyUnknown', `simulated server ${input.name} presents no host key to compare with the approved fingerprint`);
    const fp = publicKeyFingerprintSha256(shown);
    if (fp !== input.approvedFingerprint) {
      throw new TerminalError('HostKeyNotApproved', `ssh ${input.ipv4}: the server presents ${fp}, not the approved ${input.approvedFingerprint}`);
    }
    return shown;
  }
}
