// The Server kind's one decision: from spec, observed server and private state to the ordered steps; reconcile runs the first, plan prints them.
import type { ConditionInput } from '../../src/engine/conditions.js';
import type { PlanItem } from '../../src/engine/reconciler.js';
import { desiredLabels, diffServer, LABEL_INSTANCE, ownershipLabels, type ServerChange, type ServerSpec } from './classify.js';
import type { ServerInfo, ServerTypeInfo } from './port.js';
import { resizeProblem, type ResizeProblem } from './resize.js';
import type { PendingOp, ResizeState, ServerInternal, Step } from './state.js';

/** How often a pass looks again at a server that is provisioning, or at a pending create mark. */
export const POLL_MS = 5000;
/** Poll interval of a running operation when the provider gives no estimate. */
export const OP_POLL_MS = 2000;
/** How often a pass looks at a running host setup (an in-memory check, no request). */
export const SETUP_POLL_MS = 1000;
/** How long to wait before asking again when the provider has no capacity for the wanted type. */
export const CAPACITY_RETRY_MS = 5 * 60_000;

/** The live state of the pending operation's provider operations, as read this pass. */
export interface OpView { state: 'running' | 'success' | 'error'; progress: number; pollAfterMs?: number; error?: Error }

/** SetupFacts is what decides whether the host playbooks run. */
export interface SetupFacts {
  /** Hash over the playbooks and this server's setup inputs. */
  key: string;
  playbookHash: string;
  /** The setup with this key already ran and a host key is pinned. */
  current: boolean;
  pinned: boolean;
  approvedFingerprint: string | undefined;
  /** The background playbook run of this object in this process, if any. */
  job?: { key: string; state: 'running' | 'done' | 'failed'; last?: string };
}

/** ServerFacts is everything decide() reads: desired state, observed state and private state, all read beforehand. */
export interface ServerFacts {
  name: string;
  instance: string;
  generation: number;
  spec: ServerSpec;
  /** The desired object is gone: cleanup by deletionPolicy. */
  removed: boolean;
  /** Annotated livchat.ai/adopt: "true". */
  adopt: boolean;
  /** Annotated livchat.ai/approve-replace with this generation. */
  approveReplace: boolean;
  internal: ServerInternal;
  /** The server this object owns (matched by ownership labels), if it exists. */
  server: ServerInfo | undefined;
  /** State of internal.op, when one is recorded (undefined: not read, treated as still running). */
  op?: OpView;
  /** With adopt and no owned server: the server of the same name in the project. */
  adoptable?: ServerInfo;
  /** The wanted type as the provider reports it when it differs from the server's; null when it is not sold at all. */
  targetType?: ServerTypeInfo | null;
  /** How long the create-pending mark has existed, on the monotonic clock. */
  createPendingMs?: number;
  /** How long ago the resize's ACPI shutdown was sent, on the monotonic clock. */
  shutdownMs?: number;
  setup?: SetupFacts;
  limits: { createGraceMs: number; shutdownTimeoutMs: number; shutdownPollMs: number };
}

type Server = ServerInfo;

/** ServerAction is one step. Provider steps start an operation; bookkeeping steps change private state; reports end the pass. */
export type ServerAction =
  | { type: 'finishOp'; op: PendingOp; error?: Error }
  | { type: 'recordServer'; server: Server; recovered: boolean }
  | { type: 'forgetCreateMark' }
  | { type: 'endResize'; server: Server; resize: ResizeState }
  | { type: 'collectSetup' }
  | { type: 'dropSetup' }
  | { type: 'adopt'; server: Server; labels: Record<string, string> }
  | { type: 'create'; serverType: string; location: string; image: string; labels: Record<string, string>; missing?: number }
  | { type: 'setLabels'; server: Server; labels: Record<string, string> }
  | { type: 'orphan'; server: Server; labels: Record<string, string> }
  | { type: 'setProtection'; server: Server; on: boolean; step: 'Protecting' | 'Replacing' }
  | { type: 'powerOn'; server: Server; step: 'Starting' | 'Resizing' }
  | { type: 'shutdown'; server: Server; to: string }
  | { type: 'powerOff'; server: Server }
  | { type: 'changeType'; server: Server; to: string }
  | { type: 'delete'; server: Server; step: 'Deleting' | 'Replacing'; fields?: string[] }
  | { type: 'startSetup'; server: Server; key: string }
  | { type: 'wait'; reason: Step | 'Provisioning' | 'SettingUp'; message: string; afterMs: number }
  | { type: 'stall'; reason: string; message: string }
  | { type: 'conflict'; message: string }
  | { type: 'retry'; reason: 'CapacityUnavailable'; message: string; afterMs: number }
  | { type: 'done'; ready: ConditionInput; synced?: ConditionInput }
  | { type: 'blocked'; server: Server }
  | { type: 'deleted'; childrenPolicy: 'Delete' | 'Orphan' };

