// Operations on a running daemon, one interface two ways: in-process (inside the daemon, for HTTP and MCP) or over its HTTP API (the CLI).
import type { ConfirmResult } from '../engine/prune-guard.js';
import type { ObjectState } from '../store/status-store.js';
import { toList, type ApiObject } from '../store/object-view.js';
import type { SecretRegistry } from '../obs/redact.js';
import { parseKey } from '../engine/types.js';

/** DaemonOps is what the CLI, the HTTP API and later MCP ask of a running daemon. */
export interface DaemonOps {
  /** Live objects, as the HTTP API shows them (scrubbed API view). */
  objects(): Promise<ApiObject[]>;
  /** enqueueNow asks the daemon to reconcile key now; false when no controller handles it. */
  enqueueNow(key: string): Promise<boolean>;
  heldDeletions(): Promise<string[]>;
  /** confirmDeletions releases exactly the held set (any other set is refused with the current one). */
  confirmDeletions(keys: readonly string[]): Promise<ConfirmResult>;
}

/** The runtime parts localOps uses (the composition root's Runtime has them). */
export interface OpsRuntime {
  store: { list(): ObjectState[] };
  secrets: SecretRegistry;
  manager: { enqueue(key: string): void; handles(key: string): boolean };
  heldDeletions(): string[];
  confirmDeletions(keys: readonly string[]): ConfirmResult;
}

/** localOps serves the ops from inside the daemon. */
export function localOps(rt: OpsRuntime): DaemonOps {
  return {
    objects: async () => toList(rt.store.list(), rt.secrets).items,
    enqueueNow: async (key) => {
      if (!rt.manager.handles(key)) return false;
      rt.manager.enqueue(key);
      return true;
    },
    heldDeletions: async () => rt.heldDeletions(),
    confirmDeletions: async (keys) => rt.confirmDeletions(keys),
  };
}

/** DaemonUnreachable is a transport failure (refused, timed out), apart from the daemon's own answers. */
export class DaemonUnreachable extends Error {}

/** DaemonRefused is a daemon answer other than success; `body` holds its JSON. */
export class DaemonRefused extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(`the daemon answered ${status}: ${String(body.error ?? '')}`);
  }
}

const TIMEOUT_MS = 10_000;

/** remoteOps calls a daemon's HTTP API at base (http://host:port) with the bearer token, each call bounded in time. */
export function remoteOps(base: string, token?: string): DaemonOps {
  const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        ...init,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new DaemonUnreachable((err as Error).message);
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try { body = JSON.parse(text) as Record<string, unknown>; } catch { body = { error: text.trim() }; }
    return { status: res.status, body };
  };
  return {
    async objects() {
      const r = await call('/api/v1/objects');
      if (r.status !== 200) throw new DaemonRefused(r.status, r.body);
      return (r.body.items as ApiObject[] | undefined) ?? [];
    },
    async enqueueNow(key) {
      const { kind, name } = parseKey(key);
      const r = await call(`/api/v1/objects/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/reconcile`, { method: 'POST', body: '{}' });
      if (r.status === 202) return true;
      if (r.status === 404) return false;
      throw new DaemonRefused(r.status, r.body);
    },
    async heldDeletions() {
      const r = await call('/api/v1/deletions/held');
      if (r.status !== 200) throw new DaemonRefused(r.status, r.body);
      return (r.body.held as string[] | undefined) ?? [];
    },
    async confirmDeletions(keys) {
      const r = await call('/api/v1/deletions/confirm', { method: 'POST', body: JSON.stringify({ keys }) });
      if (r.status === 200) return { ok: true, confirmed: r.body.confirmed as string[] };
      if (r.status === 409) return { ok: false, held: (r.body.held as string[] | undefined) ?? [], message: String(r.body.error ?? '') };
      throw new DaemonRefused(r.status, r.body);
    },
  };
}
