// Server controller: Hetzner servers created crash-safely, resized, protected, set up over SSH, and deleted by policy.
import type { PlanContext, PlanItem, ReconcileContext, ReconcileResult, Reconciler } from '../../src/engine/reconciler.js';
import { DomainError, RetryableError, TerminalError, WaitError, hasCode } from '../../src/engine/errors.js';
import { serverFact } from './failure.js';
import { ANNOTATION_ADOPT, ANNOTATION_APPROVE_REPLACE } from '../../src/engine/types.js';
import type { Clock } from '../../src/engine/clock.js';
import { SharedList } from '../../src/engine/shared-list.js';
import { hashValue } from '../../src/engine/hash.js';
import type { Action, CreateServerRequest, CreateServerResult, Server, ServerType, SshKey } from '../../src/providers/hetzner-types.js';
import { serverLocation } from '../../src/providers/hetzner-types.js';
import {
  ANNOTATION_APPROVE_HOST_KEY, LABEL_INSTANCE, LABEL_OBJECT, desiredLabels, diffServer, hostIpv6, labelSelector, ownershipLabels, type ServerChange, type ServerSpec,
} from './classify.js';
import { resizeProblem } from './resize.js';
import type { HostKeyStore } from '../../src/host/host-keys.js';
import { ensurePortainer, infraKey, infrastructureInput, type InfraVault, type InfrastructureObserved, type PortainerBootstrap, type PortainerMemory } from './infrastructure.js';
import { PORTAINER_VERSION, TRAEFIK_VERSION } from '../../src/host/infra-versions.js';
import { publicKeyFingerprintSha256 } from '../../src/host/keys.js';
import { dnsRecordsFor } from './children.js';
import type { HostSetupInput, HostSetupPort } from '../../src/host/port.js';

export type { HostSetupInput, HostSetupPort, HostKeyStore };

import type { ServerPort } from './port.js';

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
  /** Interval of status polls while waiting for the guest to power off. @default 2000 */
  shutdownPollMs?: number;
  /** @default 600000 */
  resyncMs?: number;
  /** How long a server may be missing from lists after an interrupted create before we decide it never happened (Hetzner lists are consistent within seconds). @default 15000 */
  createGraceMs?: number;
}

/** ServerIdentity is the daemon's SSH identity and host-key pins, as the composition root provides them. */
export type ServerIdentity = Pick<ServerDeps, 'identity' | 'newHostKey' | 'userData' | 'fingerprint' | 'hostKeys'>;

const POLL_MS = 5000;
/** How long to wait before asking again when Hetzner has no capacity for the wanted type. */
const CAPACITY_RETRY_MS = 5 * 60_000;

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