/** Decision is the field diff (for people) and the ordered steps; the first step is what a reconcile does now. */
export interface Decision { changes: ServerChange[]; actions: ServerAction[] }

const BOOKKEEPING: ReadonlySet<ServerAction['type']> = new Set(['finishOp', 'recordServer', 'forgetCreateMark', 'endResize', 'collectSetup', 'dropSetup']);
const REPORTS: ReadonlySet<ServerAction['type']> = new Set(['wait', 'stall', 'conflict', 'retry', 'done', 'blocked', 'deleted']);

/** isReport tells whether a step ends the pass. */
export function isReport(a: ServerAction): boolean { return REPORTS.has(a.type); }

/** decide is pure: the same facts always give the same steps. */
export function decide(f: ServerFacts): Decision {
  const changes = f.server && !f.removed ? diffServer(f.spec, f.server, f.instance, f.name) : [];
  return { changes, actions: steps(f, changes) };
}

function steps(f: ServerFacts, changes: ServerChange[]): ServerAction[] {
  const i = f.internal;
  if (i.op) {
    // Whatever runs is waited out first: a second operation on a busy server would only be refused.
    if (!f.op || f.op.state === 'running') return [waitOp(i.op, f.op)];
    return [{ type: 'finishOp', op: i.op, ...(f.op.error ? { error: f.op.error } : {}) }];
  }
  if (f.removed) return removal(f);
  const s = f.server;
  if (!s) return missing(f);
  const head: ServerAction[] = i.serverId !== s.id || i.createPending ? [{ type: 'recordServer', server: s, recovered: !!i.createPending }] : [];
  return [...head, ...present(f, s, changes)];
}

function waitOp(op: PendingOp, view: OpView | undefined): ServerAction {
  return { type: 'wait', reason: op.step, message: view ? `${op.message} (${view.progress}%)` : op.message, afterMs: view?.pollAfterMs ?? OP_POLL_MS };
}

function removal(f: ServerFacts): ServerAction[] {
  const s = f.server;
  const policy = f.spec.deletionPolicy ?? 'Delete';
  if (!s) return [{ type: 'deleted', childrenPolicy: policy }];
  if (policy === 'Orphan') {
    const mine = ownershipLabels(f.instance, f.name);
    return [{ type: 'orphan', server: s, labels: Object.fromEntries(Object.entries(s.labels).filter(([k]) => !(k in mine))) }];
  }
  if (s.protection.delete) return [{ type: 'blocked', server: s }];
  return [{ type: 'delete', server: s, step: 'Deleting' }, { type: 'deleted', childrenPolicy: 'Delete' }];
}

function missing(f: ServerFacts): ServerAction[] {
  const i = f.internal;
  if (i.createPending) {
    if ((f.createPendingMs ?? 0) < f.limits.createGraceMs) {
      return [{ type: 'wait', reason: 'Creating', message: 'a create was in flight; waiting for the server to appear in the API before deciding', afterMs: POLL_MS }];
    }
    return [{ type: 'forgetCreateMark' }, ...create(f, undefined)];
  }
  return create(f, i.serverId);
}

function create(f: ServerFacts, missingId: number | undefined): ServerAction[] {
  const a = f.adopt ? f.adoptable : undefined;
  if (a) {
    const owner = a.labels[LABEL_INSTANCE];
    if (owner && owner !== f.instance) return [{ type: 'stall', reason: 'Conflict', message: `server ${f.name} belongs to livchat installation ${owner}` }];
    return [{ type: 'adopt', server: a, labels: { ...a.labels, ...desiredLabels(f.spec, f.instance, f.name) } }];
  }
  return [{
    type: 'create', serverType: f.spec.serverType, location: f.spec.location, image: f.spec.image,
    labels: desiredLabels(f.spec, f.instance, f.name), ...(missingId !== undefined ? { missing: missingId } : {}),
  }];
}

function problemOf(f: ServerFacts, s: Server): ResizeProblem | undefined {
  return resizeProblem(s, f.spec.serverType, f.targetType ?? undefined);
}

