// Portainer simulator Docker proxy (/api/endpoints/{id}/docker/…): info, swarm, networks, services, tasks, secrets, logs.
import type { SimResponse } from './framework.js';
import type { Call, PRoute } from './portainer-call.js';
import { NAMESPACE } from './portainer-deploy.js';
import { anyOf, derror, isResponse, matchLabels, parseDockerFilters } from './portainer-http.js';
import { renderNetwork, renderSecret, renderService, renderTask } from './portainer-render.js';
import type { NetworkRecord, SecretRecord, ServiceRecord, TaskRecord } from './portainer-state.js';
import { DOCKER_API_MAX, DOCKER_API_MIN, DOCKER_VERSION, dockerId, dockerTime, sha256 } from './portainer-state.js';
import { containerSpec, createService, liveServices, modeOf, removeService, rollbackService, tasksOf, updateService } from './portainer-swarm.js';
import { entryAt } from './portainer-timeline.js';

const SERVICE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62})$/;

/** findService resolves an id, a unique id prefix, or a name, as the Docker API does. */
export function findService(c: Call, ref: string): ServiceRecord | undefined {
  const live = liveServices(c.inst);
  return live.find((s) => s.id === ref) ?? live.find((s) => s.name === ref) ?? (live.filter((s) => s.id.startsWith(ref)).length === 1 ? live.find((s) => s.id.startsWith(ref)) : undefined);
}

function findSecret(c: Call, ref: string): SecretRecord | undefined {
  const all = Object.values(c.inst.secrets);
  return all.find((s) => s.id === ref) ?? all.find((s) => s.name === ref) ?? (all.filter((s) => s.id.startsWith(ref)).length === 1 ? all.find((s) => s.id.startsWith(ref)) : undefined);
}

function findNetwork(c: Call, ref: string): NetworkRecord | undefined {
  const all = Object.values(c.inst.networks);
  return all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref) ?? (all.filter((n) => n.id.startsWith(ref)).length === 1 ? all.find((n) => n.id.startsWith(ref)) : undefined);
}

function info(c: Call): SimResponse {
  const i = c.inst;
  return {
    status: 200, body: {
      ID: sha256(`${i.nodeId}:engine`).slice(0, 36), Containers: Object.keys(i.tasks).length, Name: i.hostname, ServerVersion: DOCKER_VERSION,
      OperatingSystem: 'Ubuntu 24.04.3 LTS', OSType: 'linux', Architecture: 'x86_64', NCPU: 2, MemTotal: 4_000_000_000,
      Swarm: {
        NodeID: i.nodeId, NodeAddr: i.nodeAddress, LocalNodeState: 'active', ControlAvailable: true, Error: '',
        RemoteManagers: [{ NodeID: i.nodeId, Addr: `${i.nodeAddress}:2377` }], Nodes: 1, Managers: 1,
        Cluster: { ID: i.swarmId, Version: { Index: 10 }, CreatedAt: dockerTime(i.swarmCreatedAt), UpdatedAt: dockerTime(i.swarmCreatedAt), Spec: swarmSpec() },
      },
    },
  };
}

function swarmSpec(): Record<string, unknown> {
  return {
    Name: 'default', Labels: {}, Orchestration: { TaskHistoryRetentionLimit: 5 },
    Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 },
    Dispatcher: { HeartbeatPeriod: 5_000_000_000 }, CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 }, TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

function swarm(c: Call): SimResponse {
  const i = c.inst;
  const token = (role: string) => `SWMTKN-1-${sha256(`${i.jwtSecret}:${role}`).slice(0, 50)}-${sha256(`${i.swarmId}:${role}`).slice(0, 25)}`;
  return {
    status: 200, body: {
      ID: i.swarmId, Version: { Index: 10 }, CreatedAt: dockerTime(i.swarmCreatedAt), UpdatedAt: dockerTime(i.swarmCreatedAt), Spec: swarmSpec(),
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' }, RootRotationInProgress: false,
      DefaultAddrPool: ['10.0.0.0/8'], SubnetSize: 24, DataPathPort: 4789, JoinTokens: { Worker: token('worker'), Manager: token('manager') },
    },
  };
}

