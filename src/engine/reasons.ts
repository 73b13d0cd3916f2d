// The reasons catalog: every condition reason has a stable name and says whether only a human can move it forward.
import { ERROR_POLICY } from './error-policy.js';

/** ReasonInfo describes one reason; needsHuman makes `apply` report the object as blocked when Synced=False says it. */
export interface ReasonInfo { needsHuman: boolean; description?: string }
/** ReasonCatalog maps a reason name to what it means. */
export type ReasonCatalog = Record<string, ReasonInfo>;

/** ENGINE_REASONS are the reasons the engine itself writes (plus the error-policy table's). */
export const ENGINE_REASONS: ReasonCatalog = {
  // A stalled object is blocked by its Stalled condition; these reasons also come as retryable errors, so they do not block by name.
  ...Object.fromEntries(Object.values(ERROR_POLICY).map((p) => [p.reason, { needsHuman: false, description: `provider failure (${p.action})` }])),
  Pending: { needsHuman: false, description: 'not reconciled yet' },
  ReconcileSuccess: { needsHuman: false, description: 'the last round trip succeeded' },
  ReconcileError: { needsHuman: false, description: 'an unclassified failure; retried with backoff' },
  ReconcilePaused: { needsHuman: true, description: 'the livchat.ai/paused annotation stops all writes' },
  Paused: { needsHuman: false, description: 'event: reconciliation paused by annotation' },
  DeletionHeld: { needsHuman: true, description: 'a mass deletion waits for `livchat confirm-deletions`' },
  DependentsExist: { needsHuman: true, description: 'a removed object is still needed by desired ones (apps on a Server); remove them first' },
  Deleted: { needsHuman: false, description: 'the external resource is gone' },
  WaitingForDependents: { needsHuman: false, description: 'a removal waits until the removed objects depending on it are deleted' },
  DeletingChildren: { needsHuman: false, description: 'the resource is gone; its owned objects are being cleaned up' },
  OwnedObjectClash: { needsHuman: true, description: 'a derived object clashes with an object defined elsewhere' },
};

/** mergeCatalogs combines the engine's catalog with each kind's; the first definition wins, so a kind cannot redefine an engine reason. */
export function mergeCatalogs(...catalogs: Array<ReasonCatalog | undefined>): ReasonCatalog {
  const out: ReasonCatalog = {};
  for (const c of catalogs) for (const [name, info] of Object.entries(c ?? {})) out[name] ??= info;
  return out;
}

/** needsHuman tells whether a reason is one only a human can move forward. */
export function needsHuman(catalog: ReasonCatalog, reason: string | undefined): boolean {
  return reason !== undefined && catalog[reason]?.needsHuman === true;
}
