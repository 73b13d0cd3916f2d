// The composition root: config → vault → cloud endpoints → providers → controllers → manager. The only src/ file that imports controllers/.
import { join } from 'node:path';
import type { Clock } from '../engine/clock.js';
import { realClock } from '../engine/clock.js';
import { Manager } from '../engine/manager.js';
import type { KindSettings, Reconciler } from '../engine/reconciler.js';
import { StatusStore, ensureStateDir } from '../store/status-store.js';
import { Vault } from '../store/vault.js';
import { createLogger, type Logger } from '../obs/log.js';
import { createMetrics, type Metrics } from '../obs/metrics.js';
import { DesiredStore, type LoadReport } from '../source/desired-store.js';
import { resolveInstance } from '../config.js';
import { startSimCloud } from '../sim/cloud.js';
import type { SimServer } from '../sim/framework.js';
import { resolveEndpoints, type CloudMode, type Endpoints } from './credentials.js';
import { buildProviders } from './providers.js';
import { InstanceLease, holderId } from './lease.js';
import { createDnsRecordController } from '../../controllers/dns-record.js';
import { createServerController } from '../../controllers/server.js';
import { isRecordNotFound } from '../providers/cloudflare-not-found.js';
import { buildHostSetup } from './host-setup.js';
import { loadIdentity } from './identity.js';
import { desiredZones } from './zones.js';
import { isMassRemoval } from '../engine/prune-guard.js';

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
}

/** Runtime is one assembled daemon (or apply/plan run), not yet started. */
export interface Runtime {
  readonly manager: Manager;
  readonly reconcilers: Reconciler[];
  readonly desired: DesiredStore;
  readonly store: StatusStore;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly instance: string;
  readonly endpoints: Endpoints;
  readonly sim: SimServer | undefined;
  readonly lastLoad: LoadReport;
  /** The instance lease (not yet acquired): run and apply take it before starting the manager. */
  readonly lease: InstanceLease;
  /** load reads desired/ in full and returns what changed. */
  load(): LoadReport;
  /** reload re-reads the given paths (a watcher batch) and returns what changed. */
  reload(files: string[]): LoadReport;
  /** heldRemovals counts removals the mass-deletion guard holds; confirm() releases them. */
  readonly heldRemovals: number;
  /** confirmRemovals releases held deletions (SIGHUP does this). */
  confirmRemovals(): void;
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

  const log = createLogger({ level: o.logLevel ?? 'info', ...(o.logFormat ? { format: o.logFormat } : {}), ...(o.logDestination ? { destination: o.logDestination } : {}) });
  const metrics = createMetrics();
  const vault = await Vault.open({ stateDir: o.stateDir, env: o.env });
  const desired = new DesiredStore(o.dir);
  let lastLoad = desired.loadAll();
  metrics.desiredProblems.set(lastLoad.problems.length);

  let sim: SimServer | undefined;
  let simUrl: string | undefined;
  if (o.cloud.mode === 'simulate') {
    const started = await startSimCloud({
      stateFile: join(o.stateDir, 'sim', 'world.json'),
      zones: desiredZones(desired.list()),
      ...(o.simActionMs !== undefined ? { actionDurationMs: o.simActionMs } : {}),
    });
    sim = started.server;
    simUrl = started.urls.url;
    log.info({ url: simUrl }, 'embedded simulated cloud started (loopback only)');
  }
  const endpoints = resolveEndpoints(o.cloud, vault, o.env, simUrl);
  const providers = buildProviders(endpoints, metrics, clock, o.env);
  const identity = loadIdentity(vault, instance);
  const host = buildHostSetup({
    simulated: endpoints.simulated, identity, clock, log,
    ...(endpoints.simulated ? { simControlUrl: endpoints.hetzner.url.replace(/\/v1$/, '') } : {}),
    ...(o.playbook ? { playbook: o.playbook } : {}),
    ...(o.playbookVars ? { extraVars: o.playbookVars } : {}),
  });
  const reconcilers: Reconciler[] = [
    createDnsRecordController({ dns: providers.dns, clock, isNotFound: isRecordNotFound, onDrift: (fields) => { for (const f of fields) metrics.driftDetected.inc({ kind: 'DNSRecord', field: f }); } }),
    createServerController({ hcloud: providers.hcloud, host, clock, ...identity.serverDeps, ...(o.serverCreateGraceMs !== undefined ? { createGraceMs: o.serverCreateGraceMs } : {}) }),
  ];
  const store = new StatusStore(o.stateDir, {
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
  // Objects from files that vanished while the daemon was down count as one removal, like a live change would.
  const known = store.list().filter((st) => !st.owner && !st.removed);
  let held = 0;
  const guard = (removed: number, before: number): void => {
    if (!isMassRemoval(removed, before)) return;
    held = removed;
    log.warn({ removed, before }, 'more than half of the objects disappeared at once: deletions are held; send SIGHUP (systemctl reload livchat) to confirm');
  };
  guard(known.filter((st) => !desired.get(st.key)).length, known.length);
  const manager = new Manager({
    reconcilers, store, clock, log, metrics, instance,
    desired: { get: (k) => desired.get(k), list: (k) => desired.list(k), problems: () => desired.problems(), unsafeToPrune: () => !lastLoad.applied || held > 0 },
    revision: () => desired.revision(),
    ...(o.settings ? { settings: o.settings } : {}),
  });
  const lease = new InstanceLease({ port: providers.lease, instance, holder: () => holderId(o.stateDir), clock });
  return {
    manager, reconcilers, desired, store, log, metrics, instance, endpoints, sim, lease,
    get lastLoad() { return lastLoad; },
    load() {
      lastLoad = desired.loadAll();
      metrics.desiredProblems.set(lastLoad.problems.length);
      return lastLoad;
    },
    reload(files) {
      const before = desired.size;
      lastLoad = desired.reload(files);
      guard(lastLoad.removed.length, before);
      metrics.desiredProblems.set(lastLoad.problems.length);
      return lastLoad;
    },
    get heldRemovals() { return held; },
    confirmRemovals() { held = 0; },
    reloadCredentials: () => {
      const changed = providers.update(resolveEndpoints(o.cloud, vault, o.env, simUrl));
      // Also with an unchanged token: its permissions may have been fixed in the provider's dashboard.
      providers.resetBreakers();
      return changed;
    },
    async close() { store.close(); await sim?.close(); },
  };
}