function present(f: ServerFacts, s: Server, changes: ServerChange[]): ServerAction[] {
  if (f.internal.resize) return resizing(f, s, f.internal.resize);
  const typeChange = changes.some((c) => c.field === 'serverType');
  if (s.status === 'off') {
    // A server that is off anyway changes its type before it is started: one boot instead of two.
    if (typeChange && !problemOf(f, s)) return [{ type: 'changeType', server: s, to: f.spec.serverType }, { type: 'powerOn', server: s, step: 'Resizing' }];
    return [{ type: 'powerOn', server: s, step: 'Starting' }];
  }
  if (s.status !== 'running') return [{ type: 'wait', reason: 'Provisioning', message: `Hetzner reports the server ${s.status}`, afterMs: POLL_MS }];
  const replace = changes.filter((c) => c.class === 'replacement');
  if (replace.length && f.approveReplace) {
    const unprotect: ServerAction[] = s.protection.delete ? [{ type: 'setProtection', server: s, on: false, step: 'Replacing' }] : [];
    return [...unprotect, { type: 'delete', server: s, step: 'Replacing', fields: replace.map((c) => c.field) }];
  }
  const out: ServerAction[] = [];
  for (const c of changes) {
    if (c.field === 'serverType') {
      // Everything that would make the type change fail is checked before any downtime.
      const p = problemOf(f, s);
      if (p?.kind === 'never') return [...out, { type: 'stall', reason: p.reason, message: p.message }];
      if (p) return [...out, { type: 'retry', reason: 'CapacityUnavailable', message: p.message, afterMs: CAPACITY_RETRY_MS }];
      out.push({ type: 'shutdown', server: s, to: f.spec.serverType }, { type: 'changeType', server: s, to: f.spec.serverType }, { type: 'powerOn', server: s, step: 'Resizing' });
    } else if (c.field === 'labels') {
      out.push({ type: 'setLabels', server: s, labels: c.to as Record<string, string> });
    } else if (c.field === 'protection') {
      out.push({ type: 'setProtection', server: s, on: f.spec.protection?.delete ?? true, step: 'Protecting' });
    }
  }
  const setup = setupSteps(f, s);
  if (setup.some(isReport)) return [...out, ...setup];
  return [...out, ...setup, final(s, replace, f.generation)];
}

function resizing(f: ServerFacts, s: Server, r: ResizeState): ServerAction[] {
  const what = `${r.from} → ${r.to}`;
  const busy = (): ServerAction => ({ type: 'wait', reason: 'Resizing', message: `${what}: Hetzner reports the server ${s.status}`, afterMs: POLL_MS });
  if (r.failed !== undefined) {
    // The type change failed: the server never stays off because of it.
    if (s.status === 'off') return [{ type: 'powerOn', server: s, step: 'Resizing' }];
    return s.status === 'running' ? [{ type: 'endResize', server: s, resize: r }] : [busy()];
  }
  if (s.status === 'off') {
    if (s.serverType !== r.to) return [{ type: 'changeType', server: s, to: r.to }, { type: 'powerOn', server: s, step: 'Resizing' }];
    return [{ type: 'powerOn', server: s, step: 'Resizing' }];
  }
  // The new type is in place (or the old one is wanted again): done once it runs.
  if (s.serverType === r.to || s.serverType === f.spec.serverType) return s.status === 'running' ? [{ type: 'endResize', server: s, resize: r }] : [busy()];
  if (r.shutdownAt === undefined) return [{ type: 'shutdown', server: s, to: r.to }];
  if (r.hard) return [busy()];
  if ((f.shutdownMs ?? 0) < f.limits.shutdownTimeoutMs) {
    return [{ type: 'wait', reason: 'Resizing', message: `${what}: waiting for the guest to power off`, afterMs: f.limits.shutdownPollMs }];
  }
  return [{ type: 'powerOff', server: s }, { type: 'changeType', server: s, to: r.to }, { type: 'powerOn', server: s, step: 'Resizing' }];
}

