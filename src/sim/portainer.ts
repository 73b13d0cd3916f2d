// Portainer CE 2.45 simulator (SimService 'portainer' at /portainer): one instance per simulated server, at /portainer/N/api/….
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PROXY_502_PAGE, type SimClock, type SimRequest, type SimResponse, type SimRoute, type SimService } from './framework.js';
import { adminCheck, adminInit, authenticate, createToken, DEFAULT_AUTH_LIMIT, hashPassword, limitAuth, login, type AuthLimit } from './portainer-auth.js';
import type { Call, PRoute } from './portainer-call.js';
import { deployEvents } from './portainer-deploy.js';
import { addNetwork, checkApiVersion, dockerRoutes } from './portainer-docker.js';
import { isResponse, perror } from './portainer-http.js';
import { ENDPOINT_ID, renderEndpoint } from './portainer-render.js';
import { portainerRoutes, type PortainerRoute } from './portainer-routes.js';
import { stackRoutes } from './portainer-stacks.js';
import type { ImageBehaviour, InstanceRecord, NetworkRecord, SwarmTiming } from './portainer-state.js';
import { DEFAULT_TIMING, PORTAINER_VERSION, PortainerWorld, dockerId, withDefaultTag } from './portainer-state.js';
import { settle, type SwarmCtx } from './portainer-swarm.js';

export type { ImageBehaviour, InstanceRecord, SwarmTiming } from './portainer-state.js';
export type { PortainerRoute } from './portainer-routes.js';
export { normalizeStackName } from './portainer-deploy.js';

export interface PortainerSimOptions {
  clock: SimClock;
  /** Sim time between a stack create/update and its deploy finishing (Status 3 → 1 or 4); default 2000 ms. */
  deployDelayMs?: number;
  timing?: Partial<SwarmTiming>;
  /** The /api/auth limiter; default Portainer's 10 requests per second, then a 1 h ban. */
  authLimit?: AuthLimit;
  /** Real-time cap on a DELETE waiting for the stack's tasks; default 120 s. */
  deleteWaitMs?: number;
  /** An instance without an admin locks itself after this much sim time (303 AdminInitTimeout); default 5 min. */
  initTimeoutMs?: number;
}

export interface AddInstanceOptions {
  /** Handed over as by `--admin-password-file`: the admin exists from the start. Absent: admin/init is still open. */
  adminPassword?: string;
  adminUsername?: string;
  swarmId?: string;
  /** The node's advertised address (the server's IP). */
  nodeAddress?: string;
  hostname?: string;
  /** Create the attachable overlay `traefik-public`, as the infrastructure role does. */
  traefikPublic?: boolean;
}

/** PortainerSim is the SimService plus direct handles that tests and the simulated cloud use. */
export interface PortainerSim extends SimService {
  readonly clock: SimClock;
  readonly world: PortainerWorld;
  addInstance(id: number, opts?: AddInstanceOptions): InstanceRecord;
  removeInstance(id: number): boolean;
  instance(id: number): InstanceRecord | undefined;
  /** settle applies everything due at the current sim time, on every instance (requests do this on their own). */
  settle(): void;
  /** setImage merges a behaviour into an image (`undefined` clears it): pull failure, crash loop, unhealthy, job exit code. */
  setImage(image: string, behaviour: ImageBehaviour | undefined): void;
  setDeployDelay(ms: number): void;
  createNetwork(instanceId: number, name: string, opts?: { driver?: string; attachable?: boolean; labels?: Record<string, string> }): NetworkRecord;
  /** edgeRoutes is `portainerRoutes()` for this simulator: the edge's view of every live service, settled to now. */
  edgeRoutes(): PortainerRoute[];
}

function noHost(): SimResponse {
  // Nothing listens behind the tunnel for an unknown server: what a proxy in front of a dead upstream answers.
  return { status: 502, raw: PROXY_502_PAGE, headers: { 'content-type': 'text/html' } };
}

const IMAGE_KEYS: ReadonlyArray<keyof ImageBehaviour> = ['pullFails', 'crashAfterMs', 'unhealthy', 'readyAfterMs', 'exitCode', 'output', 'runMs', 'stopMs', 'digestSeed'];