function listNetworks(c: Call): SimResponse {
  const f = parseDockerFilters(c.req, ['name', 'id', 'label', 'driver', 'scope', 'type', 'dangling']);
  if (isResponse(f)) return f;
  const out = Object.values(c.inst.networks)
    .filter((n) => anyOf(f.get('name'), (v) => n.name.includes(v)) && anyOf(f.get('id'), (v) => n.id.startsWith(v)) && matchLabels(n.labels, f.get('label'))
      && anyOf(f.get('driver'), (v) => n.driver === v) && anyOf(f.get('scope'), (v) => n.scope === v))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(renderNetwork);
  return { status: 200, body: out };
}

function createNetwork(c: Call): SimResponse {
  const b = (c.req.body ?? {}) as Record<string, unknown>;
  const name = typeof b.Name === 'string' ? b.Name : '';
  if (!name) return derror(400, 'network name must not be empty');
  if (Object.values(c.inst.networks).some((n) => n.name === name)) return derror(409, `network with name ${name} already exists`);
  const n = addNetwork(c.inst.networks, name, {
    driver: typeof b.Driver === 'string' && b.Driver ? b.Driver : 'bridge', attachable: b.Attachable === true, internal: b.Internal === true,
    labels: (b.Labels ?? {}) as Record<string, string>,
  }, c.now);
  return { status: 201, body: { Id: n.id, Warning: '' } };
}

/** addNetwork creates a network record; overlay networks are swarm-scoped, everything else local. */
export function addNetwork(nets: Record<string, NetworkRecord>, name: string, o: { driver?: string; attachable?: boolean; internal?: boolean; labels?: Record<string, string>; ingress?: boolean }, at: number): NetworkRecord {
  const driver = o.driver ?? 'overlay';
  const n: NetworkRecord = {
    id: dockerId(), name, driver, scope: driver === 'overlay' ? 'swarm' : 'local', attachable: o.attachable ?? false,
    internal: o.internal ?? false, ingress: o.ingress ?? false, labels: { ...(o.labels ?? {}) }, created: at,
  };
  nets[n.id] = n;
  return n;
}

function inspectNetwork(c: Call): SimResponse {
  const n = findNetwork(c, c.req.params.nid ?? '');
  return n ? { status: 200, body: renderNetwork(n) } : derror(404, `network ${c.req.params.nid} not found`);
}

function deleteNetwork(c: Call): SimResponse {
  const n = findNetwork(c, c.req.params.nid ?? '');
  if (!n) return derror(404, `network ${c.req.params.nid} not found`);
  if (['ingress', 'bridge', 'host', 'none', 'docker_gwbridge'].includes(n.name)) return derror(403, `${n.name} is a pre-defined network and cannot be removed`);
  const user = liveServices(c.inst).find((s) => ((s.spec.TaskTemplate as { Networks?: Array<{ Target: string }> }).Networks ?? []).some((x) => x.Target === n.id));
  if (user) return derror(403, `rpc error: code = FailedPrecondition desc = network ${n.id} is in use by service ${user.id}`);
  delete c.inst.networks[n.id];
  return { status: 204 };
}

function listServices(c: Call): SimResponse {
  const f = parseDockerFilters(c.req, ['id', 'label', 'mode', 'name']);
  if (isResponse(f)) return f;
  const status = ['1', 'true'].includes(c.req.query.get('status') ?? '');
  const out = liveServices(c.inst)
    .filter((s) => anyOf(f.get('id'), (v) => s.id.startsWith(v)) && anyOf(f.get('name'), (v) => s.name.startsWith(v))
      && matchLabels((s.spec.Labels ?? {}) as Record<string, string>, f.get('label')) && anyOf(f.get('mode'), (v) => modeOf(s.spec).kind === v))
    .map((s) => renderService(c.ctx, s, c.now, status));
  return { status: 200, body: out };
}

function inspectService(c: Call): SimResponse {
  const s = findService(c, c.req.params.sid ?? '');
  return s ? { status: 200, body: renderService(c.ctx, s, c.now, false) } : derror(404, `service ${c.req.params.sid} not found`);
}

