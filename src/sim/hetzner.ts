// Hetzner Cloud API simulator (SimService 'hetzner' at /v1): servers, actions, SSH keys, catalog, rate limit and control verbs.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken, isLoopback, type SimClock, type SimResponse, type SimRoute, type SimService } from './framework.js';
import { actionRoutes } from './hetzner-actions.js';
import { findLocation, findServerType } from './hetzner-catalog.js';
import { catalogRoutes } from './hetzner-catalog-routes.js';
import { herror } from './hetzner-http.js';
import { SimBuckets } from './hetzner-ratelimit.js';
import { serverRoutes } from './hetzner-servers.js';
import { sshKeyRoutes } from './hetzner-sshkeys.js';
import { HetznerState, type ActionRecord, type ServerRecord, type SimCtx, type SshKeyRecord } from './hetzner-state.js';

export type { ActionRecord, ServerRecord, SshKeyRecord } from './hetzner-state.js';
export { HetznerState } from './hetzner-state.js';

export interface HetznerSimOptions {
  clock: SimClock;
  /** Token bucket per API token; default 3600 per hour (refills one per second). */
  rateLimit?: { limit: number; windowMs: number };
  /** Sim-clock time each action takes to go from 0 to 100 %; default 2000 ms. */
  actionDurationMs?: number;
  /** How guests answer an ACPI `shutdown`: power off this long after the request was sent (default 0), or ignore it. */
  acpi?: { delayMs?: number; ignore?: boolean };
}

/** HetznerSim is the SimService plus direct handles that tests use instead of HTTP control calls. */
export interface HetznerSim extends SimService {
  readonly clock: SimClock;
  readonly state: HetznerState;
  readonly servers: Map<number, ServerRecord>;
  readonly sshKeys: Map<number, SshKeyRecord>;
  readonly actions: Map<number, ActionRecord>;
  /** settle applies every action transition due at the current sim time (reads do this on their own). */
  settle(): void;
  /** failAction makes a running action end in `error` with code `action_failed`. */
  failAction(actionId: number, message?: string): boolean;
  /** failNext arms the next action with this command (e.g. `create_server`) to fail. */
  failNext(command: string, message?: string): void;
  /** setCapacity marks a location/type pair (either may be omitted as a wildcard) sold out or available again. */
  setCapacity(opts: { location?: string; serverType?: string; available: boolean }): void;
  /** setAcpi sets how one server's guest (or, without serverId, every guest without its own setting) answers ACPI shutdown. */
  setAcpi(opts: { serverId?: number; ignore?: boolean; delayMs?: number }): boolean;
  /** queueAddress gives the next created server this loopback IPv4 and records its SSH port. */
  queueAddress(ipv4: string, sshPort?: number): void;
  sshEndpoints(): Record<string, { host: string; port: number }>;
  /** hostKeys maps server ids to the ed25519 host key their cloud-init installs (what a simulated server presents). */
  hostKeys(): Record<string, string>;
}

const FAULT_CODES: Record<number, [string, string]> = {
  400: ['invalid_input', 'invalid input'],
  401: ['unauthorized', 'unable to authenticate'],
  403: ['forbidden', 'insufficient permissions'],
  404: ['not_found', 'not found'],
  409: ['conflict', 'resource changed during the request, please retry'],
  412: ['resource_unavailable', 'error during placement'],
  422: ['service_error', 'service error'],
  423: ['locked', 'resource is locked'],
  429: ['rate_limit_exceeded', 'rate limit exceeded'],
  500: ['server_error', 'internal server error'],
  502: ['bad_gateway', 'bad gateway'],
  503: ['unavailable', 'service unavailable'],
  504: ['timeout', 'gateway timeout'],
};

function withCorrelation(out: SimResponse): SimResponse {
  out.headers = { ...out.headers, 'X-Correlation-Id': randomBytes(8).toString('hex') };
  return out;
}

