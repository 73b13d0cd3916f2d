// Shared world of the Server controller tests: simulated cloud on loopback, the real Hetzner adapter, manual clocks, settle().
import { expect } from 'vitest';
import { createServerController, type ServerDeps } from '../../../controllers/server/controller.js';
import type { ServerPort } from '../../../controllers/server/port.js';
import { createDnsRecordController } from '../../../controllers/dns-record/controller.js';
import { isRecordNotFound } from '../../../src/providers/cloudflare.js';
import { fingerprintMd5 } from '../../../src/providers/hetzner.js';
import { HetznerServers } from '../../../src/providers/hetzner-servers.js';
import { SimulatedHostSetup } from '../../../src/host/simulated-setup.js';
import { generateEd25519KeyPair } from '../../../src/host/keys.js';
import { renderUserData } from '../../../src/host/cloud-init.js';
import { MemoryHostKeyStore } from '../../../src/host/host-keys.js';
import { cachedPlaybookHash } from '../../../src/host/playbook-hash.js';
import type { HostSetupInput, HostSetupPort } from '../../../src/host/port.js';
import { realClock, type Clock, type ManualClock } from '../../../src/engine/clock.js';
import type { Manager } from '../../../src/engine/manager.js';
import type { SimClock, SimServer } from '../../../src/sim/framework.js';
import type { StatusStore } from '../../../src/store/status-store.js';
import { startCloud, startManager, writes } from '../../helpers/harness.js';

export const identity = generateEd25519KeyPair('livchat-test');

/** Test-only cleanups, run by each file's afterEach. */
export const cleanups: Array<() => Promise<void>> = [];
export async function runCleanups(): Promise<void> { for (const c of cleanups.splice(0)) await c(); }

export type Cloud = Awaited<ReturnType<typeof startCloud>>;

export interface SetupOpts {
  instance?: string; shutdownTimeoutMs?: number; createGraceMs?: number; cloud?: Cloud; hostKeys?: MemoryHostKeyStore;
  /** Lists that ignore their filters, like an API that dropped a query parameter: only exact matching keeps ownership. */
  unfiltered?: boolean;
  /** Sim-clock duration of every Hetzner action (0: done at once). */
  actionDurationMs?: number;
  stateDir?: string;
  shutdownPollMs?: number;
  /** A host-setup port instead of the simulated one. */
  host?: HostSetupPort;
}

/** clockRef lets a controller read the manager's ManualClock, which exists only once the manager does. */
export function clockRef(): { ref: { c: Clock | undefined }; clock: Clock } {
  const ref: { c: Clock | undefined } = { c: undefined };
  const c = (): Clock => ref.c ?? (() => { throw new Error('clock used before the manager exists'); })();
  return { ref, clock: { now: () => c().now(), monotonic: () => c().monotonic(), setTimer: (f, ms) => c().setTimer(f, ms), sleep: (ms, sig) => c().sleep(ms, sig) } };
}

/** serverPort is the real adapter over the loopback client; `unfiltered` drops the selector on the way, like a lax API. */
export function serverPort(cloud: Cloud, clock: Clock, unfiltered = false): ServerPort {
  const port = new HetznerServers(cloud.hc, { clock });
  if (!unfiltered) return port;
  return new Proxy(port, {
    get: (target, prop, recv) => prop === 'list' ? () => target.list() : (Reflect.get(target, prop, recv) as (...a: unknown[]) => unknown).bind(target),
  });
}

/** hostSetup is the simulated host setup; the simulated server presents the host key its cloud-init installed. */
export function hostSetup(cloud: Cloud) {
  const hashes = { count: 0, invalidated: 0 };
  const cached = cachedPlaybookHash('unused', async () => { hashes.count++; return 'f'.repeat(64); });
  const presented = async (input: HostSetupInput) => cloud.hetzner.hostKeys()[String(input.serverId)];
  const setups: HostSetupInput[] = [];
  const sim = new SimulatedHostSetup(() => cached.get(), presented, () => { hashes.invalidated++; cached.invalidate(); });
  const host: HostSetupPort = { playbookHash: () => sim.playbookHash(), invalidate: () => sim.invalidate(), setup: (i, sig, on) => { setups.push(i); return sim.setup(i, sig, on); } };
  return { host, hashes, setups };
}

/** serverDeps are the controller's dependencies for one world (its port, host setup, clock and key store). */
export function serverDeps(p: { hcloud: ServerPort; host: HostSetupPort; clock: Clock; hostKeys: MemoryHostKeyStore } & Partial<ServerDeps>): ServerDeps {
  return {
    identity: async () => ({ publicKey: identity.publicKey }),
    newHostKey: () => generateEd25519KeyPair('host'),
    userData: ({ hostKey, hostname }) => renderUserData({ hostKey, hostname }),
    fingerprint: fingerprintMd5,
    createGraceMs: 60_000, shutdownTimeoutMs: 10_000, shutdownPollMs: 20,
    ...p,
  };
}

