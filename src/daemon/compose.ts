// The composition root: config → vault → cloud endpoints → providers → controllers → manager. The only src/ file that imports controllers/.
import { join } from 'node:path';
import type { Clock } from '../engine/clock.js';
import { realClock } from '../engine/clock.js';
import { Manager } from '../engine/manager.js';
import type { KindSettings, Reconciler } from '../engine/reconciler.js';
import { StatusStore, ensureStateDir } from '../store/status-store.js';
import { Vault } from '../store/vault.js';
import { createLogger, type Logger } from '../obs/log.js';
import { SecretRegistry } from '../obs/redact.js';
import { createMetrics, type Metrics } from '../obs/metrics.js';
import { DesiredStore, type LoadReport } from '../source/desired-store.js';
import { resolveInstance } from '../config.js';
import { startSimCloud } from '../sim/cloud.js';
import type { SimServer } from '../sim/framework.js';
import { simulatedHosts } from '../sim/host-endpoints.js';
import { resolveEndpoints, type CloudMode, type Endpoints } from './credentials.js';
import { buildProviders } from './providers.js';
import { InstanceLease, holderId } from './lease.js';
import { KINDS, kindChecks, portainerTokenName, simulatedZones, type KindDeps } from '../../controllers/index.js';

/** desiredChecks are the kinds' own checks, for `validate` (which builds no runtime). */
export { kindChecks as desiredChecks };
import { portainerAccess, tunnels } from './portainer.js';
import { createAppProbe } from '../providers/app-probe.js';
import { embeddedWorld, remoteWorld, simulatedAppProbe } from '../sim/app-probe.js';
import { AcmeLedger } from '../sim/acme.js';
import type { CloudflareSim } from '../sim/cloudflare.js';
import type { PortainerSim } from '../sim/portainer.js';
import { buildHostSetup } from './host-setup.js';
import { loadIdentity } from './identity.js';
import type { ConfirmResult } from '../engine/prune-guard.js';
import { LastGoodStore } from '../store/last-good.js';
import { PendingRemovals } from '../store/pending-removals.js';
import { parseDuration } from '../cli/format.js';

export interface RuntimeOptions {
  dir: string;
  stateDir: string;
  instance?: string;
  /** Lets `instance` replace a different stored name (--rename-instance). */
  renameInstance?: boolean;
  cloud: CloudMode;
  env: NodeJS.ProcessEnv;
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
  logDestination?: NodeJS.WritableStream;
  clock?: Clock;
  settings?: Record<string, Partial<KindSettings>>;
  /** Hetzner action duration in the embedded simulator. */
  simActionMs?: number;
  /** Entry playbook for host setup (tests use a smoke playbook). @default ansible/site.yml */
  playbook?: string;
  playbookVars?: Record<string, unknown>;
  /** How long a server may be missing after an interrupted create before creating again. @default 15000 */
  serverCreateGraceMs?: number;
  /**
   * Removal grace: a number for every kind (apply passes 0: it reads desired/ once, at a moment the user chose), or
   * per kind. @default $LIVCHAT_REMOVAL_GRACE ("Server=10m,DNSRecord=30s"), else 10 min for servers and 30 s for the rest
   */
  removalGraceMs?: number | Record<string, number>;
  /** plan: read persisted last good objects and removal marks, never write them. */
  readOnly?: boolean;
  /** The secret registry of this run (the CLI's); a fresh one by default. */
  secrets?: SecretRegistry;
}

/** parseRemovalGrace reads "Kind=duration,…" (e.g. LIVCHAT_REMOVAL_GRACE); a bad entry is an error, not ignored. */
export function parseRemovalGrace(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(part);
    if (!m) throw new Error(`invalid removal grace ${JSON.stringify(part)}: use Kind=duration, e.g. Server=10m`);
    out[m[1]!] = parseDuration(m[2]!);
  }
  return out;
}

