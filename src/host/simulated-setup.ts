// Host setup for simulated servers at documentation-range addresses: reports the playbook steps, never connects.
import type { HostSetupInput, HostSetupPort } from './port.js';

const STEPS = ['base : packages and updates', 'base : timezone, hostname and swap', 'base : SSH hardening', 'firewall : nftables and DOCKER-USER rules', 'docker : Docker CE', 'swarm : single-node swarm and overlay network'];

/** isDocumentationAddress tells whether an IPv4 is in TEST-NET-3 (203.0.113.0/24), where nothing may be contacted. */
export function isDocumentationAddress(ip: string): boolean {
  return /^203\.0\.113\.\d{1,3}$/.test(ip) || /^2001:0?db8:/i.test(ip);
}

/** SimulatedHostSetup walks the playbook's steps as output lines and returns the real playbook hash. */
export class SimulatedHostSetup implements HostSetupPort {
  constructor(private readonly hash: () => Promise<string>) {}

  playbookHash(): Promise<string> { return this.hash(); }

  async setup(input: HostSetupInput, signal: AbortSignal, onLine: (line: string) => void): Promise<{ playbookHash: string }> {
    if (!isDocumentationAddress(input.ipv4)) throw new Error(`refusing to simulate setup for ${input.ipv4}: only documentation-range servers are simulated`);
    onLine(`PLAY [livchat host setup (simulated: ${input.name} at ${input.ipv4}, nothing is contacted)] ***`);
    for (const step of STEPS) {
      signal.throwIfAborted();
      onLine(`TASK [${step}] ***`);
      onLine(`ok: [${input.name}]`);
    }
    onLine(`PLAY RECAP ***`);
    onLine(`${input.name} : ok=${STEPS.length} changed=0 unreachable=0 failed=0`);
    return { playbookHash: await this.hash() };
  }
}
