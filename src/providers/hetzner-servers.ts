// Hetzner adapter of the Server kind's domain port: maps wire servers, types, actions and SSH keys to domain values, and back.
import { realClock, type Clock } from '../engine/clock.js';
import { DomainError } from '../engine/errors.js';
import { actionFailure } from './hetzner-errors.js';
import { ActionPacer } from './hetzner-poll.js';
import type { HetznerClient } from './hetzner.js';
import { serverLocation, type Action, type Server, type ServerStatus, type ServerType, type SshKey } from './hetzner-types.js';

// The domain shapes below mirror the Server kind's port structurally; the composition root checks they fit, so nothing here imports controllers/.

export interface ServerInfo {
  id: number;
  name: string;
  status: ServerStatus;
  ipv4: string | undefined;
  /** The host address the server uses: `::1` of its /64 network. */
  ipv6: string | undefined;
  location: string | undefined;
  serverType: string;
  architecture: 'x86' | 'arm';
  image: string | undefined;
  labels: Record<string, string>;
  protection: { delete: boolean; rebuild: boolean };
  diskGb: number;
}

export interface ServerTypeInfo {
  name: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  architecture: 'x86' | 'arm';
  deprecated: boolean;
  locations: Array<{ name: string; available: boolean }> | undefined;
}

export interface OperationStatus {
  id: number;
  state: 'running' | 'success' | 'error';
  progress: number;
  pollAfterMs?: number;
  error?: Error;
}

export interface CreateServerInput {
  name: string;
  serverType: string;
  image: string;
  location: string;
  sshKeyIds: number[];
  labels: Record<string, string>;
  userData: string;
}

export interface SshKeyInfo { id: number; name: string; fingerprint: string; labels: Record<string, string> }

/** The client calls the adapter makes (HetznerClient, or the daemon's breaker around it). */
export type HetznerServerClient = Pick<HetznerClient,
  'listServers' | 'getServer' | 'getServerType' | 'createServer' | 'updateServer' | 'deleteServer' | 'serverAction' | 'getActions' | 'listSshKeys' | 'createSshKey'>;

