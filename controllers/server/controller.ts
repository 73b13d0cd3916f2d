// Server controller: observe → decide → run the first step. Long operations and host setup are recorded and polled, never waited on.
import type { PlanContext, PlanItem, ReconcileContext, ReconcileResult, Reconciler } from '../../src/engine/reconciler.js';
import { DomainError, RetryableError, TerminalError, WaitError, hasCode } from '../../src/engine/errors.js';
import { serverFact } from './failure.js';
import { ANNOTATION_ADOPT, ANNOTATION_APPROVE_REPLACE } from '../../src/engine/types.js';
import type { Clock } from '../../src/engine/clock.js';
import { SharedList } from '../../src/engine/shared-list.js';
import { hashValue } from '../../src/engine/hash.js';
import { ANNOTATION_APPROVE_HOST_KEY, LABEL_INSTANCE, LABEL_OBJECT, labelSelector, type ServerSpec } from './classify.js';
import type { HostKeyStore } from '../../src/host/host-keys.js';
import { publicKeyFingerprintSha256 } from '../../src/host/keys.js';
import { dnsRecordsFor } from './children.js';
import type { HostSetupInput, HostSetupPort } from '../../src/host/port.js';
import type { OperationStatus, ServerInfo, ServerPort, ServerTypeInfo } from './port.js';
import { CAPACITY_RETRY_MS, OP_POLL_MS, decide, planItem, type OpView, type ServerAction, type ServerFacts, type SetupFacts } from './decide.js';
import { readInternal, type PendingOp, type ResizeState, type ServerInternal } from './state.js';
import { ensurePortainer, infraKey, infrastructureInput, type InfraVault, type InfrastructureObserved, type PortainerBootstrap, type PortainerMemory } from './infrastructure.js';
import { PORTAINER_VERSION, TRAEFIK_VERSION } from '../../src/host/infra-versions.js';

export type { HostSetupInput, HostSetupPort, HostKeyStore };
export type { ServerPort } from './port.js';

export interface ServerDeps {
  hcloud: ServerPort;
  host: HostSetupPort;
  clock: Clock;
  /** The daemon's SSH identity (created once, private key kept in the vault). */
  identity(): Promise<{ publicKey: string }>;
  /** A fresh host key pair for a new server's cloud-init. */
  newHostKey(): { publicKey: string; privateKey: string };
  userData(input: { hostKey: { publicKey: string; privateKey: string }; hostname: string }): string;
  fingerprint(publicKey: string): string;
  /** Pinned host keys, kept where losing a status file cannot lose them (the vault in the daemon). */
  hostKeys: HostKeyStore;
  /** Where Portainer's admin password and API token are kept (the vault). */
  vault?: InfraVault;
  /** Mints the Portainer API token once the infrastructure runs. */
  portainer?: PortainerBootstrap;
  /** How long a guest may take to power off after an ACPI shutdown before a hard power-off. @default 120000 */
  shutdownTimeoutMs?: number;
  /** How often a pass looks again while waiting for the guest to power off. @default 2000 */
  shutdownPollMs?: number;
  /** @default 600000 */
  resyncMs?: number;
  /** How long a server may be missing from lists after an interrupted create before we decide it never happened (Hetzner lists are consistent within seconds). @default 15000 */
  createGraceMs?: number;
}

/** ServerIdentity is the daemon's SSH identity and host-key pins, as the composition root provides them. */
export type ServerIdentity = Pick<ServerDeps, 'identity' | 'newHostKey' | 'userData' | 'fingerprint' | 'hostKeys'>;

/** A pass runs at most this many steps; the rest follows in the next pass (a guard, never reached in practice). */
const MAX_STEPS = 24;

/** rejected tells whether a create failure surely created nothing (the API refused the request). */
function rejected(err: unknown): boolean {
  if (err instanceof TerminalError) return true;
  return hasCode(err, 'Unauthorized', 'Invalid', 'Conflict', 'QuotaExceeded', 'NotFound', 'Locked') || serverFact(err) === 'NoCapacity';
}

/** withReason gives port failures the Server's own stable reasons where the code alone would be too coarse. */
function withReason(err: unknown): unknown {
  if (!(err instanceof DomainError) && !(err instanceof Error && err.cause instanceof DomainError)) return err;
  const fact = serverFact(err);
  const msg = (err as Error).message;
  if (fact === 'NoCapacity') return new RetryableError('CapacityUnavailable', msg, { retryAfterMs: CAPACITY_RETRY_MS, cause: err });
  if (fact === 'ActionFailed') return new RetryableError('ActionFailed', msg, { cause: err });
  if (fact === 'TypeNotPossible') return new TerminalError('InvalidServerType', msg, { cause: err });
  if (fact === 'NotSupported') return new TerminalError('NotSupported', msg, { cause: err });
  if (hasCode(err, 'Invalid')) return new TerminalError('InvalidSpec', msg, { cause: err });
  return err;
}

