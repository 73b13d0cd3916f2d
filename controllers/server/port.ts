// The Server kind's port to Hetzner: servers, actions and SSH keys.
import type { Action, CreateServerRequest, CreateServerResult, Server, ServerType, SshKey } from '../../src/providers/hetzner-types.js';

/** ServerPort is the controller's Hetzner I/O; HetznerClient satisfies it structurally. */
export interface ServerPort {
  listServers(labelSelector?: string): Promise<Server[]>;
  getServer(id: number): Promise<Server | undefined>;
  getServerType(name: string): Promise<ServerType | undefined>;
  createServer(req: CreateServerRequest): Promise<CreateServerResult>;
  updateServer(id: number, patch: { labels?: Record<string, string> }): Promise<Server>;
  deleteServer(id: number): Promise<Action>;
  serverAction(id: number, name: string, body?: Record<string, unknown>): Promise<Action>;
  waitForActions(ids: readonly number[], opts?: { signal?: AbortSignal; onProgress?: (a: Action) => void }): Promise<Action[]>;
  listSshKeys(filter: { name?: string; fingerprint?: string; labelSelector?: string }): Promise<SshKey[]>;
  createSshKey(req: { name: string; public_key: string; labels?: Record<string, string> }): Promise<SshKey>;
}
