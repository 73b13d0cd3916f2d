// A Server's infrastructure (Traefik and Portainer): the admin password kept in the vault, the role's input, and Portainer's bootstrap.
import { createHash, randomBytes } from 'node:crypto';
import type { InfrastructureInput } from '../../src/host/port.js';

/** PortainerBootstrap reaches a set-up server's Portainer without a token and makes one (login → JWT → API key). */
export interface PortainerBootstrap {
  bootstrap(server: { name: string; id: number; ipv4: string }, admin: { username: string; password: string }): Promise<{ token: string; endpointId: number; swarmId: string; version: string }>;
}

/** InfraVault is the vault slice the Server kind uses for Portainer's admin password and API token. */
export interface InfraVault {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/** InfrastructureObserved is `status.observed.infrastructure` of a Server. */
export type InfrastructureObserved = {
  ready: boolean;
  traefik: string;
  portainer: string;
  endpointId?: number;
  swarmId?: string;
  /** What Ready waits on, while not ready. */
  waitingOn?: string;
};

export const PORTAINER_ADMIN = 'admin';

/** infraVaultName names a per-server vault entry; names that would pass the vault's 63 characters are hashed. */
export function infraVaultName(what: 'portainer-admin' | 'portainer-token', server: string): string {
  const plain = `${what}.${server}`;
  return plain.length <= 63 ? plain : `${what}.${createHash('sha256').update(server).digest('hex').slice(0, 32)}`;
}

/** adminPassword returns the server's Portainer admin password, generated once (alphanumeric, 32 characters). */
export function adminPassword(vault: InfraVault, server: string): string {
  const name = infraVaultName('portainer-admin', server);
  const have = vault.get(name);
  if (have) return have;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let pw = '';
  // 248 = the largest multiple of 62 under 256: no modulo bias.
  while (pw.length < 32) for (const b of randomBytes(48)) if (b < 248 && pw.length < 32) pw += alphabet[b % 62];
  vault.set(name, pw);
  return pw;
}

/** infrastructureInput builds the role's input from the spec; undefined when the Server has no infrastructure block. */
export function infrastructureInput(spec: { infrastructure?: { acmeEmail: string; portainer?: { expose?: boolean } }; dns?: { zone: string; name: string } }, server: string, vault: InfraVault): InfrastructureInput | undefined {
  const i = spec.infrastructure;
  if (!i || !spec.dns) return undefined;
  const dnsName = spec.dns.name === '@' ? spec.dns.zone : `${spec.dns.name}.${spec.dns.zone}`;
  return { acmeEmail: i.acmeEmail, dnsName, exposePortainer: i.portainer?.expose === true, adminPassword: adminPassword(vault, server) };
}

/** infraKey is what the setup key hashes of the infrastructure block: never the password. */
export function infraKey(input: InfrastructureInput | undefined): unknown {
  return input ? { acmeEmail: input.acmeEmail, dnsName: input.dnsName, expose: input.exposePortainer } : undefined;
}

/** Memory is what the Server remembers of its Portainer (ids only; the token lives in the vault). */
export interface PortainerMemory { endpointId: number; swarmId: string; version: string }

/**
 * ensurePortainer returns the infrastructure status, bootstrapping the API token once: the admin exists from the password
 * file, so there is no init race; the token is stored in the vault before the ids are recorded.
 */
export async function ensurePortainer(
  o: { name: string; id: number; ipv4: string; remembered: PortainerMemory | undefined; versions: { traefik: string; portainer: string } },
  vault: InfraVault, port: PortainerBootstrap, persist: (m: PortainerMemory) => void,
): Promise<InfrastructureObserved> {
  const tokenName = infraVaultName('portainer-token', o.name);
  if (o.remembered && vault.get(tokenName)) {
    return { ready: true, traefik: o.versions.traefik, portainer: o.versions.portainer, endpointId: o.remembered.endpointId, swarmId: o.remembered.swarmId };
  }
  const password = vault.get(infraVaultName('portainer-admin', o.name));
  if (!password) return { ready: false, traefik: o.versions.traefik, portainer: o.versions.portainer, waitingOn: 'the Portainer admin password (set up the server first)' };
  const r = await port.bootstrap({ name: o.name, id: o.id, ipv4: o.ipv4 }, { username: PORTAINER_ADMIN, password });
  vault.set(tokenName, r.token);
  persist({ endpointId: r.endpointId, swarmId: r.swarmId, version: r.version });
  return { ready: true, traefik: o.versions.traefik, portainer: o.versions.portainer, endpointId: r.endpointId, swarmId: r.swarmId };
}