/** ServerObserved is the Server kind's `status.observed`: what other kinds may read through `ctx.depend('Server', name)`. */
// A type alias, not an interface, so it fits ReconcileResult's Record<string, unknown>.
export type ServerObserved = {
  id: number;
  ipv4: string | undefined;
  /** The server's first address in its /64 (`::1`). */
  ipv6: string | undefined;
  hetznerStatus: string;
  location: string | undefined;
  serverType: string;
  playbookHash?: string;
  /** Traefik and Portainer, when spec.infrastructure asks for them. */
  infrastructure?: InfrastructureObserved;
};

declare module '../../src/engine/reconciler.js' {
  interface KindObserved { Server: ServerObserved }
}

/** One object as both reconcile and plan see it. */
interface Subject {
  key: string;
  name: string;
  instance: string;
  generation: number;
  removed: boolean;
  annotations: Record<string, string>;
  internal: Readonly<Record<string, unknown>>;
}

/** World is what one pass knows about the cloud; steps update it, so the next decision needs no new request. */
interface World {
  server: ServerInfo | undefined;
  op?: OpView;
  /** With adopt: the same-named server (null when looked up and absent). */
  adoptable?: ServerInfo | null;
  targetType?: ServerTypeInfo | null;
}

/** SetupJob is one background playbook run; passes poll it, the one that sees it finished collects it. */
interface SetupJob {
  key: string;
  state: 'running' | 'done' | 'failed';
  /** The latest PLAY/TASK line, reported by whichever pass observes the job. */
  last?: string;
  /** The recap line (ok=N changed=N …). */
  recap?: string;
  /** The pinned host key the run was started with; undefined for a run on an approved fingerprint. */
  pin?: string;
  result?: { playbookHash: string; hostKey?: string };
  error?: unknown;
}

/** viewOf folds the states of one step's operations: an error wins, then running (slowest progress, soonest poll). */
function viewOf(ops: readonly OperationStatus[]): OpView {
  const failed = ops.find((o) => o.state === 'error');
  if (failed) return { state: 'error', progress: failed.progress, error: failed.error ?? new RetryableError('ActionFailed', `operation ${failed.id} failed`) };
  const running = ops.filter((o) => o.state === 'running');
  if (!running.length) return { state: 'success', progress: 100 };
  return { state: 'running', progress: Math.min(...running.map((o) => o.progress)), pollAfterMs: Math.min(...running.map((o) => o.pollAfterMs ?? OP_POLL_MS)) };
}

function observedOf(server: ServerInfo, playbookHash?: string): ServerObserved {
  return {
    id: server.id, ipv4: server.ipv4, ipv6: server.ipv6, hetznerStatus: server.status, location: server.location, serverType: server.serverType,
    ...(playbookHash ? { playbookHash } : {}),
  };
}