/** createServerController builds the Server reconciler. */
export function createServerController(deps: ServerDeps): Reconciler {
  const resyncMs = deps.resyncMs ?? 600_000;
  const grace = deps.createGraceMs ?? 15_000;
  const shutdownTimeout = deps.shutdownTimeoutMs ?? 120_000;
  const shutdownPoll = deps.shutdownPollMs ?? 2000;
  const lists = new Map<string, SharedList<number, Server>>();
  // Monotonic time at which this process first saw each key's create-pending mark, so wall-clock steps cannot bend the grace.
  const pendingSeen = new Map<string, number>();
  let keyId: Promise<number> | undefined;

  const cacheFor = (instance: string): SharedList<number, Server> => {
    let c = lists.get(instance);
    if (!c) {
      // Built and validated once: an exact `key=value` term can never match a longer name such as prod2.
      const selector = labelSelector({ [LABEL_INSTANCE]: instance });
      lists.set(instance, (c = new SharedList(() => deps.hcloud.listServers(selector), (s) => s.id, deps.clock, resyncMs / 2)));
    }
    return c;
  };

  async function find(ctx: { instance: string; name: string }, fresh = false): Promise<Server | undefined> {
    const cache = cacheFor(ctx.instance);
    const items = fresh ? [...(await cache.refresh()).values()] : await cache.items();
    return items.find((s) => s.labels[LABEL_INSTANCE] === ctx.instance && s.labels[LABEL_OBJECT] === ctx.name);
  }

  async function ensureSshKey(instance: string): Promise<number> {
    keyId ??= (async () => {
      const { publicKey } = await deps.identity();
      const fingerprint = deps.fingerprint(publicKey);
      // The filter narrows the list; the exact fingerprint decides (a filter the API ignored must not hand us another key).
      const mine = (keys: SshKey[]) => keys.find((k) => k.fingerprint === fingerprint);
      const existing = mine(await deps.hcloud.listSshKeys({ fingerprint }));
      if (existing) return existing.id;
      try {
        return (await deps.hcloud.createSshKey({ name: `livchat-${instance}`, public_key: publicKey, labels: { 'managed-by': 'livchat', [LABEL_INSTANCE]: instance } })).id;
      } catch (err) {
        if (!hasCode(err, 'Conflict')) throw err;
        // Someone registered the key (or the name) meanwhile: the fingerprint is the truth.
        const again = mine(await deps.hcloud.listSshKeys({ fingerprint }));
        if (again) return again.id;
        return (await deps.hcloud.createSshKey({ name: `livchat-${instance}-${fingerprint.replace(/:/g, '').slice(0, 8)}`, public_key: publicKey, labels: { 'managed-by': 'livchat', [LABEL_INSTANCE]: instance } })).id;
      }
    })();
    keyId.catch(() => { keyId = undefined; });
    return keyId;
  }

  async function waitActions(ctx: ReconcileContext, actions: Action[], phase: string): Promise<void> {
    const ids = actions.map((a) => a.id);
    if (!ids.length) return;
    const seen = new Map(actions.map((a) => [a.id, a]));
    await deps.hcloud.waitForActions(ids, {
      signal: ctx.signal,
      onProgress: (a) => { seen.set(a.id, a); ctx.progress(phase, [...seen.values()].map((x) => `${x.command} ${x.progress}%`).join(', ')); },
    });
  }

  async function create(ctx: ReconcileContext, spec: ServerSpec): Promise<Server> {
    const sshKey = await ensureSshKey(ctx.instance);
    const hostKey = deps.newHostKey();
    const previousPin = deps.hostKeys.pinned(ctx.name);
    // The durable marks come first: after a crash we search for the server instead of creating a second one, and its key is known.
    ctx.progress('Creating', `POST /servers ${spec.serverType} in ${spec.location}`);
    deps.hostKeys.savePrivate(ctx.name, hostKey.privateKey);
    deps.hostKeys.pin(ctx.name, hostKey.publicKey);
    ctx.persist({ createPending: { at: deps.clock.now() }, hostKey: hostKey.publicKey });
    pendingSeen.set(ctx.key, deps.clock.monotonic());
    // When no server was created with the new key, the pin goes back to what it was.
    const restorePin = (): void => { if (previousPin) deps.hostKeys.pin(ctx.name, previousPin); else deps.hostKeys.forget(ctx.name); };
    let res: CreateServerResult;
    try {
      res = await deps.hcloud.createServer({
        name: ctx.name, server_type: spec.serverType, image: spec.image, location: spec.location,
        ssh_keys: [sshKey], labels: desiredLabels(spec, ctx.instance, ctx.name), start_after_create: true,
        user_data: deps.userData({ hostKey, hostname: ctx.name }),
      });
    } catch (err) {
      if (hasCode(err, 'Conflict')) {
        const ours = await find(ctx, true);
        pendingSeen.delete(ctx.key);
        if (ours) {
          // That server came from an earlier attempt, which pinned the key it was booted with.
          restorePin();
          ctx.persist({ createPending: undefined, serverId: ours.id, hostKey: previousPin });
          return ours;
        }
        restorePin();
        ctx.persist({ createPending: undefined, hostKey: undefined });
        throw new TerminalError('Conflict', `a server named ${ctx.name} already exists in the Hetzner project and is not managed by this installation; annotate livchat.ai/adopt: "true" to take it over`);
      }
      // A rejected request surely created nothing; an unknown outcome keeps the mark so we search first.
      if (rejected(err)) { restorePin(); ctx.persist({ createPending: undefined, hostKey: previousPin }); pendingSeen.delete(ctx.key); }
      if (serverFact(err) === 'NoCapacity') {
        throw new RetryableError('CapacityUnavailable', `Hetzner has no ${spec.serverType} capacity in ${spec.location} right now (${(err as Error).message}); retrying in ${CAPACITY_RETRY_MS / 60_000} minutes, or choose another serverType or location`, { retryAfterMs: CAPACITY_RETRY_MS, cause: err });
      }
      throw err;
    }
    ctx.persist({ createPending: undefined, serverId: res.server.id });
    pendingSeen.delete(ctx.key);
    cacheFor(ctx.instance).put(res.server);
    ctx.event('Normal', 'Created', `created server ${res.server.id} (${spec.serverType}, ${spec.location}) at ${res.server.public_net.ipv4?.ip ?? 'no ipv4'}`);
    await waitActions(ctx, [res.action, ...res.nextActions], 'Provisioning');
    return (await find(ctx, true)) ?? res.server;
  }

  async function adopt(ctx: ReconcileContext, spec: ServerSpec): Promise<Server | undefined> {
    if (ctx.object.metadata.annotations?.[ANNOTATION_ADOPT] !== 'true') return undefined;
    const all = await deps.hcloud.listServers();
    const named = all.find((s) => s.name === ctx.name);
    if (!named) return undefined;
    if (named.labels[LABEL_INSTANCE] && named.labels[LABEL_INSTANCE] !== ctx.instance) {
      throw new TerminalError('Conflict', `server ${ctx.name} belongs to livchat installation ${named.labels[LABEL_INSTANCE]}`);
    }
    const updated = await deps.hcloud.updateServer(named.id, { labels: { ...named.labels, ...desiredLabels(spec, ctx.instance, ctx.name) } });
    cacheFor(ctx.instance).put(updated);
    ctx.persist({ serverId: updated.id });
    ctx.event('Normal', 'Adopted', `took over existing server ${updated.id}; SSH waits until its host key fingerprint is approved (annotation ${ANNOTATION_APPROVE_HOST_KEY})`);
    return updated;
  }

  async function observeOrCreate(ctx: ReconcileContext, spec: ServerSpec): Promise<Server> {
    let server = await find(ctx);
    const pending = ctx.internal.createPending as { at: number } | undefined;
    if (!server && pending) {
      server = await find(ctx, true);
      if (server) {
        ctx.persist({ createPending: undefined, serverId: server.id });
        pendingSeen.delete(ctx.key);
        ctx.event('Normal', 'Recovered', `found server ${server.id} created before a restart; not creating another`);
      } else if (pendingElapsed(ctx.key, pending.at) < grace) {
        throw new WaitError('Creating', 'a create was in flight; waiting for the server to appear in the API before deciding', POLL_MS);
      } else {
        ctx.persist({ createPending: undefined });
        pendingSeen.delete(ctx.key);
      }
    }
    if (!server && ctx.internal.serverId !== undefined && !pending) {
      ctx.event('Warning', 'ServerMissing', `server ${String(ctx.internal.serverId)} disappeared from Hetzner; creating it again`);
    }
    const found = server ?? (await adopt(ctx, spec)) ?? (await create(ctx, spec));
    if (ctx.internal.serverId !== found.id || ctx.internal.createPending) ctx.persist({ serverId: found.id, createPending: undefined });
    return found;
  }

  /**
   * pendingElapsed is how long a create has been pending. The persisted wall mark only seeds the first reading after a
   * restart; from then on the monotonic clock measures it, so a wall-clock step neither stretches nor shrinks the grace.
   */
  function pendingElapsed(key: string, at: number): number {
    const mono = deps.clock.monotonic();
    let seen = pendingSeen.get(key);
    if (seen === undefined) {
      const before = Math.min(Math.max(0, deps.clock.now() - at), grace);
      seen = mono - before;
      pendingSeen.set(key, seen);
    }
    return mono - seen;
  }

  /** resize shuts the guest down (hard power-off after a bounded wait), changes the type and powers on again. */
  async function resize(ctx: ReconcileContext, spec: ServerSpec, server: Server, c: ServerChange): Promise<void> {
    const what = `${String(c.from)} → ${String(c.to)}`;
    // Everything that would make change_type fail is checked before any downtime.
    const target = await deps.hcloud.getServerType(spec.serverType);
    const problem = resizeProblem(server, spec.serverType, target);
    if (problem?.kind === 'unavailable') throw new RetryableError('CapacityUnavailable', problem.message, { retryAfterMs: CAPACITY_RETRY_MS });
    if (problem) throw new TerminalError(problem.reason, problem.message);
    if (server.status !== 'off') await powerOff(ctx, server, what);
    ctx.progress('Resizing', `${what}: changing type`);
    try {
      // Keep the disk size so a later downgrade stays possible.
      await waitActions(ctx, [await deps.hcloud.serverAction(server.id, 'change_type', { server_type: spec.serverType, upgrade_disk: false })], 'Resizing');
    } catch (err) {
      // Never leave the server off because the type change failed: power it back on with its old type.
      ctx.event('Warning', 'ResizeFailed', `change_type ${what} failed; powering the server back on: ${(err as Error).message}`);
      await waitActions(ctx, [await deps.hcloud.serverAction(server.id, 'poweron')], 'Resizing');
      throw err;
    }
    ctx.progress('Resizing', `${what}: powering on`);
    await waitActions(ctx, [await deps.hcloud.serverAction(server.id, 'poweron')], 'Resizing');
    ctx.event('Normal', 'Resized', `server type ${what}`);
  }

  /** powerOff asks the guest to shut down (ACPI) and waits a bounded time for `off`, then powers off hard. */
  async function powerOff(ctx: ReconcileContext, server: Server, what: string): Promise<void> {
    ctx.progress('Resizing', `${what}: shutting down`);
    // The shutdown action only reports that the ACPI request was sent; the guest decides when it is off.
    await waitActions(ctx, [await deps.hcloud.serverAction(server.id, 'shutdown')], 'Resizing');
    const deadline = deps.clock.monotonic() + shutdownTimeout;
    for (;;) {
      const now = await deps.hcloud.getServer(server.id);
      if (!now) throw new RetryableError('ServerMissing', `server ${server.id} disappeared during the resize`);
      if (now.status === 'off') return;
      const left = deadline - deps.clock.monotonic();
      if (left <= 0) break;
      await deps.clock.sleep(Math.min(shutdownPoll, left), ctx.signal);
    }
    ctx.progress('Resizing', `${what}: powering off`);
    await waitActions(ctx, [await deps.hcloud.serverAction(server.id, 'poweroff')], 'Resizing');
    ctx.event('Warning', 'HardPowerOff', `the guest did not power off within ${Math.round(shutdownTimeout / 1000)} s of the ACPI shutdown; powered off hard to change the type`);
  }

  async function applyChanges(ctx: ReconcileContext, spec: ServerSpec, server: Server, changes: ServerChange[]): Promise<Server> {
    let s = server;
    for (const c of changes) {
      if (c.field === 'protection') {
        const p = spec.protection?.delete ?? true;
        await waitActions(ctx, [await deps.hcloud.serverAction(s.id, 'change_protection', { delete: p, rebuild: p })], 'Protecting');
        s = { ...s, protection: { delete: p, rebuild: p } };
        ctx.event('Normal', 'ProtectionChanged', `delete and rebuild protection ${p ? 'on' : 'off'}`);
      } else if (c.field === 'labels') {
        s = await deps.hcloud.updateServer(s.id, { labels: c.to as Record<string, string> });
        ctx.event('Normal', 'LabelsUpdated', 'labels updated');
      } else if (c.field === 'serverType') {
        await resize(ctx, spec, s, c);
        s = (await find(ctx, true)) ?? s;
      }
    }
    cacheFor(ctx.instance).put(s);
    return s;
  }

  async function setupHost(ctx: ReconcileContext, spec: ServerSpec, server: Server): Promise<string> {
    const hash = await deps.host.playbookHash();
    const setup = { timezone: spec.setup?.timezone ?? 'UTC', swapSize: spec.setup?.swapSize ?? '0' };
    const infrastructure = deps.vault ? infrastructureInput(spec, ctx.name, deps.vault) : undefined;
    const setupKey = hashValue({ hash, setup, keys: spec.sshKeys ?? [], name: ctx.name, ...(infrastructure ? { infrastructure: infraKey(infrastructure) } : {}) });
    const pin = hostKeyPin(ctx);
    if (ctx.internal.setupKey === setupKey && pin.key) return hash;
    const ipv4 = server.public_net.ipv4?.ip;
    if (!ipv4) throw new TerminalError('NoIpv4', 'the server has no public IPv4 address to reach it over SSH');
    const approved = ctx.object.metadata.annotations?.[ANNOTATION_APPROVE_HOST_KEY];
    if (!pin.key && !approved) {
      throw new TerminalError('HostKeyUnknown', `no pinned SSH host key is known for server ${server.id} (adopted, or its key record was lost), and keys are never trusted on first use; check the key with the Hetzner console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and annotate ${ANNOTATION_APPROVE_HOST_KEY}: "SHA256:..."`);
    }
    ctx.progress('SettingUp', 'waiting for SSH');
    const lines: string[] = [];
    const res = await deps.host.setup(
      { serverId: server.id, name: ctx.name, ipv4, ...(pin.key ? { hostKey: pin.key } : { approvedFingerprint: approved }), setup, authorizedKeys: spec.sshKeys ?? [], ...(infrastructure ? { infrastructure } : {}) },
      ctx.signal,
      (line) => {
        lines.push(line);
        ctx.log.info({ ansible: line }, 'setup output');
        if (/^(TASK|PLAY) \[/.test(line)) ctx.progress('SettingUp', line.replace(/\*+$/, '').trim());
      },
    );
    const recap = lines.filter((l) => /\bok=\d+/.test(l)).pop();
    if (recap) ctx.event('Normal', 'SetupOutput', recap.trim());
    const pinned = pin.key ?? res.hostKey;
    if (!pin.key && res.hostKey) {
      deps.hostKeys.pin(ctx.name, res.hostKey);
      ctx.event('Normal', 'HostKeyApproved', `pinned host key ${publicKeyFingerprintSha256(res.hostKey)} as approved`);
    }
    ctx.persist({ setupKey, playbookHash: res.playbookHash, ...(pinned && pinned !== ctx.internal.hostKey ? { hostKey: pinned } : {}) });
    ctx.event('Normal', 'SetUp', `playbooks applied (${res.playbookHash.slice(0, 12)})`);
    return res.playbookHash;
  }

  /** hostKeyPin reads the pin from the key store, moving a pin that only the status file still holds into the store. */
  function hostKeyPin(ctx: ReconcileContext): { key?: string } {
    const stored = deps.hostKeys.pinned(ctx.name);
    if (stored) return { key: stored };
    const legacy = ctx.internal.hostKey as string | undefined;
    if (legacy) { deps.hostKeys.pin(ctx.name, legacy); return { key: legacy }; }
    return {};
  }

  /** infrastructureOf bootstraps Portainer's API token once (then answers from memory and the vault, with no request). */
  async function infrastructureOf(ctx: ReconcileContext, spec: ServerSpec, server: Server): Promise<InfrastructureObserved | undefined> {
    if (!spec.infrastructure || !deps.vault || !deps.portainer) return undefined;
    const ipv4 = server.public_net.ipv4?.ip;
    if (!ipv4) return undefined;
    return ensurePortainer(
      { name: ctx.name, id: server.id, ipv4, remembered: ctx.internal.portainer as PortainerMemory | undefined, versions: { traefik: TRAEFIK_VERSION, portainer: PORTAINER_VERSION } },
      deps.vault, deps.portainer,
      (m) => { ctx.persist({ portainer: m }); ctx.event('Normal', 'PortainerReady', `Portainer ${m.version} answers through the tunnel; API token kept in the vault (environment ${m.endpointId})`); },
    );
  }

  function observed(server: Server, playbookHash?: string): ServerObserved {
    return {
      id: server.id,
      ipv4: server.public_net.ipv4?.ip,
      ipv6: hostIpv6(server.public_net.ipv6?.ip),
      hetznerStatus: server.status,
      location: serverLocation(server)?.name,
      serverType: server.server_type.name,
      ...(playbookHash ? { playbookHash } : {}),
    };
  }

  async function remove(ctx: ReconcileContext, spec: ServerSpec): Promise<ReconcileResult> {
    const server = await find(ctx, true);
    if (!server) return { ready: { status: 'False', reason: 'Deleted' }, deleted: true, childrenPolicy: spec.deletionPolicy ?? 'Delete' };
    if ((spec.deletionPolicy ?? 'Delete') === 'Orphan') {
      const labels = Object.fromEntries(Object.entries(server.labels).filter(([k]) => !(k in ownershipLabels(ctx.instance, ctx.name))));
      await deps.hcloud.updateServer(server.id, { labels });
      cacheFor(ctx.instance).drop(server.id);
      ctx.event('Normal', 'Orphaned', `left server ${server.id} running and removed the ownership labels`);
      return { ready: { status: 'False', reason: 'Orphaned' }, deleted: true, childrenPolicy: 'Orphan' };
    }
    if (server.protection.delete) {
      return {
        ready: { status: 'True', reason: 'DeletionProtected', message: `the file is gone but server ${server.id} has delete protection; set spec.protection.delete: false first, then remove the file` },
        synced: { status: 'False', reason: 'DeletionProtected', message: 'nothing was deleted' },
        observed: observed(server),
      };
    }
    ctx.progress('Deleting', `DELETE /servers/${server.id}`);
    try {
      await waitActions(ctx, [await deps.hcloud.deleteServer(server.id)], 'Deleting');
    } catch (err) {
      if (!hasCode(err, 'NotFound')) throw err;
    }
    cacheFor(ctx.instance).drop(server.id);
    deps.hostKeys.forget(ctx.name);
    ctx.event('Normal', 'Deleted', `deleted server ${server.id}`);
    return { ready: { status: 'False', reason: 'Deleted' }, deleted: true, childrenPolicy: 'Delete' };
  }

  async function reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    try {
      return await reconcileOnce(ctx);
    } catch (err) {
      throw withReason(err);
    }
  }

  async function reconcileOnce(ctx: ReconcileContext): Promise<ReconcileResult> {
    const spec = ctx.object.spec as unknown as ServerSpec;
    if (!ctx.desired) return remove(ctx, spec);
    if (spec.dns) ctx.own(dnsRecordsFor(ctx.name, spec.dns, spec.deletionPolicy ?? 'Delete'));
    else ctx.own([]);
    let server = await observeOrCreate(ctx, spec);
    if (server.status === 'off') {
      ctx.progress('Starting', 'powering on');
      await waitActions(ctx, [await deps.hcloud.serverAction(server.id, 'poweron')], 'Starting');
      server = (await find(ctx, true)) ?? server;
    }
    if (server.status !== 'running') {
      throw new WaitError('Provisioning', `Hetzner reports the server ${server.status}`, POLL_MS);
    }
    const changes = diffServer(spec, server, ctx.instance, ctx.name);
    const replace = changes.filter((c) => c.class === 'replacement');
    const approved = ctx.object.metadata.annotations?.[ANNOTATION_APPROVE_REPLACE] === String(ctx.generation);
    if (replace.length && approved) return replaceServer(ctx, server, replace);
    server = await applyChanges(ctx, spec, server, changes.filter((c) => c.class !== 'replacement'));
    const playbookHash = await setupHost(ctx, spec, server);
    if (replace.length) {
      const what = replace.map((c) => `${c.field} ${String(c.from)} → ${String(c.to)}`).join(', ');
      return {
        ready: { status: 'True', reason: 'Available', message: 'running with its previous configuration' },
        synced: { status: 'False', reason: 'ReplacementRequired', message: `${what} needs a new server (new IPs, data on the old disk is lost); annotate livchat.ai/approve-replace: "${ctx.generation}" to approve` },
        observed: observed(server, playbookHash),
      };
    }
    const infra = await infrastructureOf(ctx, spec, server);
    if (infra && !infra.ready) {
      return { ready: { status: 'False', reason: 'WaitingForInfrastructure', message: `waiting for ${infra.waitingOn ?? 'Traefik and Portainer'}` }, observed: { ...observed(server, playbookHash), infrastructure: infra }, requeueAfterMs: POLL_MS };
    }
    return { ready: { status: 'True', reason: 'Available', message: `running at ${server.public_net.ipv4?.ip ?? 'no ipv4'}${infra ? ', with Traefik and Portainer' : ''}` }, observed: { ...observed(server, playbookHash), ...(infra ? { infrastructure: infra } : {}) } };
  }

  async function replaceServer(ctx: ReconcileContext, server: Server, replace: ServerChange[]): Promise<ReconcileResult> {
    ctx.progress('Replacing', `deleting server ${server.id}`);
    if (server.protection.delete) await waitActions(ctx, [await deps.hcloud.serverAction(server.id, 'change_protection', { delete: false, rebuild: false })], 'Replacing');
    await waitActions(ctx, [await deps.hcloud.deleteServer(server.id)], 'Replacing');
    cacheFor(ctx.instance).drop(server.id);
    deps.hostKeys.forget(ctx.name);
    ctx.persist({ serverId: undefined, setupKey: undefined, hostKey: undefined });
    ctx.event('Normal', 'Replaced', `approved replacement (${replace.map((c) => c.field).join(', ')}): deleted server ${server.id}; a new one follows`);
    return { ready: { status: 'False', reason: 'Replacing', message: 'creating the replacement server' }, requeueAfterMs: 0 };
  }

  async function plan(ctx: PlanContext): Promise<PlanItem> {
    const spec = ctx.object.spec as unknown as ServerSpec;
    const server = await find({ instance: ctx.instance, name: ctx.object.metadata.name });
    if (!ctx.desired) {
      if (!server) return { key: ctx.key, action: 'no-op', message: 'already gone' };
      if ((spec.deletionPolicy ?? 'Delete') === 'Orphan') return { key: ctx.key, action: 'delete', message: `orphan server ${server.id}: remove ownership labels, keep it running` };
      if (server.protection.delete) return { key: ctx.key, action: 'blocked', message: `server ${server.id} has delete protection: nothing will be deleted` };
      return { key: ctx.key, action: 'delete', message: `delete server ${server.id} and its DNS records` };
    }
    if (!server) return { key: ctx.key, action: 'create', changes: [{ field: 'serverType', to: spec.serverType }, { field: 'location', to: spec.location }, { field: 'image', to: spec.image }] };
    const changes = diffServer(spec, server, ctx.instance, ctx.object.metadata.name);
    if (!changes.length) return { key: ctx.key, action: 'no-op' };
    const cls = changes.some((c) => c.class === 'replacement') ? 'replacement' : changes.some((c) => c.class === 'restart') ? 'restart' : 'in-place';
    const msg = cls === 'replacement' ? `needs approval: annotate livchat.ai/approve-replace: "${ctx.generation}"` : cls === 'restart' ? 'downtime: power off, change type, power on (about 1-2 minutes)' : undefined;
    return { key: ctx.key, action: 'update', changeClass: cls, changes: changes.map(({ field, from, to }) => ({ field, from, to })), ...(msg ? { message: msg } : {}) };
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
