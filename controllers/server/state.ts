// The Server controller's durable private state (status.internal): the server it owns, what it started, where a resize is.

/** OpKind names a long-running provider operation the controller starts. */
export type OpKind = 'create' | 'powerOn' | 'protection' | 'shutdown' | 'powerOff' | 'changeType' | 'delete';

/** Step is the reason a pass reports while an operation runs (each is in the kind's reasons catalog). */
export type Step = 'Creating' | 'Starting' | 'Protecting' | 'Resizing' | 'Replacing' | 'Deleting';

/** PendingOp is an operation that was started and not yet seen finished; it survives restarts and is never started twice. */
export interface PendingOp {
  kind: OpKind;
  step: Step;
  ids: number[];
  serverId: number;
  /** Wall time it was started (for people; durations use the monotonic clock). */
  at: number;
  /** What it does, for progress lines. */
  message: string;
  /** For protection changes: the value being set. */
  on?: boolean;
  /** For an approved replacement: the fields that need the new server. */
  fields?: string[];
}

/** ResizeState is a type change under way: shutdown (or hard power-off) → change type → power on. */
export interface ResizeState {
  from: string;
  to: string;
  /** Wall time the ACPI shutdown was sent; seeds the monotonic wait after a restart. */
  shutdownAt?: number;
  /** A hard power-off was sent after the guest ignored the shutdown. */
  hard?: boolean;
  /** The type change failed with this message: the server is powered back on, then the failure is reported. */
  failed?: string;
}

/** ServerInternal is everything the Server controller persists for one object. */
export interface ServerInternal {
  serverId?: number;
  /** Written before a create request: after a crash the server is searched for, never created twice. */
  createPending?: { at: number };
  /** Legacy copy of the pinned host key (the key store is the authority). */
  hostKey?: string;
  /** Hash over the playbooks and this server's setup inputs of the last successful host setup. */
  setupKey?: string;
  playbookHash?: string;
  op?: PendingOp;
  resize?: ResizeState;
}

const OP_KINDS: ReadonlySet<string> = new Set<OpKind>(['create', 'powerOn', 'protection', 'shutdown', 'powerOff', 'changeType', 'delete']);

/** readInternal reads the persisted record defensively: a malformed op or resize is dropped, not trusted. */
export function readInternal(raw: Readonly<Record<string, unknown>>): ServerInternal {
  const out: ServerInternal = {};
  if (typeof raw.serverId === 'number') out.serverId = raw.serverId;
  const pending = raw.createPending as { at?: unknown } | undefined;
  if (pending && typeof pending === 'object') out.createPending = { at: typeof pending.at === 'number' ? pending.at : 0 };
  if (typeof raw.hostKey === 'string') out.hostKey = raw.hostKey;
  if (typeof raw.setupKey === 'string') out.setupKey = raw.setupKey;
  if (typeof raw.playbookHash === 'string') out.playbookHash = raw.playbookHash;
  const op = raw.op as Partial<PendingOp> | undefined;
  if (op && typeof op === 'object' && OP_KINDS.has(String(op.kind)) && Array.isArray(op.ids) && op.ids.every((x) => typeof x === 'number') && typeof op.serverId === 'number') {
    out.op = { kind: op.kind!, step: op.step ?? 'Creating', ids: op.ids, serverId: op.serverId, at: typeof op.at === 'number' ? op.at : 0, message: typeof op.message === 'string' ? op.message : String(op.kind), ...(typeof op.on === 'boolean' ? { on: op.on } : {}), ...(Array.isArray(op.fields) ? { fields: op.fields.map(String) } : {}) };
  }
  const r = raw.resize as Partial<ResizeState> | undefined;
  if (r && typeof r === 'object' && typeof r.from === 'string' && typeof r.to === 'string') {
    out.resize = {
      from: r.from, to: r.to,
      ...(typeof r.shutdownAt === 'number' ? { shutdownAt: r.shutdownAt } : {}),
      ...(r.hard === true ? { hard: true } : {}),
      ...(typeof r.failed === 'string' ? { failed: r.failed } : {}),
    };
  }
  return out;
}