function setupSteps(f: ServerFacts, s: Server): ServerAction[] {
  const u = f.setup;
  if (!u) return [];
  const job = u.job;
  if (job) {
    if (job.key === u.key) {
      return job.state === 'running' ? [{ type: 'wait', reason: 'SettingUp', message: job.last ?? 'running the host playbooks', afterMs: SETUP_POLL_MS }] : [{ type: 'collectSetup' }];
    }
    // The inputs changed while the playbooks ran: never two runs on one host at once; the stale result is dropped.
    if (job.state === 'running') return [{ type: 'wait', reason: 'SettingUp', message: 'waiting for the previous playbook run to finish', afterMs: SETUP_POLL_MS }];
    return [{ type: 'dropSetup' }];
  }
  if (u.current) return [];
  if (!s.ipv4) return [{ type: 'stall', reason: 'NoIpv4', message: 'the server has no public IPv4 address to reach it over SSH' }];
  if (!u.pinned && !u.approvedFingerprint) {
    return [{
      type: 'stall', reason: 'HostKeyUnknown',
      message: `no pinned SSH host key is known for server ${s.id} (adopted, or its key record was lost), and keys are never trusted on first use; check the key with the Hetzner console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and annotate livchat.ai/approve-host-key: "SHA256:..."`,
    }];
  }
  return [{ type: 'startSetup', server: s, key: u.key }];
}

function final(s: Server, replace: ServerChange[], generation: number): ServerAction {
  if (replace.length) {
    const what = replace.map((c) => `${c.field} ${String(c.from)} → ${String(c.to)}`).join(', ');
    return {
      type: 'done',
      ready: { status: 'True', reason: 'Available', message: 'running with its previous configuration' },
      synced: { status: 'False', reason: 'ReplacementRequired', message: `${what} needs a new server (new IPs, data on the old disk is lost); annotate livchat.ai/approve-replace: "${generation}" to approve` },
    };
  }
  return { type: 'done', ready: { status: 'True', reason: 'Available', message: `running at ${s.ipv4 ?? 'no ipv4'}` } };
}

/** planItem prints a decision: what the next reconcile would do, and the field changes behind it. */
export function planItem(key: string, f: ServerFacts, d: Decision): PlanItem {
  const head = d.actions.find((a) => !BOOKKEEPING.has(a.type)) ?? d.actions[0]!;
  const id = f.server?.id;
  if (f.removed) {
    switch (head.type) {
      case 'deleted': return { key, action: 'no-op', message: 'already gone' };
      case 'orphan': return { key, action: 'delete', message: `orphan server ${id}: remove ownership labels, keep it running` };
      case 'blocked': return { key, action: 'blocked', message: `server ${id} has delete protection: nothing will be deleted` };
      case 'wait': return { key, action: 'delete', message: `delete server ${id} after the running step (${head.message})` };
      default: return { key, action: 'delete', message: `delete server ${id} and its DNS records` };
    }
  }
  if (head.type === 'conflict' || (head.type === 'stall' && !f.server)) return { key, action: 'conflict', message: head.message };
  if (!f.server) {
    if (head.type === 'adopt') return { key, action: 'update', message: `adopt server ${head.server.id} (livchat.ai/adopt): set the ownership labels` };
    const item: PlanItem = { key, action: 'create', changes: [{ field: 'serverType', to: f.spec.serverType }, { field: 'location', to: f.spec.location }, { field: 'image', to: f.spec.image }] };
    return head.type === 'wait' ? { ...item, message: head.message } : item;
  }
  if (head.type === 'stall') return { key, action: 'blocked', message: head.message, ...changesOf(d.changes) };
  if (!d.changes.length) {
    if (head.type === 'startSetup') return { key, action: 'update', message: 'run the host playbooks (their inputs or the playbooks changed)' };
    if (head.type === 'wait') return { key, action: 'update', message: `in progress: ${head.message}` };
    return { key, action: 'no-op' };
  }
  const cls = d.changes.some((c) => c.class === 'replacement') ? 'replacement' : d.changes.some((c) => c.class === 'restart') ? 'restart' : 'in-place';
  const msg = head.type === 'retry' ? head.message
    : head.type === 'wait' ? `in progress: ${head.message}`
      : cls === 'replacement' ? (f.approveReplace ? 'approved: delete the server and create a new one (new IPs, data on the old disk is lost)' : `needs approval: annotate livchat.ai/approve-replace: "${f.generation}"`)
        : cls === 'restart' ? 'downtime: power off, change type, power on (about 1-2 minutes)' : undefined;
  return { key, action: 'update', changeClass: cls, ...changesOf(d.changes), ...(msg ? { message: msg } : {}) };
}

function changesOf(changes: ServerChange[]): Pick<PlanItem, 'changes'> {
  return changes.length ? { changes: changes.map(({ field, from, to }) => ({ field, from, to })) } : {};
}