/** Runtime is one assembled daemon (or apply/plan run), not yet started. */
export interface Runtime {
  readonly manager: Manager;
  readonly reconcilers: Reconciler[];
  readonly desired: DesiredStore;
  readonly store: StatusStore;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Every secret this runtime knows: scrub any output with it. */
  readonly secrets: SecretRegistry;
  readonly instance: string;
  readonly endpoints: Endpoints;
  readonly sim: SimServer | undefined;
  /** The simulated Traefik edge (embedded simulated mode only): curl it with a Host header. */
  readonly edgeUrl: string | undefined;
  readonly lastLoad: LoadReport;
  /** The instance lease (not yet acquired): run and apply take it before starting the manager. */
  readonly lease: InstanceLease;
  /** load reads desired/ in full and returns what changed. */
  load(): LoadReport;
  /** reload re-reads the given paths (a watcher batch) and returns what changed. */
  reload(files: string[]): LoadReport;
  /** heldRemovals counts removals the mass-deletion guard holds now. */
  readonly heldRemovals: number;
  /** heldDeletions lists the held keys; confirmDeletions releases exactly that set (never SIGHUP). */
  heldDeletions(): string[];
  confirmDeletions(keys: readonly string[]): ConfirmResult;
  /** reloadCredentials re-reads tokens from the vault and environment and re-arms the breakers; true when a client was replaced. */
  reloadCredentials(): boolean;
  /** close stops the embedded simulator (the manager is stopped separately). */
  close(): Promise<void>;
}