/** setup starts a cloud (unless given) and a manager with the Server and DNSRecord controllers on the manager's clock. */
export async function setup(opts: SetupOpts = {}) {
  const cloud = opts.cloud ?? await startCloud({ zones: ['example.com'], ...(opts.actionDurationMs !== undefined ? { actionDurationMs: opts.actionDurationMs } : {}) });
  if (!opts.cloud) cleanups.push(() => cloud.server.close());
  const sim = hostSetup(cloud);
  const { hashes, setups } = sim;
  const host = opts.host ?? sim.host;
  const hostKeys = opts.hostKeys ?? new MemoryHostKeyStore();
  const { ref, clock } = clockRef();
  const hcloud = serverPort(cloud, clock, opts.unfiltered);
  const server = createServerController(serverDeps({
    hcloud, host, clock, hostKeys,
    ...(opts.createGraceMs !== undefined ? { createGraceMs: opts.createGraceMs } : {}),
    ...(opts.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: opts.shutdownTimeoutMs } : {}),
    ...(opts.shutdownPollMs !== undefined ? { shutdownPollMs: opts.shutdownPollMs } : {}),
  }));
  const dns = createDnsRecordController({ dns: cloud.cf, clock: realClock, isNotFound: isRecordNotFound });
  const m = startManager([server, dns], opts.instance ?? 'test', opts.stateDir);
  ref.c = m.clock;
  return { ...cloud, ...m, hashes, setups, hostKeys, port: hcloud, controller: server };
}

/** How far ahead settle() looks: polls and short backoffs are reached, resyncs and minute-long retries are not. */
export const SETTLE_HORIZON_MS = 30_000;

export interface Settleable { mgr: Manager; clock: ManualClock; store: StatusStore; simClock: SimClock }

/**
 * settle reconciles until nothing is due within the horizon: it moves the manager's clock (and the simulator's with
 * it) to each requeue the controllers asked for, so passes that poll long operations run without real waiting.
 */
export async function settle(t: Settleable, maxSteps = 500): Promise<void> {
  await t.mgr.idle();
  for (let n = 0; n < maxSteps; n++) {
    const now = t.clock.now();
    const due = t.store.keys().map((k) => t.mgr.nextScheduled(k)).filter((x): x is number => x !== undefined).map((at) => at - now);
    if (!due.length || Math.min(...due) > SETTLE_HORIZON_MS) return;
    const step = Math.max(0, Math.min(...due));
    t.clock.advance(step);
    t.simClock.advance(step);
    await t.mgr.idle();
  }
  throw new Error(`not settled after ${maxSteps} steps`);
}

/**
 * stepUntil moves both clocks to each next requeue until cond holds; unlike settle it stops there, so a test can look
 * at a state in the middle (a resize half done, a create still running). `limitMs` bounds the manual time it may use.
 */
export async function stepUntil(t: Settleable, cond: () => boolean, limitMs = 600_000, maxSteps = 2000): Promise<void> {
  const start = t.clock.monotonic();
  await t.mgr.idle();
  for (let n = 0; !cond(); n++) {
    const now = t.clock.now();
    const due = t.store.keys().map((k) => t.mgr.nextScheduled(k)).filter((x): x is number => x !== undefined).map((at) => at - now);
    if (!due.length) throw new Error('stepUntil: nothing is scheduled and the condition does not hold');
    const step = Math.max(0, Math.min(...due));
    if (n >= maxSteps || t.clock.monotonic() + step - start > limitMs) throw new Error(`stepUntil: the condition did not hold within ${limitMs} ms of manual time`);
    t.clock.advance(step);
    t.simClock.advance(step);
    await t.mgr.idle();
  }
}

/** secondPass reconciles everything again (until settled) and asserts that it wrote nothing to either simulator. */
export async function secondPass(t: Settleable & { server: SimServer }): Promise<void> {
  const before = writes(t.server);
  t.mgr.resyncAll();
  await settle(t);
  expect(writes(t.server)).toBe(before);
}

/** commands lists the actions the simulator accepted for one server, in request order. */
export function commands(t: { hetzner: { actions: Map<number, { id: number; command: string; resources: Array<{ id: number; type: string }> }> } }, serverId: number): string[] {
  return [...t.hetzner.actions.values()].filter((a) => a.resources.some((r) => r.type === 'server' && r.id === serverId)).sort((a, b) => a.id - b.id).map((a) => a.command);
}

export const spec = (extra: Record<string, unknown> = {}) => ({ location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04', dns: { zone: 'example.com', name: 'prod' }, setup: { timezone: 'UTC', swapSize: '2G' }, ...extra });
export const servers = (t: Cloud) => [...t.hetzner.servers.values()];
export const dnsRecords = (t: Cloud) => [...(t.cloudflare.state.records.get(t.cloudflare.zoneByName('example.com')!.id)?.values() ?? [])];