const LABEL_VALUE = /^[a-zA-Z0-9](?:[-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/;
const LABEL_KEY = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[a-zA-Z0-9](?:[-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/;

/**
 * renderSelector writes an exact-equality selector as Hetzner's `k=v,k2=v2`. The grammar has no quoting, so a value
 * such as `a,b` would add a term: it is refused as Invalid instead of being sent.
 */
export function renderSelector(labels: Record<string, string>): string {
  const terms = Object.entries(labels).map(([k, v]) => {
    if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(v)) {
      const message = `label ${JSON.stringify(k)}=${JSON.stringify(v)} cannot be used in an exact label selector`;
      throw new DomainError('Invalid', message, { provider: 'hetzner', status: 0, code: 'invalid_selector', message });
    }
    return `${k}=${v}`;
  });
  return terms.join(',');
}

/** hostIpv6 turns Hetzner's /64 network into the host address the server uses (::1). */
export function hostIpv6(network: string | undefined): string | undefined {
  if (!network) return undefined;
  const base = network.split('/')[0]!;
  return base.endsWith('::') ? `${base}1` : base;
}

/** toServerInfo maps a wire server (current `location` or legacy `datacenter.location`) to the domain. */
export function toServerInfo(s: Server): ServerInfo {
  return {
    id: s.id, name: s.name, status: s.status,
    ipv4: s.public_net.ipv4?.ip ?? undefined, ipv6: hostIpv6(s.public_net.ipv6?.ip),
    location: serverLocation(s)?.name, serverType: s.server_type.name, architecture: s.server_type.architecture ?? 'x86',
    image: s.image?.name ?? undefined, labels: { ...s.labels },
    protection: { delete: s.protection.delete, rebuild: s.protection.rebuild }, diskGb: s.primary_disk_size,
  };
}

function toType(t: ServerType): ServerTypeInfo {
  return {
    name: t.name, cores: t.cores, memoryGb: t.memory, diskGb: t.disk, architecture: t.architecture ?? 'x86', deprecated: t.deprecated,
    locations: t.locations?.map((l) => ({ name: l.name, available: l.available })),
  };
}

function toKey(k: SshKey): SshKeyInfo {
  return { id: k.id, name: k.name, fingerprint: k.fingerprint, labels: { ...k.labels } };
}

/** HetznerServers implements the Server port over the Hetzner client; operation polls are paced by progress (hetzner-poll.ts). */
export class HetznerServers {
  readonly #c: HetznerServerClient;
  readonly #clock: Clock;
  // One pacer for every operation this process watches: each reading refines the estimate of when it ends.
  readonly #pacer = new ActionPacer();

  constructor(client: HetznerServerClient, opts: { clock?: Clock } = {}) {
    this.#c = client;
    this.#clock = opts.clock ?? realClock;
  }

  async list(selector?: Record<string, string>): Promise<ServerInfo[]> {
    const sel = selector && Object.keys(selector).length ? renderSelector(selector) : undefined;
    return (await this.#c.listServers(sel)).map(toServerInfo);
  }

  async get(id: number): Promise<ServerInfo | undefined> {
    const s = await this.#c.getServer(id);
    return s ? toServerInfo(s) : undefined;
  }

  async serverType(name: string): Promise<ServerTypeInfo | undefined> {
    const t = await this.#c.getServerType(name);
    return t ? toType(t) : undefined;
  }

  async create(input: CreateServerInput): Promise<{ server: ServerInfo; operations: OperationStatus[] }> {
    const r = await this.#c.createServer({
      name: input.name, server_type: input.serverType, image: input.image, location: input.location,
      ssh_keys: input.sshKeyIds, labels: input.labels, user_data: input.userData, start_after_create: true,
    });
    return { server: toServerInfo(r.server), operations: [r.action, ...r.nextActions].map((a) => this.#status(a)) };
  }

  async setLabels(id: number, labels: Record<string, string>): Promise<ServerInfo> {
    return toServerInfo(await this.#c.updateServer(id, { labels }));
  }

  async delete(id: number): Promise<OperationStatus> { return this.#status(await this.#c.deleteServer(id)); }
  async shutdown(id: number): Promise<OperationStatus> { return this.#action(id, 'shutdown'); }
  async powerOff(id: number): Promise<OperationStatus> { return this.#action(id, 'poweroff'); }
  async powerOn(id: number): Promise<OperationStatus> { return this.#action(id, 'poweron'); }

  async resize(id: number, serverType: string, opts: { keepDisk: boolean }): Promise<OperationStatus> {
    return this.#action(id, 'change_type', { server_type: serverType, upgrade_disk: !opts.keepDisk });
  }

  async setProtection(id: number, on: boolean): Promise<OperationStatus> {
    // The API wants both flags equal: rebuild protection cannot exist without delete protection.
    return this.#action(id, 'change_protection', { delete: on, rebuild: on });
  }

  /** operations reads up to 25 operations per request (`GET /actions?id=…`); ids the API does not return are absent. */
  async operations(ids: readonly number[]): Promise<OperationStatus[]> {
    if (!ids.length) return [];
    const byId = new Map((await this.#c.getActions(ids)).map((a) => [a.id, a]));
    return [...new Set(ids)].flatMap((id) => { const a = byId.get(id); return a ? [this.#status(a)] : []; });
  }

  async findSshKey(fingerprint: string): Promise<SshKeyInfo | undefined> {
    // The filter narrows the list; the exact fingerprint decides (a filter the API ignored must not hand us another key).
    const k = (await this.#c.listSshKeys({ fingerprint })).find((x) => x.fingerprint === fingerprint);
    return k ? toKey(k) : undefined;
  }

  async createSshKey(input: { name: string; publicKey: string; labels: Record<string, string> }): Promise<SshKeyInfo> {
    return toKey(await this.#c.createSshKey({ name: input.name, public_key: input.publicKey, labels: input.labels }));
  }

  async #action(id: number, name: string, body?: Record<string, unknown>): Promise<OperationStatus> {
    return this.#status(await this.#c.serverAction(id, name, body));
  }

  #status(a: Action): OperationStatus {
    if (a.status === 'running') {
      return { id: a.id, state: 'running', progress: a.progress, pollAfterMs: ActionPacer.delay([this.#pacer.observe(a, this.#clock.monotonic())]) };
    }
    this.#pacer.forget(a.id);
    if (a.status === 'success') return { id: a.id, state: 'success', progress: 100 };
    const code = a.error?.code ?? 'action_failed';
    return { id: a.id, state: 'error', progress: a.progress, error: actionFailure(`hetzner action ${a.command} (${a.id}) failed: ${a.error?.message ?? 'unknown error'} (${code})`, code) };
  }
}