/** checkSpec validates a ServiceSpec as swarmkit's controlapi does, resolving network names and secret refs to ids. */
function checkSpec(c: Call, spec: Record<string, unknown>): SimResponse | undefined {
  const name = typeof spec.Name === 'string' ? spec.Name : '';
  if (!SERVICE_NAME.test(name)) return derror(400, 'rpc error: code = InvalidArgument desc = name must be valid as a DNS name component');
  const cs = containerSpec(spec);
  if (typeof cs.Image !== 'string' || !cs.Image) return derror(400, 'rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided');
  const tt = (spec.TaskTemplate ?? {}) as { Networks?: Array<{ Target?: string; Aliases?: string[] }> };
  for (const n of tt.Networks ?? []) {
    const net = findNetwork(c, String(n.Target ?? ''));
    if (!net) return derror(404, `network ${String(n.Target)} not found`);
    if (net.scope !== 'swarm') return derror(400, `rpc error: code = InvalidArgument desc = network ${net.name} is not eligible for service ${name}`);
    n.Target = net.id;
  }
  for (const ref of (cs.Secrets ?? []) as Array<{ SecretID?: string; SecretName?: string }>) {
    const s = findSecret(c, String(ref.SecretID ?? ''));
    if (!s) return derror(400, `rpc error: code = InvalidArgument desc = secret reference not found: ${String(ref.SecretName ?? ref.SecretID)}`);
    ref.SecretID = s.id;
    ref.SecretName = s.name;
  }
  return undefined;
}

function createServiceRoute(c: Call): SimResponse {
  const spec = c.req.body;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return derror(400, 'json: cannot unmarshal into Go value of type swarm.ServiceSpec');
  const s = structuredClone(spec) as Record<string, unknown>;
  const bad = checkSpec(c, s);
  if (bad) return bad;
  if (liveServices(c.inst).some((x) => x.name === s.Name)) return derror(409, 'rpc error: code = AlreadyExists desc = name conflicts with an existing object');
  const svc = createService(c.ctx, s, c.now);
  return { status: 201, body: { ID: svc.id } };
}

function updateServiceRoute(c: Call): SimResponse {
  const svc = findService(c, c.req.params.sid ?? '');
  if (!svc) return derror(404, `service ${c.req.params.sid} not found`);
  const version = Number(c.req.query.get('version'));
  if (!Number.isInteger(version) || version <= 0) return derror(400, 'invalid service version');
  if (version !== svc.version) return derror(500, 'rpc error: code = Unknown desc = update out of sequence');
  if (c.req.query.get('rollback') === 'previous') {
    if (!rollbackService(c.ctx, svc, c.now)) return derror(500, `rpc error: code = FailedPrecondition desc = service ${svc.id} does not have a previous spec`);
    return { status: 200, body: { Warnings: null } };
  }
  const spec = c.req.body;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return derror(400, 'json: cannot unmarshal into Go value of type swarm.ServiceSpec');
  const s = structuredClone(spec) as Record<string, unknown>;
  if (s.Name !== svc.name) return derror(400, 'rpc error: code = Unimplemented desc = renaming services is not supported');
  const bad = checkSpec(c, s);
  if (bad) return bad;
  updateService(c.ctx, svc, s, c.now);
  return { status: 200, body: { Warnings: null } };
}

function deleteServiceRoute(c: Call): SimResponse {
  const svc = findService(c, c.req.params.sid ?? '');
  if (!svc) return derror(404, `service ${c.req.params.sid} not found`);
  removeService(c.ctx, svc, c.now);
  // Docker answers 200 with an empty body.
  return { status: 200, raw: '' };
}

/** frames encodes Docker's multiplexed stream; every frame stays under 128 bytes so each header byte is one UTF-8 byte. */
export function frames(lines: Array<{ stream: 1 | 2; text: string }>): string {
  let out = '';
  for (const l of lines) {
    let rest = l.text;
    while (rest.length > 0) {
      let take = '';
      for (const ch of rest) {
        if (Buffer.byteLength(take + ch) > 127) break;
        take += ch;
      }
      rest = rest.slice(take.length);
      out += String.fromCharCode(l.stream, 0, 0, 0, 0, 0, 0, Buffer.byteLength(take)) + take;
    }
  }
  return out;
}