export function createPortainerSim(opts: PortainerSimOptions): PortainerSim {
  const clock = opts.clock;
  const world = new PortainerWorld(opts.deployDelayMs ?? 2000, { ...DEFAULT_TIMING, ...opts.timing });
  const authLimitOpt = opts.authLimit ?? DEFAULT_AUTH_LIMIT;
  const initTimeoutMs = opts.initTimeoutMs ?? 5 * 60_000;
  const ctxOf = (inst: InstanceRecord): SwarmCtx => ({ world, inst });
  const settleInst = (inst: InstanceRecord, now: number) => { const ctx = ctxOf(inst); settle(ctx, now, () => deployEvents(ctx)); };
  const settleAll = () => { const now = clock.now(); for (const inst of Object.values(world.instances)) settleInst(inst, now); };
  const timedOut = (inst: InstanceRecord, now: number) => !inst.users.some((u) => u.role === 1) && now - inst.startedAt > initTimeoutMs;

  const api = (r: PRoute, prefix = ''): SimRoute => ({
    method: r.method,
    template: `/{inst}/api${prefix}${r.template}`,
    ...(r.mutates !== undefined ? { mutates: r.mutates } : {}),
    handler: async (req: SimRequest) => {
      const inst = /^\d+$/.test(req.params.inst ?? '') ? world.instance(Number(req.params.inst)) : undefined;
      if (!inst) return noHost();
      const now = clock.now();
      settleInst(inst, now);
      if (timedOut(inst, now) && !r.duringTimeout) {
        return { status: 303, body: { message: 'Administrator initialization timeout' }, headers: { 'redirect-reason': 'AdminInitTimeout', location: '/timeout.html' } };
      }
      let who;
      if (!r.public) {
        const a = authenticate(inst, req, now);
        if (isResponse(a)) return a;
        who = a;
      }
      const call: Call = { ctx: ctxOf(inst), inst, world, req, now, clock, settle: () => settleInst(inst, clock.now()), ...(who ? { who } : {}) };
      return r.handler(call);
    },
  });

  // Docker routes are served on the unversioned path and on a pinned `/vX.Y/` path, which Engine 29 judges.
  const docker = (r: PRoute): SimRoute[] => {
    const guard = (pinned: boolean): PRoute => ({
      ...r,
      handler: (c) => {
        const eid = c.req.params.eid ?? '';
        if (!/^\d+$/.test(eid)) return perror(400, 'Invalid environment identifier route variable', `strconv.Atoi: parsing "${eid}": invalid syntax`);
        if (Number(eid) !== ENDPOINT_ID) return perror(404, 'Unable to find an environment with the specified identifier inside the database', 'object not found inside the database');
        if (pinned) { const bad = checkApiVersion(c.req.params.ver ?? ''); if (bad) return bad; }
        return r.handler(c);
      },
    });
    return [api(guard(false), '/endpoints/{eid}/docker'), api(guard(true), '/endpoints/{eid}/docker/{ver}')];
  };

  const base: PRoute[] = [
    { method: 'GET', template: '/system/status', public: true, duringTimeout: true, handler: (c) => ({ status: 200, body: { Version: PORTAINER_VERSION, InstanceID: c.inst.instanceId } }) },
    { method: 'GET', template: '/status', public: true, duringTimeout: true, handler: (c) => ({ status: 200, body: { Version: PORTAINER_VERSION, InstanceID: c.inst.instanceId } }) },
    { method: 'GET', template: '/users/admin/check', public: true, handler: (c) => adminCheck(c.inst) },
    { method: 'POST', template: '/users/admin/init', public: true, handler: (c) => adminInit(c.inst, c.req, c.now) },
    { method: 'POST', template: '/auth', public: true, handler: (c) => limitAuth(c.inst, c.req.remoteAddress, c.now, authLimitOpt) ?? login(c.inst, c.req, c.now) },
    { method: 'POST', template: '/users/{id}/tokens', handler: (c) => createToken(c.inst, c.req, c.who!, c.now) },
    { method: 'GET', template: '/endpoints', handler: (c) => ({ status: 200, body: [renderEndpoint(c.inst, c.now)], headers: { 'X-Total-Count': '1', 'X-Total-Available': '1' } }) },
    { method: 'GET', template: '/endpoints/{eid}', handler: (c) => (c.req.params.eid === String(ENDPOINT_ID) ? { status: 200, body: renderEndpoint(c.inst, c.now) } : perror(404, 'Unable to find an environment with the specified identifier inside the database', 'object not found inside the database')) },
    ...stackRoutes({ deleteWaitMs: opts.deleteWaitMs ?? 120_000 }),
  ];
  // Unversioned Docker routes first: on equal specificity the first registered wins.
  const dockerList = dockerRoutes();
  const routes: SimRoute[] = [...base.map((r) => api(r)), ...dockerList.map((r) => docker(r)[0]!), ...dockerList.map((r) => docker(r)[1]!)];

  const sim: PortainerSim = {
    name: 'portainer',
    prefix: '/portainer',
    routes,
    clock,
    world,
    // Auth is per instance (each has its own admin and API keys), so the framework's shared token check stays out.
    isPublic: () => true,
    extractToken: (headers: IncomingHttpHeaders) => {
      const k = headers['x-api-key'];
      return (Array.isArray(k) ? k[0] : k) || undefined;
    },
    authError: () => perror(401, 'A valid authorization token is missing', 'Unauthorized'),
    notFound(_method, path) {
      const m = /^\/portainer\/(\d+)(\/|$)/.exec(path);
      if (!m || !world.instance(Number(m[1]))) return noHost();
      return { status: 404, raw: '404 page not found\n', headers: { 'content-type': 'text/plain; charset=utf-8' } };
    },
    faultBody(status) {
      return status >= 500 ? { message: 'Internal server error', details: 'simulated failure' } : { message: 'Request failed', details: `HTTP ${status}` };
    },

    addInstance(id, o = {}) {
      const now = clock.now();
      const inst: InstanceRecord = {
        id, instanceId: randomUUID(), startedAt: now, hostname: o.hostname ?? `server-${id}`, nodeId: dockerId(),
        nodeAddress: o.nodeAddress ?? '127.0.0.1', swarmId: o.swarmId ?? dockerId(), swarmCreatedAt: now,
        jwtSecret: randomBytes(32).toString('hex'), users: [], apiKeys: [], stacks: {}, services: {}, tasks: {}, networks: {},
        secrets: {}, volumes: {}, seq: { stack: 0, apiKey: 0, user: 0, version: 100, task: 0 }, authLimiter: {},
      };
      if (o.adminPassword !== undefined) inst.users.push({ id: ++inst.seq.user, username: o.adminUsername ?? 'admin', role: 1, ...hashPassword(o.adminPassword) });
      // A fresh swarm manager has these networks.
      addNetwork(inst.networks, 'ingress', { driver: 'overlay', ingress: true }, now);
      addNetwork(inst.networks, 'bridge', { driver: 'bridge' }, now);
      addNetwork(inst.networks, 'docker_gwbridge', { driver: 'bridge' }, now);
      addNetwork(inst.networks, 'host', { driver: 'host' }, now);
      addNetwork(inst.networks, 'none', { driver: 'null' }, now);
      if (o.traefikPublic) addNetwork(inst.networks, 'traefik-public', { driver: 'overlay', attachable: true }, now);
      world.instances[String(id)] = inst;
      return inst;
    },
    removeInstance(id) {
      const had = world.instances[String(id)] !== undefined;
      delete world.instances[String(id)];
      return had;
    },
    instance: (id) => world.instance(id),
    settle: settleAll,
    setImage(image, behaviour) {
      const key = withDefaultTag(image.split('@')[0]!);
      if (behaviour === undefined) { delete world.images[key]; return; }
      world.images[key] = { ...world.images[key], ...behaviour };
    },
    setDeployDelay(ms) { world.deployDelayMs = ms; },
    createNetwork(instanceId, name, o = {}) {
      const inst = world.instance(instanceId);
      if (!inst) throw new Error(`no portainer instance ${instanceId}`);
      const existing = Object.values(inst.networks).find((n) => n.name === name);
      return existing ?? addNetwork(inst.networks, name, { driver: o.driver ?? 'overlay', attachable: o.attachable ?? true, labels: o.labels ?? {} }, clock.now());
    },
    edgeRoutes() { settleAll(); return portainerRoutes(world, clock.now()); },

    control(method, verb, body) {
      settleAll();
      const b = (body ?? {}) as Record<string, unknown>;
      if (method === 'GET' && verb === 'routes') return { status: 200, body: sim.edgeRoutes() };
      if (method === 'GET' && verb === 'instances') {
        return { status: 200, body: Object.values(world.instances).map((i) => ({ id: i.id, swarmId: i.swarmId, nodeAddress: i.nodeAddress, adminInitialised: i.users.some((u) => u.role === 1) })) };
      }
      if (method === 'POST' && verb === 'instance') {
        if (typeof b.id !== 'number' || !Number.isInteger(b.id) || b.id <= 0) return { status: 400, body: { error: 'want {id: positive integer, adminPassword?, swarmId?, nodeAddress?, traefikPublic?}' } };
        const inst = sim.addInstance(b.id, {
          ...(typeof b.adminPassword === 'string' ? { adminPassword: b.adminPassword } : {}),
          ...(typeof b.swarmId === 'string' ? { swarmId: b.swarmId } : {}),
          ...(typeof b.nodeAddress === 'string' ? { nodeAddress: b.nodeAddress } : {}),
          ...(typeof b.hostname === 'string' ? { hostname: b.hostname } : {}),
          traefikPublic: b.traefikPublic === true,
        });
        return { status: 201, body: { id: inst.id, swarmId: inst.swarmId, path: `/portainer/${inst.id}` } };
      }
      if (method === 'POST' && verb === 'remove-instance') {
        return sim.removeInstance(Number(b.id)) ? { status: 200, body: { removed: b.id } } : { status: 404, body: { error: `no instance ${String(b.id)}` } };
      }
      if (method === 'POST' && verb === 'image') {
        if (typeof b.image !== 'string' || !b.image) return { status: 400, body: { error: `want {image, ${IMAGE_KEYS.join('?, ')}?} or {image, reset: true}` } };
        if (b.reset === true) { sim.setImage(b.image, undefined); return { status: 200, body: { image: b.image, behaviour: {} } }; }
        const beh: Record<string, unknown> = {};
        for (const k of IMAGE_KEYS) if (b[k] !== undefined) beh[k] = b[k];
        const numeric = ['crashAfterMs', 'readyAfterMs', 'exitCode', 'runMs', 'stopMs'];
        if (Object.entries(beh).some(([k, v]) => (numeric.includes(k) ? typeof v !== 'number' || v < 0 || !Number.isInteger(v) : k === 'output' || k === 'digestSeed' ? typeof v !== 'string' : typeof v !== 'boolean'))) {
          return { status: 400, body: { error: 'bad image behaviour: numbers are non-negative integers, output/digestSeed strings, pullFails/unhealthy booleans' } };
        }
        sim.setImage(b.image, beh as ImageBehaviour);
        return { status: 200, body: { image: b.image, behaviour: world.image(b.image) } };
      }
      if (method === 'POST' && verb === 'deploy-delay') {
        const ms = Number(b.ms);
        if (!Number.isFinite(ms) || ms < 0) return { status: 400, body: { error: 'want {ms: non-negative number}' } };
        sim.setDeployDelay(ms);
        return { status: 200, body: { deployDelayMs: ms } };
      }
      if (method === 'POST' && verb === 'timing') {
        for (const k of ['scheduleStepMs', 'pullMs', 'startMs', 'jobRunMs'] as const) {
          if (b[k] === undefined) continue;
          if (typeof b[k] !== 'number' || (b[k] as number) < 0) return { status: 400, body: { error: `${k} must be a non-negative number` } };
          world.timing[k] = b[k] as number;
        }
        return { status: 200, body: world.timing };
      }
      if (method === 'POST' && verb === 'network') {
        if (typeof b.instance !== 'number' || typeof b.name !== 'string') return { status: 400, body: { error: 'want {instance, name, driver?, attachable?}' } };
        if (!world.instance(b.instance)) return { status: 404, body: { error: `no instance ${b.instance}` } };
        const n = sim.createNetwork(b.instance, b.name, { ...(typeof b.driver === 'string' ? { driver: b.driver } : {}), ...(typeof b.attachable === 'boolean' ? { attachable: b.attachable } : {}) });
        return { status: 201, body: { id: n.id, name: n.name } };
      }
      return { status: 404, body: { error: `unknown portainer control verb ${method} ${verb}` } };
    },

    snapshot: () => world.snapshot(),
    restore: (raw) => world.restore(raw),
    reset: () => world.reset(),
  };
  return sim;
}