export function createHetznerSim(opts: HetznerSimOptions): HetznerSim {
  const clock = opts.clock;
  const state = new HetznerState(opts.actionDurationMs ?? 2000, opts.acpi);
  const buckets = new SimBuckets(opts.rateLimit?.limit ?? 3600, opts.rateLimit?.windowMs ?? 3_600_000);
  const ctx: SimCtx = { state, now: () => clock.now() };
  const settle = () => state.settle(clock.now());

  // Every handler first catches up with the clock, and every reply gets a correlation id.
  const wrap = (routes: SimRoute[]): SimRoute[] => routes.map((r) => ({
    ...r,
    handler: async (req) => { settle(); return withCorrelation(await r.handler(req)); },
  }));

  const sim: HetznerSim = {
    name: 'hetzner',
    prefix: '/v1',
    routes: wrap([...serverRoutes(ctx), ...actionRoutes(ctx), ...sshKeyRoutes(ctx), ...catalogRoutes(ctx)]),
    clock,
    state,
    servers: state.servers,
    sshKeys: state.sshKeys,
    actions: state.actions,

    extractToken: (headers: IncomingHttpHeaders) => bearerToken(headers),
    authError: () => withCorrelation(herror(401, 'unauthorized', 'unable to authenticate')),
    notFound: (method, path) => withCorrelation(herror(404, 'not_found', `no such route: ${method} ${path}`)),
    decorate(out) { if (!out.headers?.['X-Correlation-Id']) withCorrelation(out); },
    faultBody(status) {
      const [code, message] = FAULT_CODES[status] ?? (status >= 500 ? ['server_error', 'internal server error'] : ['invalid_input', 'request failed']);
      return { error: { code, message, details: null } };
    },
    rateLimit(token, now) {
      const out = buckets.take(token, now);
      return out.reject ? { reject: withCorrelation(out.reject), headers: out.headers } : { headers: out.headers };
    },

    settle,
    failAction: (id, message = 'action failed (simulated)') => state.failAction(id, message),
    failNext: (command, message = 'action failed (simulated)') => { state.armedFailures.push({ command, message }); },
    setCapacity({ location, serverType, available }) {
      state.capacity = state.capacity.filter((c) => c.location !== location || c.serverType !== serverType);
      if (!available) state.capacity.push({ ...(location ? { location } : {}), ...(serverType ? { serverType } : {}) });
    },
    setAcpi({ serverId, ignore, delayMs }) {
      if (serverId === undefined) {
        state.acpi = { ignore: ignore ?? state.acpi.ignore, delayMs: delayMs ?? state.acpi.delayMs };
        return true;
      }
      const s = state.servers.get(serverId);
      if (!s) return false;
      const cur = state.acpiOf(s);
      s.acpi = { ignore: ignore ?? cur.ignore, delayMs: delayMs ?? cur.delayMs };
      return true;
    },
    queueAddress(ipv4, sshPort = 22) {
      if (!isLoopback(ipv4) || ipv4.includes(':') || ipv4 === 'localhost') throw new Error(`next-address must be an IPv4 loopback address, not ${ipv4}`);
      state.nextAddresses.push({ ipv4, sshPort });
    },
    sshEndpoints() {
      settle();
      const out: Record<string, { host: string; port: number }> = {};
      for (const s of state.servers.values()) if (s.sshPort !== undefined && s.ipv4) out[String(s.id)] = { host: s.ipv4.ip, port: s.sshPort };
      return out;
    },

    hostKeys() {
      settle();
      const out: Record<string, string> = {};
      for (const s of state.servers.values()) {
        const m = /^\s*ed25519_public:\s*(ssh-ed25519 \S+)/m.exec(s.userData ?? '');
        if (m) out[String(s.id)] = m[1]!;
      }
      return out;
    },

    control(method, verb, body) {
      settle();
      const b = (body ?? {}) as Record<string, unknown>;
      if (method === 'GET' && verb === 'ssh-endpoints') return { status: 200, body: sim.sshEndpoints() };
      if (method === 'GET' && verb === 'host-keys') return { status: 200, body: sim.hostKeys() };
      if (method === 'POST' && verb === 'next-address') {
        const port = b.sshPort === undefined ? 22 : Number(b.sshPort);
        if (typeof b.ipv4 !== 'string' || !Number.isInteger(port) || port < 1 || port > 65535) return { status: 400, body: { error: 'want {ipv4: "127.x.y.z", sshPort: 1..65535}' } };
        try { sim.queueAddress(b.ipv4, port); } catch (err) { return { status: 400, body: { error: (err as Error).message } }; }
        return { status: 200, body: { queued: state.nextAddresses.length } };
      }
      if (method === 'POST' && verb === 'capacity') {
        const location = b.location === undefined ? undefined : String(b.location);
        const serverType = b.serverType === undefined ? undefined : String(b.serverType);
        if ((location && !findLocation(location)) || (serverType && !findServerType(serverType)) || typeof b.available !== 'boolean') {
          return { status: 400, body: { error: 'want {location?, serverType?, available: boolean} with known names' } };
        }
        sim.setCapacity({ location, serverType, available: b.available });
        return { status: 200, body: { unavailable: state.capacity } };
      }
      if (method === 'POST' && verb === 'acpi') {
        const serverId = b.serverId === undefined ? undefined : b.serverId;
        const delayOk = b.delayMs === undefined || (typeof b.delayMs === 'number' && Number.isInteger(b.delayMs) && b.delayMs >= 0);
        if ((serverId !== undefined && typeof serverId !== 'number') || (b.ignore !== undefined && typeof b.ignore !== 'boolean') || !delayOk) {
          return { status: 400, body: { error: 'want {serverId?: number, ignore?: boolean, delayMs?: integer >= 0}' } };
        }
        const ok = sim.setAcpi({ ...(serverId !== undefined ? { serverId } : {}), ...(b.ignore !== undefined ? { ignore: b.ignore as boolean } : {}), ...(b.delayMs !== undefined ? { delayMs: b.delayMs as number } : {}) });
        return ok ? { status: 200, body: { acpi: serverId === undefined ? state.acpi : state.acpiOf(state.servers.get(serverId)!) } } : { status: 404, body: { error: `no server ${String(serverId)}` } };
      }
      if (method === 'POST' && verb === 'fail-action') {
        const message = typeof b.message === 'string' ? b.message : undefined;
        if (typeof b.actionId === 'number') {
          return sim.failAction(b.actionId, message) ? { status: 200, body: { failed: b.actionId } } : { status: 404, body: { error: `no running action ${b.actionId}` } };
        }
        if (typeof b.command === 'string') { sim.failNext(b.command, message); return { status: 200, body: { armed: b.command } }; }
        return { status: 400, body: { error: 'want {actionId} or {command}, with an optional message' } };
      }
      return { status: 404, body: { error: `unknown hetzner control verb ${method} ${verb}` } };
    },

    snapshot: () => ({ state: state.snapshot(), buckets: buckets.snapshot() }),
    restore(raw) {
      const s = (raw ?? {}) as { state?: unknown; buckets?: unknown };
      state.restore(s.state ?? {});
      buckets.restore(s.buckets);
    },
    reset() { state.reset(); buckets.reset(); },
  };
  return sim;
}