/** createServerController builds the Server reconciler. */
export function createServerController(deps: ServerDeps): Reconciler {
  const resyncMs = deps.resyncMs ?? 600_000;
  const limits = { createGraceMs: deps.createGraceMs ?? 15_000, shutdownTimeoutMs: deps.shutdownTimeoutMs ?? 120_000, shutdownPollMs: deps.shutdownPollMs ?? 2000 };
  const lists = new Map<string, SharedList<number, ServerInfo>>();
  // Monotonic time at which this process first saw a persisted wall mark (create pending, shutdown sent), so wall-clock steps cannot bend waits.
  const since = new Map<string, number>();
  // Background host setups by object key: a playbook run takes minutes and must not hold a worker.
  const jobs = new Map<string, SetupJob>();
  let keyId: Promise<number> | undefined;

  const cacheFor = (instance: string): SharedList<number, ServerInfo> => {
    let c = lists.get(instance);
    if (!c) {
      // Validated once: an exact `key=value` term can never match a longer name such as prod2.
      labelSelector({ [LABEL_INSTANCE]: instance });
      lists.set(instance, (c = new SharedList(() => deps.hcloud.list({ [LABEL_INSTANCE]: instance }), (s) => s.id, deps.clock, resyncMs / 2)));
    }
    return c;
  };

  const owns = (s: ServerInfo, o: { instance: string; name: string }): boolean => s.labels[LABEL_INSTANCE] === o.instance && s.labels[LABEL_OBJECT] === o.name;

  async function find(o: { instance: string; name: string }, fresh = false): Promise<ServerInfo | undefined> {
    const cache = cacheFor(o.instance);
    const items = fresh ? [...(await cache.refresh()).values()] : await cache.items();
    return items.find((s) => owns(s, o));
  }

  /** lookupFresh reads the server by id (one GET), falling back to a fresh list when the id is unknown or not ours any more. */
  async function lookupFresh(o: { instance: string; name: string }, id: number | undefined): Promise<ServerInfo | undefined> {
    if (id !== undefined) {
      const s = await deps.hcloud.get(id);
      if (s && owns(s, o)) { cacheFor(o.instance).put(s); return s; }
      if (!s) cacheFor(o.instance).drop(id);
    }
    return find(o, true);
  }

  /**
   * elapsed is how long a persisted wall mark has existed. The wall time only seeds the first reading after a restart
   * (capped at `cap`); from then on the monotonic clock measures it, so a wall-clock step neither stretches nor shrinks it.
   */
  function elapsed(mark: string, at: number, cap: number): number {
    const mono = deps.clock.monotonic();
    let seen = since.get(mark);
    if (seen === undefined) {
      seen = mono - Math.min(Math.max(0, deps.clock.now() - at), cap);
      since.set(mark, seen);
    }
    return mono - seen;
  }
  const shutdownMark = (key: string): string => `${key}#shutdown`;

  async function ensureSshKey(instance: string): Promise<number> {
    keyId ??= (async () => {
      const { publicKey } = await deps.identity();
      const fingerprint = deps.fingerprint(publicKey);
      // The port matches exactly; checking again costs nothing and a lax adapter must not hand us another key.
      const mine = (k: { id: number; fingerprint: string } | undefined) => (k?.fingerprint === fingerprint ? k.id : undefined);
      const existing = mine(await deps.hcloud.findSshKey(fingerprint));
      if (existing !== undefined) return existing;
      const labels = { 'managed-by': 'livchat', [LABEL_INSTANCE]: instance };
      try {
        return (await deps.hcloud.createSshKey({ name: `livchat-${instance}`, publicKey, labels })).id;
      } catch (err) {
        if (!hasCode(err, 'Conflict')) throw err;
        // Someone registered the key (or the name) meanwhile: the fingerprint is the truth.
        const again = mine(await deps.hcloud.findSshKey(fingerprint));
        if (again !== undefined) return again;
        return (await deps.hcloud.createSshKey({ name: `livchat-${instance}-${fingerprint.replace(/:/g, '').slice(0, 8)}`, publicKey, labels })).id;
      }
    })();
    keyId.catch(() => { keyId = undefined; });
    return keyId;
  }

  /** observe reads the cloud once per pass: operation states, the server (fresh while anything is under way). */
  async function observe(o: Subject): Promise<World> {
    const i = readInternal(o.internal);
    const w: World = { server: undefined };
    if (i.op) {
      // Ids the provider no longer knows finished long ago: the server's state decides what follows.
      const states = await deps.hcloud.operations(i.op.ids);
      w.op = viewOf(states);
    }
    // While an operation runs the decision is to wait, so the shared list serves; after one, or mid-change, the server is read afresh.
    const busy = w.op?.state !== 'running' && (!!(i.op || i.resize || i.createPending) || o.removed);
    w.server = busy ? await lookupFresh(o, i.serverId ?? i.op?.serverId) : await find(o);
    return w;
  }

  /** hostKeyPin reads the pin from the key store; a reconcile moves a pin that only the status file still holds into the store. */
  function hostKeyPin(o: Subject, i: ServerInternal, migrate: boolean): string | undefined {
    const stored = deps.hostKeys.pinned(o.name);
    if (stored) return stored;
    if (i.hostKey && migrate) deps.hostKeys.pin(o.name, i.hostKey);
    return i.hostKey;
  }

  async function setupFacts(o: Subject, spec: ServerSpec, i: ServerInternal, migrate: boolean): Promise<SetupFacts> {
    const playbookHash = await deps.host.playbookHash();
    const infra = deps.vault ? infrastructureInput(spec, o.name, deps.vault) : undefined;
    const key = hashValue({ hash: playbookHash, setup: setupOf(spec), keys: spec.sshKeys ?? [], name: o.name, ...(infra ? { infrastructure: infraKey(infra) } : {}) });
    const pin = hostKeyPin(o, i, migrate);
    const job = jobs.get(o.key);
    return {
      key, playbookHash, current: i.setupKey === key && !!pin, pinned: !!pin, approvedFingerprint: o.annotations[ANNOTATION_APPROVE_HOST_KEY],
      ...(job ? { job: { key: job.key, state: job.state, ...(job.last ? { last: job.last } : {}) } } : {}),
    };
  }

  /** facts completes the world with what this decision needs (type lookups, adoption candidates, elapsed times). */
  async function facts(o: Subject, spec: ServerSpec, w: World, migrate: boolean): Promise<ServerFacts> {
    const i = readInternal(o.internal);
    const s = w.server;
    if (s && !o.removed && s.serverType !== spec.serverType && w.targetType === undefined) w.targetType = (await deps.hcloud.serverType(spec.serverType)) ?? null;
    const adopt = o.annotations[ANNOTATION_ADOPT] === 'true';
    if (!s && !o.removed && adopt && w.adoptable === undefined) w.adoptable = (await deps.hcloud.list()).find((x) => x.name === o.name) ?? null;
    return {
      name: o.name, instance: o.instance, generation: o.generation, spec, removed: o.removed, adopt,
      approveReplace: o.annotations[ANNOTATION_APPROVE_REPLACE] === String(o.generation),
      internal: i, server: s, limits,
      ...(w.op ? { op: w.op } : {}),
      ...(w.adoptable ? { adoptable: w.adoptable } : {}),
      ...(w.targetType !== undefined ? { targetType: w.targetType } : {}),
      ...(i.createPending ? { createPendingMs: elapsed(o.key, i.createPending.at, limits.createGraceMs) } : {}),
      ...(i.resize?.shutdownAt !== undefined ? { shutdownMs: elapsed(shutdownMark(o.key), i.resize.shutdownAt, limits.shutdownTimeoutMs) } : {}),
      ...(s && !o.removed ? { setup: await setupFacts(o, spec, i, migrate) } : {}),
    };
  }

  /** start runs a provider call that starts operations and records them before anything else happens. */
  async function start(ctx: ReconcileContext, w: World, rec: Omit<PendingOp, 'ids' | 'at'>, call: () => Promise<OperationStatus | OperationStatus[]>, extra: Record<string, unknown> = {}): Promise<undefined> {
    const got = await call();
    const ops = Array.isArray(got) ? got : [got];
    const op: PendingOp = { ...rec, ids: ops.map((x) => x.id), at: deps.clock.now() };
    ctx.persist({ op, ...extra });
    w.op = viewOf(ops);
    return undefined;
  }

  async function create(ctx: ReconcileContext, spec: ServerSpec, w: World, a: Extract<ServerAction, { type: 'create' }>): Promise<undefined> {
    if (a.missing !== undefined) ctx.event('Warning', 'ServerMissing', `server ${a.missing} disappeared from Hetzner; creating it again`);
    const sshKey = await ensureSshKey(ctx.instance);
    const hostKey = deps.newHostKey();
    const previousPin = deps.hostKeys.pinned(ctx.name);
    // The durable marks come first: after a crash we search for the server instead of creating a second one, and its key is known.
    ctx.progress('Creating', `creating a ${spec.serverType} server in ${spec.location}`);
    deps.hostKeys.savePrivate(ctx.name, hostKey.privateKey);
    deps.hostKeys.pin(ctx.name, hostKey.publicKey);
    ctx.persist({ createPending: { at: deps.clock.now() }, hostKey: hostKey.publicKey });
    since.set(ctx.key, deps.clock.monotonic());
    // When no server was created with the new key, the pin goes back to what it was.
    const restorePin = (): void => { if (previousPin) deps.hostKeys.pin(ctx.name, previousPin); else deps.hostKeys.forget(ctx.name); };
    let res: Awaited<ReturnType<ServerPort['create']>>;
    try {
      res = await deps.hcloud.create({
        name: ctx.name, serverType: a.serverType, image: a.image, location: a.location, sshKeyIds: [sshKey], labels: a.labels,
        userData: deps.userData({ hostKey, hostname: ctx.name }),
      });
    } catch (err) {
      if (hasCode(err, 'Conflict')) {
        const ours = await find(ctx, true);
        since.delete(ctx.key);
        restorePin();
        if (ours) {
          // That server came from an earlier attempt, which pinned the key it was booted with.
          ctx.persist({ createPending: undefined, serverId: ours.id, hostKey: previousPin });
          w.server = ours;
          return undefined;
        }
        ctx.persist({ createPending: undefined, hostKey: undefined });
        throw new TerminalError('Conflict', `a server named ${ctx.name} already exists in the Hetzner project and is not managed by this installation; annotate livchat.ai/adopt: "true" to take it over`);
      }
      // A rejected request surely created nothing; an unknown outcome keeps the mark so we search first.
      if (rejected(err)) { restorePin(); ctx.persist({ createPending: undefined, hostKey: previousPin }); since.delete(ctx.key); }
      if (serverFact(err) === 'NoCapacity') {
        throw new RetryableError('CapacityUnavailable', `Hetzner has no ${a.serverType} capacity in ${a.location} right now (${(err as Error).message}); retrying in ${CAPACITY_RETRY_MS / 60_000} minutes, or choose another serverType or location`, { retryAfterMs: CAPACITY_RETRY_MS, cause: err });
      }
      throw err;
    }
    const op: PendingOp = { kind: 'create', step: 'Creating', ids: res.operations.map((x) => x.id), serverId: res.server.id, at: deps.clock.now(), message: `creating ${a.serverType} in ${a.location}` };
    ctx.persist({ createPending: undefined, serverId: res.server.id, op });
    since.delete(ctx.key);
    cacheFor(ctx.instance).put(res.server);
    w.server = res.server;
    w.op = viewOf(res.operations);
    ctx.event('Normal', 'Created', `created server ${res.server.id} (${a.serverType}, ${a.location}) at ${res.server.ipv4 ?? 'no ipv4'}`);
    return undefined;
  }

  /** finishOp clears a finished operation and applies what its end means; the next decision reads the server afresh. */
  async function finishOp(ctx: ReconcileContext, w: World, op: PendingOp, error: Error | undefined): Promise<ReconcileResult | undefined> {
    ctx.persist({ op: undefined });
    w.op = undefined;
    const resize = readInternal(ctx.internal).resize;
    if (error) {
      if (op.kind !== 'changeType' || !resize) throw error;
      // Never leave the server off because the type change failed: power it back on with its old type, then report.
      ctx.event('Warning', 'ResizeFailed', `change_type ${resize.from} → ${resize.to} failed; powering the server back on: ${error.message}`);
      ctx.persist({ resize: { ...resize, failed: error.message } });
    } else if (op.kind === 'protection' && op.step === 'Protecting') {
      ctx.event('Normal', 'ProtectionChanged', `delete and rebuild protection ${op.on ? 'on' : 'off'}`);
    } else if (op.kind === 'powerOff') {
      ctx.event('Warning', 'HardPowerOff', `the guest did not power off within ${Math.round(limits.shutdownTimeoutMs / 1000)} s of the ACPI shutdown; powered off hard to change the type`);
    } else if (op.kind === 'delete') {
      return finishDelete(ctx, w, op);
    }
    w.server = await lookupFresh(ctx, op.serverId);
    return undefined;
  }

  function finishDelete(ctx: ReconcileContext, w: World, op: Pick<PendingOp, 'serverId' | 'step' | 'fields'>): ReconcileResult | undefined {
    cacheFor(ctx.instance).drop(op.serverId);
    deps.hostKeys.forget(ctx.name);
    jobs.delete(ctx.key);
    w.server = undefined;
    if (op.step === 'Replacing') {
      ctx.persist({ serverId: undefined, setupKey: undefined, hostKey: undefined, resize: undefined });
      ctx.event('Normal', 'Replaced', `approved replacement (${(op.fields ?? []).join(', ')}): deleted server ${op.serverId}; a new one follows`);
      return { ready: { status: 'False', reason: 'Replacing', message: 'creating the replacement server' }, requeueAfterMs: 0 };
    }
    ctx.event('Normal', 'Deleted', `deleted server ${op.serverId}`);
    return undefined;
  }

  function startSetup(ctx: ReconcileContext, spec: ServerSpec, server: ServerInfo, key: string): void {
    const pin = hostKeyPin(subject(ctx), readInternal(ctx.internal), true);
    const approved = ctx.object.metadata.annotations?.[ANNOTATION_APPROVE_HOST_KEY];
    const job: SetupJob = { key, state: 'running', last: 'waiting for SSH', ...(pin ? { pin } : {}) };
    const infra = deps.vault ? infrastructureInput(spec, ctx.name, deps.vault) : undefined;
    jobs.set(ctx.key, job);
    // The logger outlives the pass; the pass's progress does not, so lines are kept on the job for the pass that looks next.
    const log = ctx.log;
    const input: HostSetupInput = {
      serverId: server.id, name: ctx.name, ipv4: server.ipv4!, ...(pin ? { hostKey: pin } : { approvedFingerprint: approved }),
      setup: setupOf(spec), authorizedKeys: spec.sshKeys ?? [],
      ...(infra ? { infrastructure: infra } : {}),
    };
    // Not awaited: the pass ends now and a later one collects the result. After a crash the run is simply redone (it is idempotent).
    void Promise.resolve()
      .then(() => deps.host.setup(input, ctx.signal, (line) => {
        log.info({ ansible: line }, 'setup output');
        if (/^(TASK|PLAY) \[/.test(line)) job.last = line.replace(/\*+$/, '').trim();
        if (/\bok=\d+/.test(line)) job.recap = line;
      }))
      .then((r) => { job.state = 'done'; job.result = r; }, (err: unknown) => { job.state = 'failed'; job.error = err; });
  }

  function collectSetup(ctx: ReconcileContext): void {
    const job = jobs.get(ctx.key);
    jobs.delete(ctx.key);
    if (!job) return;
    if (job.state === 'failed') throw job.error;
    const res = job.result!;
    if (job.recap) ctx.event('Normal', 'SetupOutput', job.recap.trim());
    const pinned = job.pin ?? res.hostKey;
    if (!job.pin && res.hostKey) {
      deps.hostKeys.pin(ctx.name, res.hostKey);
      ctx.event('Normal', 'HostKeyApproved', `pinned host key ${publicKeyFingerprintSha256(res.hostKey)} as approved`);
    }
    ctx.persist({ setupKey: job.key, playbookHash: res.playbookHash, ...(pinned && pinned !== ctx.internal.hostKey ? { hostKey: pinned } : {}) });
    ctx.event('Normal', 'SetUp', `playbooks applied (${res.playbookHash.slice(0, 12)})`);
  }

  /** run executes one step: undefined means the pass goes on with the next decision; a result or a throw ends it. */
  async function run(ctx: ReconcileContext, spec: ServerSpec, w: World, f: ServerFacts, a: ServerAction): Promise<ReconcileResult | undefined> {
    const r: ResizeState | undefined = f.internal.resize;
    switch (a.type) {
      case 'finishOp': return finishOp(ctx, w, a.op, a.error);
      case 'recordServer':
        ctx.persist({ serverId: a.server.id, createPending: undefined });
        since.delete(ctx.key);
        if (a.recovered) ctx.event('Normal', 'Recovered', `found server ${a.server.id} created before a restart; not creating another`);
        return undefined;
      case 'forgetCreateMark':
        ctx.persist({ createPending: undefined });
        since.delete(ctx.key);
        return undefined;
      case 'endResize':
        ctx.persist({ resize: undefined });
        since.delete(shutdownMark(ctx.key));
        if (a.resize.failed !== undefined) throw new RetryableError('ActionFailed', a.resize.failed);
        if (a.server.serverType === a.resize.to) ctx.event('Normal', 'Resized', `server type ${a.resize.from} → ${a.resize.to}`);
        return undefined;
      case 'collectSetup': collectSetup(ctx); return undefined;
      case 'dropSetup': jobs.delete(ctx.key); return undefined;
      case 'adopt': {
        const updated = await deps.hcloud.setLabels(a.server.id, a.labels);
        cacheFor(ctx.instance).put(updated);
        ctx.persist({ serverId: updated.id });
        ctx.event('Normal', 'Adopted', `took over existing server ${updated.id}; SSH waits until its host key fingerprint is approved (annotation ${ANNOTATION_APPROVE_HOST_KEY})`);
        w.server = updated;
        return undefined;
      }
      case 'create': return create(ctx, spec, w, a);
      case 'setLabels':
        w.server = await deps.hcloud.setLabels(a.server.id, a.labels);
        cacheFor(ctx.instance).put(w.server);
        ctx.event('Normal', 'LabelsUpdated', 'labels updated');
        return undefined;
      case 'orphan':
        await deps.hcloud.setLabels(a.server.id, a.labels);
        cacheFor(ctx.instance).drop(a.server.id);
        jobs.delete(ctx.key);
        ctx.event('Normal', 'Orphaned', `left server ${a.server.id} running and removed the ownership labels`);
        return { ready: { status: 'False', reason: 'Orphaned' }, deleted: true, childrenPolicy: 'Orphan' };
      case 'setProtection':
        return start(ctx, w, { kind: 'protection', step: a.step, serverId: a.server.id, on: a.on, message: `${a.on ? 'enabling' : 'lifting'} delete and rebuild protection` }, () => deps.hcloud.setProtection(a.server.id, a.on));
      case 'powerOn':
        return start(ctx, w, { kind: 'powerOn', step: a.step, serverId: a.server.id, message: r ? `${r.from} → ${r.to}: powering on` : 'powering on' }, () => deps.hcloud.powerOn(a.server.id));
      case 'shutdown': {
        const next: ResizeState = { from: r?.from ?? a.server.serverType, to: a.to, shutdownAt: deps.clock.now() };
        await start(ctx, w, { kind: 'shutdown', step: 'Resizing', serverId: a.server.id, message: `${next.from} → ${next.to}: shutting down` }, () => deps.hcloud.shutdown(a.server.id), { resize: next });
        since.set(shutdownMark(ctx.key), deps.clock.monotonic());
        return undefined;
      }
      case 'powerOff':
        return start(ctx, w, { kind: 'powerOff', step: 'Resizing', serverId: a.server.id, message: `${r?.from} → ${r?.to}: powering off` }, () => deps.hcloud.powerOff(a.server.id), { resize: { ...r!, hard: true } });
      case 'changeType': {
        const next: ResizeState = r ?? { from: a.server.serverType, to: a.to };
        // Keep the disk size so a later downgrade stays possible.
        return start(ctx, w, { kind: 'changeType', step: 'Resizing', serverId: a.server.id, message: `${next.from} → ${next.to}: changing type` }, () => deps.hcloud.resize(a.server.id, a.to, { keepDisk: true }), { resize: next });
      }
      case 'delete':
        try {
          return await start(ctx, w, { kind: 'delete', step: a.step, serverId: a.server.id, message: `deleting server ${a.server.id}`, ...(a.fields ? { fields: a.fields } : {}) }, () => deps.hcloud.delete(a.server.id));
        } catch (err) {
          // Already gone is what we wanted.
          if (!hasCode(err, 'NotFound')) throw err;
          return finishDelete(ctx, w, { serverId: a.server.id, step: a.step, ...(a.fields ? { fields: a.fields } : {}) });
        }
      case 'startSetup': startSetup(ctx, spec, a.server, a.key); return undefined;
      case 'wait':
        ctx.progress(a.reason, a.message);
        // With a server the wait carries its addresses, so derived DNS records need not wait for the whole setup.
        // A running server that was set up before stays usable while a step runs (protection, a playbook re-run): Ready=True, Reconciling=True.
        if (w.server?.status === 'running' && f.internal.setupKey !== undefined) {
          return { ready: { status: 'True', reason: 'Available', message: `running at ${w.server.ipv4 ?? 'no ipv4'}` }, reconciling: { reason: a.reason, message: a.message }, observed: observedOf(w.server), requeueAfterMs: a.afterMs };
        }
        if (w.server) return { ready: { status: 'False', reason: a.reason, message: a.message }, observed: observedOf(w.server), requeueAfterMs: a.afterMs };
        throw new WaitError(a.reason, a.message, a.afterMs);
      case 'stall': throw new TerminalError(a.reason, a.message);
      case 'conflict': throw new TerminalError('Conflict', a.message);
      case 'retry': throw new RetryableError(a.reason, a.message, { retryAfterMs: a.afterMs });
      case 'done': {
        const observed = observedOf(w.server!, f.setup?.current ? f.setup.playbookHash : undefined);
        const infra = await infrastructureOf(ctx, spec, w.server!);
        if (infra && !infra.ready) {
          return { ready: { status: 'False', reason: 'WaitingForInfrastructure', message: `waiting for ${infra.waitingOn ?? 'Traefik and Portainer'}` }, observed: { ...observed, infrastructure: infra }, requeueAfterMs: OP_POLL_MS };
        }
        const ready = infra && a.ready.status === 'True' ? { ...a.ready, message: `${a.ready.message ?? ''}, with Traefik and Portainer` } : a.ready;
        return { ready, ...(a.synced ? { synced: a.synced } : {}), observed: { ...observed, ...(infra ? { infrastructure: infra } : {}) } };
      }
      case 'blocked':
        return {
          ready: { status: 'True', reason: 'DeletionProtected', message: `the file is gone but server ${a.server.id} has delete protection; set spec.protection.delete: false first, then remove the file` },
          synced: { status: 'False', reason: 'DeletionProtected', message: 'nothing was deleted' },
          observed: observedOf(a.server),
        };
      case 'deleted':
        jobs.delete(ctx.key);
        return { ready: { status: 'False', reason: 'Deleted' }, deleted: true, childrenPolicy: a.childrenPolicy };
    }
  }

  /** infrastructureOf bootstraps Portainer's API token once (then answers from memory and the vault, with no request). */
  async function infrastructureOf(ctx: ReconcileContext, spec: ServerSpec, server: ServerInfo): Promise<InfrastructureObserved | undefined> {
    if (!spec.infrastructure || !deps.vault || !deps.portainer || !server.ipv4) return undefined;
    return ensurePortainer(
      { name: ctx.name, id: server.id, ipv4: server.ipv4, remembered: ctx.internal.portainer as PortainerMemory | undefined, versions: { traefik: TRAEFIK_VERSION, portainer: PORTAINER_VERSION } },
      deps.vault, deps.portainer,
      (m) => { ctx.persist({ portainer: m }); ctx.event('Normal', 'PortainerReady', `Portainer ${m.version} answers; API token kept in the vault (environment ${m.endpointId})`); },
    );
  }

  const subject = (ctx: ReconcileContext): Subject => ({
    key: ctx.key, name: ctx.name, instance: ctx.instance, generation: ctx.generation, removed: !ctx.desired,
    annotations: ctx.object.metadata.annotations ?? {}, internal: ctx.internal,
  });

  async function reconcileOnce(ctx: ReconcileContext): Promise<ReconcileResult> {
    const spec = ctx.object.spec as unknown as ServerSpec;
    if (ctx.desired) ctx.own(spec.dns ? dnsRecordsFor(ctx.name, spec.dns, spec.deletionPolicy ?? 'Delete') : []);
    const o = subject(ctx);
    const w = await observe(o);
    for (let n = 0; n < MAX_STEPS; n++) {
      const f = await facts(o, spec, w, true);
      const result = await run(ctx, spec, w, f, decide(f).actions[0]!);
      if (result) return result;
    }
    return { ready: { status: 'False', reason: 'Provisioning', message: 'more steps follow' }, ...(w.server ? { observed: observedOf(w.server) } : {}), requeueAfterMs: 0 };
  }

  async function reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    try {
      return await reconcileOnce(ctx);
    } catch (err) {
      throw withReason(err);
    }
  }

  async function plan(ctx: PlanContext): Promise<PlanItem> {
    const spec = ctx.object.spec as unknown as ServerSpec;
    const o: Subject = {
      key: ctx.key, name: ctx.object.metadata.name, instance: ctx.instance, generation: ctx.generation, removed: !ctx.desired,
      annotations: ctx.object.metadata.annotations ?? {}, internal: ctx.internal,
    };
    // The same reads as a reconcile and the same decision; nothing is written.
    const w = await observe(o);
    const f = await facts(o, spec, w, false);
    return planItem(ctx.key, f, decide(f));
  }

  return {
    kind: 'Server',
    settings: { concurrency: 2, resyncMs, backoffBaseMs: 2000, backoffCapMs: 600_000 },
    reconcile,
    plan,
    reasons: {
      Available: { needsHuman: false, description: 'the server is running and set up' },
      WaitingForInfrastructure: { needsHuman: false, description: 'Traefik and Portainer are being set up' },
      PortainerNotInitialised: { needsHuman: true, description: 'Portainer has no admin; the infrastructure role must run again' },
      PortainerTokenMissing: { needsHuman: false, description: 'no Portainer API token yet' },
      TunnelUnavailable: { needsHuman: true, description: 'no SSH tunnel to reach Portainer' },
      Creating: { needsHuman: false, description: 'the server is being created' },
      Provisioning: { needsHuman: false, description: 'the server exists and is being set up' },
      SettingUp: { needsHuman: false, description: 'the host playbook runs' },
      Starting: { needsHuman: false, description: 'the server is powering on' },
      Protecting: { needsHuman: false, description: 'delete and rebuild protection are being changed' },
      Resizing: { needsHuman: false, description: 'power off, change type, power on' },
      Replacing: { needsHuman: false, description: 'an approved replacement runs' },
      Deleting: { needsHuman: false, description: 'the server is being deleted' },
      Orphaned: { needsHuman: false, description: 'ownership labels removed, the server keeps running' },
      ServerMissing: { needsHuman: false, description: 'the recorded server is gone; it is looked up again' },
      CapacityUnavailable: { needsHuman: false, description: 'the location has no capacity now; retried' },
      Conflict: { needsHuman: false, description: 'a name or resource is taken' },
      ReplacementRequired: { needsHuman: true, description: 'the change needs a new server; approve with livchat.ai/approve-replace' },
      DeletionProtected: { needsHuman: true, description: 'the file is gone but the server has delete protection' },
      ActionFailed: { needsHuman: false, description: 'a Hetzner action failed; retried' },
      InvalidSpec: { needsHuman: true, description: 'Hetzner rejected the request as invalid' },
      InvalidServerType: { needsHuman: true, description: 'the server type does not exist' },
      UnknownServerType: { needsHuman: true, description: 'the wanted server type is not in Hetzner\'s list' },
      DiskTooSmall: { needsHuman: true, description: 'the wanted type\'s disk is smaller than the server\'s' },
      UnsupportedLocation: { needsHuman: true, description: 'the wanted type is not sold in the server\'s location' },
      NotSupported: { needsHuman: true, description: 'the API does not support the request' },
      NoIpv4: { needsHuman: true, description: 'the server has no public IPv4 address to reach it over SSH' },
      LeaseKeyNotOurs: { needsHuman: true, description: 'the SSH key name is taken by a key livchat does not manage' },
      HostKeyUnknown: { needsHuman: true, description: 'no pinned or approved host key' },
      HostKeyNotApproved: { needsHuman: true, description: 'the host key differs from the approved fingerprint' },
      HostKeyMismatch: { needsHuman: true, description: 'the host key differs from the pinned key' },
      NoSshEndpoint: { needsHuman: true, description: 'the simulator gave no SSH endpoint' },
      DocumentationAddress: { needsHuman: true, description: 'a documentation address is never contacted' },
      NotLoopback: { needsHuman: true, description: 'simulate mode only contacts loopback servers' },
      SshNotReady: { needsHuman: false, description: 'sshd does not answer yet' },
      SshUnreachable: { needsHuman: false, description: 'ssh cannot reach the server; retried' },
      SshAuthFailed: { needsHuman: false, description: 'ssh authentication failed; retried' },
      SshExecFailed: { needsHuman: false, description: 'a remote command failed; retried' },
      HostUnreachable: { needsHuman: false, description: 'ansible cannot reach the host; retried' },
      CloudInitFailed: { needsHuman: true, description: 'cloud-init failed on the server' },
      AnsibleNotInstalled: { needsHuman: true, description: 'ansible-playbook is not installed' },
      PlaybookInvalid: { needsHuman: true, description: 'ansible-playbook exited before running' },
      PlaybookFailed: { needsHuman: false, description: 'a playbook task failed; retried' },
      CredentialsMissing: { needsHuman: true, description: 'no provider token is configured' },
      AuthenticationFailed: { needsHuman: true, description: 'the provider rejected the token' },
    },
    // SIGHUP: re-list servers and re-hash the playbooks (they are hashed once per process otherwise).
    invalidate: () => { for (const c of lists.values()) c.invalidate(); deps.host.invalidate?.(); },
  };
}

function setupOf(spec: ServerSpec): { timezone: string; swapSize: string } {
  return { timezone: spec.setup?.timezone ?? 'UTC', swapSize: spec.setup?.swapSize ?? '0' };
}
