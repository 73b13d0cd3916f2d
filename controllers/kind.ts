// What a kind module gives the registry (its kind, the providers it needs, its controller factory, its simulated seeding) and what it is given.
import type { Clock } from '../src/engine/clock.js';
import type { KindSettings, Reconciler } from '../src/engine/reconciler.js';
import type { Resource } from '../src/engine/types.js';
import type { ValidationIssue } from '../src/crd/issues.js';
import type { DnsPort } from './dns-record/port.js';
import type { ServerPort } from './server/port.js';
import type { HostSetupPort } from '../src/host/port.js';
import type { ServerIdentity } from './server/controller.js';
import type { PortainerBootstrap } from './server/infrastructure.js';
import type { AppPlatform } from './app-deployment/port.js';
import type { AppProbe } from './app-deployment/probe.js';
import type { AppServer } from './app-deployment/prepare.js';

/** ProviderPorts are the provider ports the daemon builds, by name; a kind lists the names it needs. */
export interface ProviderPorts {
  dns: DnsPort;
  hcloud: ServerPort;
  host: HostSetupPort;
  /** One server's Portainer (its client is reused per server). */
  apps(server: AppServer): AppPlatform;
  /** Portainer's token bootstrap on a freshly set-up server. */
  portainer: PortainerBootstrap;
  /** The outside view of apps: public DNS, certificates, health. */
  probe: AppProbe;
}

export type ProviderName = keyof ProviderPorts;

/** KindDeps is everything the composition root hands a kind's factory; a kind reads only what it needs. */
export interface KindDeps {
  providers: ProviderPorts;
  clock: Clock;
  /** Per-kind settings from the command line or tests (resync, concurrency, …). */
  settings: Partial<KindSettings> | undefined;
  /** The daemon's SSH identity and host-key pins (Server). */
  identity: ServerIdentity;
  /** The vault: generated secrets, Portainer passwords and tokens (every value is registered for scrubbing). */
  vault: { get(name: string): string | undefined; set(name: string, value: string): void; remove(name: string): boolean };
  /** Counts a corrected drift of one field. */
  onDrift(kind: string, field: string): void;
  /** Kind-specific tunables (e.g. `serverCreateGraceMs`), from RuntimeOptions. */
  options: { serverCreateGraceMs?: number };
}

/** KindModule is one registry entry: `controllers/<kind>/index.ts` exports one. */
export interface KindModule {
  readonly kind: string;
  /** Providers this kind's controller calls; the composition root checks they exist. */
  readonly needs: readonly ProviderName[];
  create(deps: KindDeps): Reconciler;
  /** Checks beyond the CRD (an app's spec against its template), as JSON-pointer issues; a failing object is not applied. */
  check?(object: Resource): ValidationIssue[];
  /** What the kind adds to the embedded simulated world, read from the desired objects before it starts. */
  readonly simulated?: { zones?(object: Resource): string[] };
}