function serviceLogs(c: Call): SimResponse {
  const svc = findService(c, c.req.params.sid ?? '');
  if (!svc) return derror(404, `service ${c.req.params.sid} not found`);
  const on = (k: string) => ['1', 'true'].includes(c.req.query.get(k) ?? '');
  const stdout = on('stdout');
  const stderr = on('stderr');
  if (!stdout && !stderr) return derror(400, 'Bad parameters: you must choose at least one stream');
  const timestamps = on('timestamps');
  const tailRaw = c.req.query.get('tail') ?? 'all';
  const tail = tailRaw === 'all' ? Infinity : Number(tailRaw);
  const entries = tasksOf(c.inst, svc.id).flatMap((t) => t.logs.filter((l) => l.at <= c.now).map((l) => ({ ...l, n: t.n })))
    .filter((l) => (l.stream === 1 ? stdout : stderr))
    .sort((a, b) => a.at - b.at || a.n - b.n);
  const picked = Number.isFinite(tail) && tail >= 0 ? entries.slice(Math.max(0, entries.length - tail)) : entries;
  const body = frames(picked.map((l) => ({ stream: l.stream, text: `${timestamps ? `${dockerTime(l.at)} ` : ''}${l.line}\n` })));
  return { status: 200, raw: body, headers: { 'content-type': 'application/vnd.docker.multiplexed-stream' } };
}

function taskLabels(c: Call, t: TaskRecord): Record<string, string> {
  const svc = c.inst.services[t.serviceId];
  return { ...((svc?.spec.Labels ?? {}) as Record<string, string>), ...(((t.spec.ContainerSpec as { Labels?: Record<string, string> } | undefined)?.Labels) ?? {}) };
}

function listTasks(c: Call): SimResponse {
  const f = parseDockerFilters(c.req, ['desired-state', 'id', 'label', 'name', 'node', 'service', 'up-to-date']);
  if (isResponse(f)) return f;
  const bad = (f.get('desired-state') ?? []).find((v) => !['running', 'shutdown', 'accepted', 'complete', 'remove'].includes(v));
  if (bad) return derror(400, `Invalid task desired state: ${bad}`);
  const services = f.get('service');
  const out = Object.values(c.inst.tasks)
    .filter((t) => {
      const svc = c.inst.services[t.serviceId];
      return anyOf(services, (v) => t.serviceId === v || svc?.name === v || (v.length >= 3 && t.serviceId.startsWith(v)))
        && anyOf(f.get('desired-state'), (v) => t.desiredState === v || (v === 'running' && t.desiredState === 'complete' && entryAt(t, c.now).state !== 'complete'))
        && anyOf(f.get('id'), (v) => t.id.startsWith(v))
        && anyOf(f.get('name'), (v) => `${svc?.name ?? ''}.${t.slot}.${t.id}`.startsWith(v))
        && anyOf(f.get('node'), (v) => v === c.inst.nodeId || v === c.inst.hostname)
        && matchLabels(taskLabels(c, t), f.get('label'));
    })
    .sort((a, b) => a.n - b.n)
    .map((t) => renderTask(c.ctx, t, c.now));
  return { status: 200, body: out };
}

function inspectTask(c: Call): SimResponse {
  const t = c.inst.tasks[c.req.params.tid ?? ''] ?? Object.values(c.inst.tasks).find((x) => x.id.startsWith(c.req.params.tid ?? '~'));
  return t ? { status: 200, body: renderTask(c.ctx, t, c.now) } : derror(404, `task ${c.req.params.tid} not found`);
}

function listSecrets(c: Call): SimResponse {
  const f = parseDockerFilters(c.req, ['id', 'label', 'name', 'names']);
  if (isResponse(f)) return f;
  const out = Object.values(c.inst.secrets)
    .filter((s) => anyOf(f.get('id'), (v) => s.id.startsWith(v)) && anyOf(f.get('name'), (v) => s.name.startsWith(v))
      && anyOf(f.get('names'), (v) => s.name === v) && matchLabels(s.labels, f.get('label')))
    .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
    .map(renderSecret);
  return { status: 200, body: out };
}

function createSecret(c: Call): SimResponse {
  const b = (c.req.body ?? {}) as Record<string, unknown>;
  const name = typeof b.Name === 'string' ? b.Name : '';
  if (!/^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62})$/.test(name)) return derror(400, 'rpc error: code = InvalidArgument desc = invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]');
  const data = typeof b.Data === 'string' ? b.Data : '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) return derror(400, 'illegal base64 data at input byte 0');
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) return derror(400, 'rpc error: code = InvalidArgument desc = secret data must be larger than 0 and less than 512000 bytes');
  if (bytes.length > 500 * 1024) return derror(400, 'rpc error: code = InvalidArgument desc = secret data must be larger than 0 and less than 512000 bytes');
  if (Object.values(c.inst.secrets).some((s) => s.name === name)) return derror(409, `rpc error: code = AlreadyExists desc = secret ${name} already exists`);
  const rec: SecretRecord = { id: dockerId(), name, labels: { ...((b.Labels ?? {}) as Record<string, string>) }, digest: sha256(bytes.toString('latin1')), createdAt: c.now, updatedAt: c.now, version: ++c.inst.seq.version };
  c.inst.secrets[rec.id] = rec;
  return { status: 201, body: { ID: rec.id } };
}

