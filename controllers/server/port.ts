// The Server kind's domain port: servers, server types, long-running operations and SSH keys, in the domain's words.

/** ServerState is the lifecycle state of a server as the provider reports it. */
export type ServerState = 'initializing' | 'starting' | 'running' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';

/** ServerInfo is one server as the controller sees it; the provider maps its wire objects to this. */
export interface ServerInfo {
  id: number;
  name: string;
  status: ServerState;
  ipv4: string | undefined;
  /** The server's first address in its IPv6 network (`::1` of the /64). */
  ipv6: string | undefined;
  location: string | undefined;
  serverType: string;
  architecture: 'x86' | 'arm';
  /** The image name, when the provider reports one (a snapshot may have none). */
  image: string | undefined;
  labels: Record<string, string>;
  protection: { delete: boolean; rebuild: boolean };
  /** Size of the primary disk; it never shrinks on a type change. */
  diskGb: number;
}

/** ServerTypeInfo is one purchasable server type. */
export interface ServerTypeInfo {
  name: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  architecture: 'x86' | 'arm';
  deprecated: boolean;
  /** Where the type is sold and whether it can be ordered there right now; undefined when the provider does not say. */
  locations: Array<{ name: string; available: boolean }> | undefined;
}

/**
 * OperationStatus is the state of one long-running operation the port started (create, power, type change,
 * protection, delete). `pollAfterMs` is the provider's estimate of when looking again is worth a request.
 */
export interface OperationStatus {
  id: number;
  state: 'running' | 'success' | 'error';
  progress: number;
  pollAfterMs?: number;
  /** Set when state is `error`: a DomainError with fact `ActionFailed` (see failure.ts). */
  error?: Error;
}

/** CreateServerInput is what a new server is made from. */
export interface CreateServerInput {
  name: string;
  serverType: string;
  image: string;
  location: string;
  sshKeyIds: number[];
  labels: Record<string, string>;
  userData: string;
}

/** SshKeyInfo is one SSH public key registered with the provider. */
export interface SshKeyInfo { id: number; name: string; fingerprint: string; labels: Record<string, string> }

/**
 * ServerPort is the Server controller's only I/O with the cloud. Operations return at once with their status;
 * `operations(ids)` reads the current state of started ones in one request (ids the provider no longer knows are
 * absent). Every failure is a DomainError of the closed code set, with the facts of failure.ts where they apply.
 */
export interface ServerPort {
  /** list returns the servers carrying every label of the exact-equality selector (all servers without one). */
  list(selector?: Record<string, string>): Promise<ServerInfo[]>;
  /** get returns undefined when the server does not exist. */
  get(id: number): Promise<ServerInfo | undefined>;
  /** serverType returns undefined for a name the provider does not sell. */
  serverType(name: string): Promise<ServerTypeInfo | undefined>;
  /** create starts the server; never retried once the request may have reached the provider. */
  create(input: CreateServerInput): Promise<{ server: ServerInfo; operations: OperationStatus[] }>;
  /** setLabels replaces the whole label set. */
  setLabels(id: number, labels: Record<string, string>): Promise<ServerInfo>;
  delete(id: number): Promise<OperationStatus>;
  /** shutdown asks the guest to power off (ACPI); the operation ends when the request was delivered, not when it is off. */
  shutdown(id: number): Promise<OperationStatus>;
  /** powerOff cuts the power (a hard stop). */
  powerOff(id: number): Promise<OperationStatus>;
  powerOn(id: number): Promise<OperationStatus>;
  /** resize changes the type of a server that is off; keepDisk leaves the disk size as it is, so a later downgrade stays possible. */
  resize(id: number, serverType: string, opts: { keepDisk: boolean }): Promise<OperationStatus>;
  /** setProtection turns delete and rebuild protection on or off together. */
  setProtection(id: number, on: boolean): Promise<OperationStatus>;
  operations(ids: readonly number[]): Promise<OperationStatus[]>;
  /** findSshKey returns the key with exactly this fingerprint, if registered. */
  findSshKey(fingerprint: string): Promise<SshKeyInfo | undefined>;
  createSshKey(input: { name: string; publicKey: string; labels: Record<string, string> }): Promise<SshKeyInfo>;
}
