// The host-setup port the Server controller uses: run the ansible/ playbooks on one server, or simulate that.

/** HostSetupInput is what a host setup needs to reach and configure one server. */
export interface HostSetupInput {
  serverId: number;
  name: string;
  ipv4: string;
  /** Pinned host public key (OpenSSH line). When absent, `approvedFingerprint` must be set: there is no trust on first use. */
  hostKey?: string;
  /** A SHA256 fingerprint a person approved (annotation livchat.ai/approve-host-key); only a key with it is accepted and pinned. */
  approvedFingerprint?: string;
  setup: { timezone?: string; swapSize?: string };
  authorizedKeys: string[];
  /** Traefik and Portainer, when the Server asks for them (spec.infrastructure). */
  infrastructure?: InfrastructureInput;
}

/** InfrastructureInput is what the infrastructure role needs; the admin password comes from the vault, generated once per server. */
export interface InfrastructureInput {
  acmeEmail: string;
  /** The server's DNS name: `portainer.<dnsName>` when Portainer is exposed. */
  dnsName: string;
  exposePortainer: boolean;
  adminPassword: string;
}

/** HostSetupPort runs the ansible/ playbooks on a server (or simulates that for simulated servers). */
export interface HostSetupPort {
  /** playbookHash is computed once per process and again after invalidate(). */
  playbookHash(): Promise<string>;
  /** invalidate forgets cached state such as the playbook hash (SIGHUP reload). */
  invalidate?(): void;
  setup(input: HostSetupInput, signal: AbortSignal, onLine: (line: string) => void): Promise<{ playbookHash: string; hostKey?: string }>;
}
