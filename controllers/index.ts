// The kind registry: the only list of kinds. Adding a kind is one folder under controllers/ and one line here.
import type { KindModule } from './kind.js';
import type { ValidationIssue } from '../src/crd/issues.js';
import { dnsRecordKind } from './dns-record/index.js';
import { serverKind } from './server/index.js';
import { appDeploymentKind } from './app-deployment/index.js';
import { infraVaultName } from './server/infrastructure.js';

export type { KindDeps, KindModule, ProviderName, ProviderPorts } from './kind.js';

/** KINDS lists every kind, in no particular order (the engine orders work by dependencies). */
export const KINDS: readonly KindModule[] = [dnsRecordKind, serverKind, appDeploymentKind];

/** portainerTokenName is where a server's Portainer API token is kept in the vault (the composition root reads it). */
export const portainerTokenName = (server: string): string => infraVaultName('portainer-token', server);

/** kindChecks runs the kinds' own checks on a CRD-valid object (the desired loader calls it for every document). */
export function kindChecks(object: { kind: string }): ValidationIssue[] {
  return KINDS.find((k) => k.kind === object.kind)?.check?.(object as never) ?? [];
}

/** simulatedZones lists the DNS zones the desired objects use, to seed the embedded simulator. */
export function simulatedZones(objects: ReadonlyArray<{ object: { kind: string; spec?: unknown; apiVersion: string; metadata: { name: string } } }>): string[] {
  const zones = new Set<string>();
  for (const { object } of objects) {
    const mod = KINDS.find((k) => k.kind === object.kind);
    for (const z of mod?.simulated?.zones?.(object as never) ?? []) zones.add(z);
  }
  return [...zones].sort();
}