function inspectSecret(c: Call): SimResponse {
  const s = findSecret(c, c.req.params.xid ?? '');
  return s ? { status: 200, body: renderSecret(s) } : derror(404, `secret ${c.req.params.xid} not found`);
}

function deleteSecret(c: Call): SimResponse {
  const s = findSecret(c, c.req.params.xid ?? '');
  if (!s) return derror(404, `secret ${c.req.params.xid} not found`);
  const users = liveServices(c.inst).filter((x) => ((containerSpec(x.spec).Secrets ?? []) as Array<{ SecretID?: string }>).some((r) => r.SecretID === s.id));
  if (users.length > 0) return derror(400, `rpc error: code = InvalidArgument desc = secret '${s.name}' is in use by the following service${users.length > 1 ? 's' : ''}: ${users.map((u) => u.name).join(', ')}`);
  delete c.inst.secrets[s.id];
  return { status: 204 };
}

function version(): SimResponse {
  return { status: 200, body: { Version: DOCKER_VERSION, ApiVersion: `${DOCKER_API_MAX[0]}.${DOCKER_API_MAX[1]}`, MinAPIVersion: `${DOCKER_API_MIN[0]}.${DOCKER_API_MIN[1]}`, Os: 'linux', Arch: 'amd64', KernelVersion: '6.8.0-88-generic' } };
}

/** checkApiVersion answers a pinned `/vX.Y/` path as Docker Engine 29 does (1.44 is the minimum). */
export function checkApiVersion(ver: string): SimResponse | undefined {
  const m = /^v(\d+)\.(\d+)$/.exec(ver);
  if (!m) return derror(404, 'page not found');
  const v = [Number(m[1]), Number(m[2])];
  const cmp = (a: readonly number[]) => (v[0]! - a[0]!) || (v[1]! - a[1]!);
  if (cmp(DOCKER_API_MIN) < 0) return derror(400, `client version ${v.join('.')} is too old. Minimum supported API version is ${DOCKER_API_MIN.join('.')}, please upgrade your client to a newer version`);
  if (cmp(DOCKER_API_MAX) > 0) return derror(400, `client version ${v.join('.')} is too new. Maximum supported API version is ${DOCKER_API_MAX.join('.')}`);
  return undefined;
}

/** dockerRoutes are the proxied Engine routes, below `/endpoints/{eid}/docker`. */
export function dockerRoutes(): PRoute[] {
  return [
    { method: 'GET', template: '/_ping', handler: () => ({ status: 200, raw: 'OK', headers: { 'content-type': 'text/plain; charset=utf-8' } }) },
    { method: 'GET', template: '/version', handler: version },
    { method: 'GET', template: '/info', handler: info },
    { method: 'GET', template: '/swarm', handler: swarm },
    { method: 'GET', template: '/networks', handler: listNetworks },
    { method: 'POST', template: '/networks/create', handler: createNetwork },
    { method: 'GET', template: '/networks/{nid}', handler: inspectNetwork },
    { method: 'DELETE', template: '/networks/{nid}', handler: deleteNetwork },
    { method: 'GET', template: '/services', handler: listServices },
    { method: 'POST', template: '/services/create', handler: createServiceRoute },
    { method: 'GET', template: '/services/{sid}', handler: inspectService },
    { method: 'POST', template: '/services/{sid}/update', handler: updateServiceRoute },
    { method: 'DELETE', template: '/services/{sid}', handler: deleteServiceRoute },
    { method: 'GET', template: '/services/{sid}/logs', handler: serviceLogs },
    { method: 'GET', template: '/tasks', handler: listTasks },
    { method: 'GET', template: '/tasks/{tid}', handler: inspectTask },
    { method: 'GET', template: '/secrets', handler: listSecrets },
    { method: 'POST', template: '/secrets/create', handler: createSecret },
    { method: 'GET', template: '/secrets/{xid}', handler: inspectSecret },
    { method: 'DELETE', template: '/secrets/{xid}', handler: deleteSecret },
  ];
}

export { NAMESPACE };