/** createRuntime assembles everything; nothing runs until the manager starts. */
export async function createRuntime(o: RuntimeOptions): Promise<Runtime> {
  const clock = o.clock ?? realClock;
  ensureStateDir(o.stateDir);
  const instance = resolveInstance(o.stateDir, o.instance, { rename: o.renameInstance === true });

  // One registry per runtime: the vault registers every value, and the logger, status store and API views scrub through it.
  const secrets = o.secrets ?? new SecretRegistry();
  const log = createLogger({ secrets, level: o.logLevel ?? 'info', ...(o.logFormat ? { format: o.logFormat } : {}), ...(o.logDestination ? { destination: o.logDestination } : {}) });
  const metrics = createMetrics();
  const vault = await Vault.open({ stateDir: o.stateDir, env: o.env, secrets });
  const lastGood = new LastGoodStore(o.stateDir);
  const desired = new DesiredStore(o.dir, { lastGood: o.readOnly ? lastGood.readOnly() : lastGood, kindChecks });
  let lastLoad = desired.loadAll();
  metrics.desiredProblems.set(lastLoad.problems.length);

  let sim: SimServer | undefined;
  let closeSim: (() => Promise<void>) | undefined;
  let edgeUrl: string | undefined;
  let simUrl: string | undefined;
  let simWorld: { cloudflare: CloudflareSim; portainer: PortainerSim; portainerUrl: string } | undefined;
  if (o.cloud.mode === 'simulate') {
    const started = await startSimCloud({
      stateFile: join(o.stateDir, 'sim', 'world.json'),
      zones: simulatedZones(desired.list()),
      ...(o.simActionMs !== undefined ? { actionDurationMs: o.simActionMs } : {}),
    });
    sim = started.server;
    closeSim = () => started.close();
    edgeUrl = started.urls.edge;
    simUrl = started.urls.url;
    simWorld = { cloudflare: started.cloudflare, portainer: started.portainer, portainerUrl: started.urls.portainer };
    log.info({ url: simUrl, edge: started.urls.edge }, 'embedded simulated cloud started (loopback only); reach apps with curl -H "Host: <app host>" at the edge URL');
  }
  const endpoints = resolveEndpoints(o.cloud, vault, o.env, secrets, simUrl);
  const providers = buildProviders(endpoints, metrics, clock, o.env);
  const identity = loadIdentity(vault, instance);
  const host = buildHostSetup({
    simulated: endpoints.simulated, identity, clock, log,
    ...(endpoints.simulated ? { hosts: simulatedHosts(endpoints.hetzner.url.replace(/\/v1$/, '')) } : {}),
    ...(o.playbook ? { playbook: o.playbook } : {}),
    ...(o.playbookVars ? { extraVars: o.playbookVars } : {}),
  });
  // A running `livchat simulate` serves Portainer at <url>/portainer, like the embedded one.
  const portainerUrl = simWorld?.portainerUrl ?? (o.cloud.mode === 'sim' ? `${o.cloud.url.replace(/\/+$/, '')}/portainer` : undefined);
  const portainer = portainerAccess({
    ...(portainerUrl ? { simulatedUrl: portainerUrl } : { tunnel: tunnels(identity) }),
    token: (server) => vault.get(portainerTokenName(server)), clock, metrics,
  });
  // Simulated servers are checked against the simulated zones and edge; real ones from outside, through public resolvers.
  const probe = simWorld ? simulatedAppProbe(embeddedWorld(simWorld), new AcmeLedger(() => simWorld!.portainer.clock.now())) : o.cloud.mode === 'sim' ? simulatedAppProbe(remoteWorld(o.cloud.url)) : createAppProbe();
  const deps = (kind: string): KindDeps => ({
    providers: { dns: providers.dns, hcloud: providers.servers, host, apps: (server) => portainer.platform(server), portainer, probe },
    vault,
    clock, settings: o.settings?.[kind], identity: identity.serverDeps,
    onDrift: (k, field) => { metrics.driftDetected.inc({ kind: k, field }); },
    options: { ...(o.serverCreateGraceMs !== undefined ? { serverCreateGraceMs: o.serverCreateGraceMs } : {}) },
  });
  const reconcilers: Reconciler[] = KINDS.map((k) => k.create(deps(k.kind)));
  const store = new StatusStore(o.stateDir, {
    secrets,
    clock,
    // Disk full or read-only: logged once per episode, counted every time, and shown by /readyz.
    onWriteFailed: (err, key, first) => {
      metrics.statusWriteFailures.inc();
      metrics.statusWriteFailing.set(1);
      if (first) log.error({ err: err.message, code: (err as NodeJS.ErrnoException).code, key }, 'status cannot be written to disk; changes stay pending and are retried');
    },
    onWriteRecovered: () => { metrics.statusWriteFailing.set(0); log.info('status writes recovered; pending changes written'); },
  });
  const { errors } = store.load();
  for (const e of errors) log.warn({ file: e }, 'unreadable state file ignored');
  const marks = new PendingRemovals(o.stateDir);
  const removalGraceMs = o.removalGraceMs ?? (o.env.LIVCHAT_REMOVAL_GRACE ? parseRemovalGrace(o.env.LIVCHAT_REMOVAL_GRACE) : undefined);
  const manager = new Manager({
    reconcilers, store, clock, log, metrics, instance,
    // A refused load (missing or unreadable desired/) never deletes; the hold covers an emptied one.
    desired: { get: (k) => desired.get(k), list: (k) => desired.list(k), problems: () => desired.problems(), unsafeToPrune: () => !lastLoad.applied },
    revision: () => desired.revision(),
    ...(o.settings ? { settings: o.settings } : {}),
    ...(removalGraceMs !== undefined ? { removalGraceMs } : {}),
    removalMarks: o.readOnly ? { firstSeen: (k) => marks.firstSeen(k), keys: () => marks.keys(), mark: () => {}, clear: () => {}, update: () => {} } : marks,
  });
  // Objects from files that vanished while the daemon was down are weighed like a live change would be.
  manager.recomputeHold();
  const lease = new InstanceLease({ port: providers.lease, instance, holder: () => holderId(o.stateDir), clock });
  return {
    manager, reconcilers, desired, store, log, metrics, secrets, instance, endpoints, sim, lease, edgeUrl,
    get lastLoad() { return lastLoad; },
    load() {
      lastLoad = desired.loadAll();
      manager.recomputeHold();
      metrics.desiredProblems.set(lastLoad.problems.length);
      return lastLoad;
    },
    reload(files) {
      lastLoad = desired.reload(files);
      // Only a key appearing or disappearing can move the hold; an edit stays proportional to the edited file.
      if (lastLoad.added.length || lastLoad.removed.length) manager.recomputeHold();
      metrics.desiredProblems.set(lastLoad.problems.length);
      return lastLoad;
    },
    get heldRemovals() { return manager.heldDeletions().length; },
    heldDeletions: () => manager.heldDeletions(),
    confirmDeletions: (keys) => manager.confirmDeletions(keys),
    reloadCredentials: () => {
      const changed = providers.update(resolveEndpoints(o.cloud, vault, o.env, secrets, simUrl));
      // Also with an unchanged token: its permissions may have been fixed in the provider's dashboard.
      providers.resetBreakers();
      return changed;
    },
    async close() { store.close(); await closeSim?.(); },
  };
}
