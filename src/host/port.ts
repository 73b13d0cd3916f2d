// The host-setup port the Server controller uses: run the ansible/ playbooks on one server, or simulate that.

/** HostSetupInput is what a host setup needs to reach and configure one server. */
export interface HostSetupInput {
  serverId: number;
  name: string;
  ipv4: string;
  /** Pinned host public key (OpenSSH line); undefined means record it at first contact. */
  hostKey?: string;
  setup: { timezone?: string; swapSize?: string };
  authorizedKeys: string[];
}

/** HostSetupPort runs the ansible/ playbooks on a server (or simulates that for simulated servers). */
export interface HostSetupPort {
  playbookHash(): Promise<string>;
  setup(input: HostSetupInput, signal: AbortSignal, onLine: (line: string) => void): Promise<{ playbookHash: string; hostKey?: string }>;
}
