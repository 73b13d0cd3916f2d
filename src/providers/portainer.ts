// Portainer CE client for one server: bootstrap, stacks, Docker proxy reads, secrets, logs and one-shot jobs, in domain types.
import type { Agent } from 'node:http';
import { realClock, type Clock } from '../engine/clock.js';
import { DomainError, hasCode } from '../engine/errors.js';
import { TokenBucket } from './limiter.js';
import { PortainerTransport } from './portainer-http.js';
import { demux, toSecret, toService, toStack, toTask } from './portainer-map.js';
import type {
  Environment, JobHandle, JobSpec, JobStatus, Secret, Service, Stack, StackInput, StackUpdate, Task,
  WireEndpoint, WireSecret, WireService, WireStack, WireTask,
} from './portainer-types.js';

export type * from './portainer-types.js';
export { classifyPortainer, PORTAINER_TOKEN_SCOPE } from './portainer-errors.js';

/** The label every livchat service carries; listServices selects on it. */
export const MANAGED_LABEL = 'livchat.ai/managed-by=livchat';
/** Pace for one server: Portainer documents no API limit, and the tunnel is one SSH connection. */
export const PORTAINER_DEFAULT_LIMIT = { limit: 20, windowMs: 1000 } as const;

export interface PortainerClientOptions {
  /** Everything before `/api`: `http://127.0.0.1:9000` through the tunnel, or a simulator's `http://127.0.0.1:P/portainer/<server id>`. */
  baseUrl: string;
  /** The access token (`ptr_…`), sent as X-API-Key; absent during bootstrap. Never logged nor put into errors. */
  apiKey?: string;
  /** Where connections come from: the ssh2 tunnel agent in real mode; undefined or a plain http.Agent over loopback. */
  agent?: Agent;
  /** Shared per-server limiter; default 20 per second. */
  limiter?: TokenBucket;
  clock?: Clock;
  /** Per-request timeout in wall ms; default 30 s. */
  timeoutMs?: number;
  /** DELETE of a stack waits for its tasks server-side; default 10 min. */
  deleteTimeoutMs?: number;
  /** Retries of reads after a network error or a gateway status; default 2. */
  maxRetries?: number;
  /** Called once per HTTP attempt with a stable op name and the status (0 without a response). */
  onRequest?: (op: string, status: number) => void;
  /** Known from the Server's status: saves the environment lookup. */
  endpointId?: number;
  swarmId?: string;
  /** Label selector of listServices (`key=value`); '' lists every service. Default MANAGED_LABEL. */
  managedLabel?: string;
  userAgent?: string;
  random?: () => number;
}

const q = (v: unknown) => JSON.stringify(v);

/** PortainerClient satisfies the AppDeployment controller's AppPlatform port (controllers/app-deployment/port.ts). */
export class PortainerClient {
  readonly #http: PortainerTransport;
  readonly #o: PortainerClientOptions;
  readonly #clock: Clock;
  #env: Environment | undefined;
  #endpointId: number | undefined;

  constructor(opts: PortainerClientOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#endpointId = opts.endpointId;
    if (opts.endpointId !== undefined && opts.swarmId !== undefined) this.#env = { endpointId: opts.endpointId, swarmId: opts.swarmId };
    this.#http = new PortainerTransport({
      baseUrl: opts.baseUrl, apiKey: opts.apiKey, agent: opts.agent, clock: this.#clock,
      limiter: opts.limiter ?? new TokenBucket({ ...PORTAINER_DEFAULT_LIMIT, clock: this.#clock }),
      timeoutMs: opts.timeoutMs ?? 30_000, maxRetries: opts.maxRetries ?? 2, userAgent: opts.userAgent ?? 'livchat-setup/0.1',
      random: opts.random ?? Math.random, ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
    });
  }

  /** withApiKey returns a client for the same server that authenticates with `apiKey` (after bootstrap). */
  withApiKey(apiKey: string): PortainerClient {
    return new PortainerClient({ ...this.#o, apiKey, ...(this.#env ? { endpointId: this.#env.endpointId, swarmId: this.#env.swarmId } : {}) });
  }

  /** systemStatus is the public health answer: the running version (check it against the pin) and the instance id. */
  async systemStatus(): Promise<{ version: string; instanceId: string }> {
    const r = await this.#http.json<{ Version?: string; InstanceID?: string }>({ op: 'system.status', method: 'GET', path: '/api/system/status', auth: 'none' });
    return { version: r.body?.Version ?? '', instanceId: r.body?.InstanceID ?? '' };
  }

  async adminInitialised(): Promise<boolean> {
    const r = await this.#http.call({ op: 'admin.check', method: 'GET', path: '/api/users/admin/check', auth: 'none', accept: [404] });
    return r.status === 204 || r.status === 200;
  }

  async login(username: string, password: string): Promise<{ jwt: string; userId: number }> {
    const r = await this.#http.json<{ jwt?: string }>({ op: 'auth.login', method: 'POST', path: '/api/auth', auth: 'none', body: { Username: username, Password: password }, secrets: [password] });
    const jwt = r.body?.jwt;
    if (!jwt) throw this.#invalid('auth.login', 'the login answer has no jwt');
    let userId = NaN;
    try { userId = Number((JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { id?: unknown }).id); } catch { /* reported below */ }
    if (!Number.isInteger(userId)) throw this.#invalid('auth.login', 'the JWT carries no user id');
    return { jwt, userId };
  }

  async createToken(jwt: string, userId: number, password: string, description: string): Promise<string> {
    // Portainer refuses an API key here: only a JWT (and the current password) may mint keys.
    const r = await this.#http.json<{ rawAPIKey?: string }>({
      op: 'tokens.create', method: 'POST', path: `/api/users/${userId}/tokens`, auth: 'jwt', jwt,
      body: { password, description }, secrets: [password, jwt],
    });
    if (!r.body?.rawAPIKey) throw this.#invalid('tokens.create', 'the answer has no rawAPIKey');
    return r.body.rawAPIKey;
  }

  /** environment finds the swarm environment (one request) and its cluster id through the proxy (one more); cached. */
  async environment(): Promise<Environment> {
    if (this.#env) return this.#env;
    let endpointId = this.#endpointId;
    if (endpointId === undefined) {
      const r = await this.#http.json<WireEndpoint[]>({ op: 'endpoints.list', method: 'GET', path: '/api/endpoints' });
      // Type 1 is a local socket, 2 an agent: the ones a swarm manager is reached through.
      const ep = (r.body ?? []).find((e) => e.Type === 1 || e.Type === 2);
      if (!ep) throw new DomainError('NotFound', 'portainer endpoints.list: no Docker environment', { provider: 'portainer', status: 200, code: 'no_environment', message: 'no Docker environment' });
      endpointId = ep.Id;
    }
    const sw = await this.#http.json<{ ID?: string }>({ op: 'docker.swarm', method: 'GET', path: `/api/endpoints/${endpointId}/docker/swarm` });
    if (!sw.body?.ID) throw this.#invalid('docker.swarm', 'the swarm inspect answer has no ID');
    this.#endpointId = endpointId;
    this.#env = { endpointId, swarmId: sw.body.ID };
    return this.#env;
  }

  async #eid(): Promise<number> {
    return this.#endpointId ?? (await this.environment()).endpointId;
  }

  #docker(eid: number, path: string): string { return `/api/endpoints/${eid}/docker${path}`; }

  async listStacks(): Promise<Stack[]> {
    const query = this.#endpointId !== undefined ? { filters: q({ EndpointID: this.#endpointId }) } : undefined;
    const r = await this.#http.json<WireStack[]>({ op: 'stacks.list', method: 'GET', path: '/api/stacks', ...(query ? { query } : {}) });
    return (r.body ?? []).filter((s) => s.Type === 1).map(toStack);
  }

  async listServices(): Promise<Service[]> {
    const eid = await this.#eid();
    const label = this.#o.managedLabel ?? MANAGED_LABEL;
    const query: Record<string, string> = { status: 'true', ...(label ? { filters: q({ label: [label] }) } : {}) };
    const r = await this.#http.json<WireService[]>({ op: 'docker.services.list', method: 'GET', path: this.#docker(eid, '/services'), query });
    return (r.body ?? []).map(toService);
  }

  async listTasks(): Promise<Task[]> {
    const eid = await this.#eid();
    const r = await this.#http.json<WireTask[]>({ op: 'docker.tasks.list', method: 'GET', path: this.#docker(eid, '/tasks') });
    return (r.body ?? []).map(toTask);
  }

  async stackFile(id: number): Promise<string> {
    const r = await this.#http.json<{ StackFileContent?: string }>({ op: 'stacks.file', method: 'GET', path: `/api/stacks/${id}/file` });
    return r.body?.StackFileContent ?? '';
  }

  async createStack(input: StackInput): Promise<Stack> {
    const env = await this.environment();
    const r = await this.#http.json<WireStack>({
      op: 'stacks.create', method: 'POST', path: '/api/stacks/create/swarm/string', query: { endpointId: String(env.endpointId) },
      body: { Name: input.name, SwarmID: env.swarmId, StackFileContent: input.file, Env: pairs(input.env), FromAppTemplate: false },
      secrets: Object.values(input.env),
    });
    return toStack(r.body);
  }

  async updateStack(id: number, u: StackUpdate): Promise<Stack> {
    const eid = await this.#eid();
    // The whole Env always: Portainer's PUT replaces it, and leaving it out wipes it.
    const r = await this.#http.json<WireStack>({
      op: 'stacks.update', method: 'PUT', path: `/api/stacks/${id}`, query: { endpointId: String(eid) },
      body: { StackFileContent: u.file, Env: pairs(u.env), Prune: u.prune ?? true, RepullImageAndRedeploy: u.pullImages ?? false },
      secrets: Object.values(u.env),
    });
    return toStack(r.body);
  }

  async deleteStack(id: number): Promise<void> {
    const eid = await this.#eid();
    await this.#http.call({ op: 'stacks.delete', method: 'DELETE', path: `/api/stacks/${id}`, query: { endpointId: String(eid) }, timeoutMs: this.#o.deleteTimeoutMs ?? 600_000 });
  }

  async listSecrets(): Promise<Secret[]> {
    const eid = await this.#eid();
    const r = await this.#http.json<WireSecret[]>({ op: 'docker.secrets.list', method: 'GET', path: this.#docker(eid, '/secrets') });
    return (r.body ?? []).map(toSecret);
  }

  async createSecret(name: string, value: string, labels: Record<string, string>): Promise<Secret> {
    const eid = await this.#eid();
    const r = await this.#http.json<{ ID?: string }>({
      op: 'docker.secrets.create', method: 'POST', path: this.#docker(eid, '/secrets/create'),
      body: { Name: name, Labels: labels, Data: Buffer.from(value, 'utf8').toString('base64') },
      secrets: [value, Buffer.from(value, 'utf8').toString('base64')],
    });
    if (!r.body?.ID) throw this.#invalid('docker.secrets.create', 'the answer has no ID');
    return { id: r.body.ID, name, labels: { ...labels }, createdAt: this.#clock.now() };
  }

  async deleteSecret(id: string): Promise<void> {
    const eid = await this.#eid();
    await this.#http.call({ op: 'docker.secrets.delete', method: 'DELETE', path: this.#docker(eid, `/secrets/${encodeURIComponent(id)}`) });
  }

  async serviceLogs(serviceId: string, tail: number): Promise<string[]> {
    const eid = await this.#eid();
    const r = await this.#http.call({
      op: 'docker.services.logs', method: 'GET', path: this.#docker(eid, `/services/${encodeURIComponent(serviceId)}/logs`),
      query: { stdout: '1', stderr: '1', tail: String(Math.max(0, Math.floor(tail))) },
    });
    // Without a TTY Docker multiplexes stdout and stderr; API 1.42+ says so in the content type.
    const ct = r.headers.get('content-type') ?? '';
    return demux(r.body, !ct.includes('vnd.docker.raw-stream'));
  }

  async runJob(spec: JobSpec): Promise<JobHandle> {
    const eid = await this.#eid();
    let secretRefs: Array<Record<string, unknown>> = [];
    if (spec.secrets?.length) {
      const names = spec.secrets.map((s) => s.name);
      const r = await this.#http.json<WireSecret[]>({ op: 'docker.secrets.list', method: 'GET', path: this.#docker(eid, '/secrets'), query: { filters: q({ names }) } });
      const byName = new Map((r.body ?? []).map((s) => [s.Spec.Name, s.ID]));
      const missing = names.filter((n) => !byName.has(n));
      if (missing.length) throw new DomainError('NotFound', `portainer runJob: secret not found: ${missing.join(', ')}`, { provider: 'portainer', status: 404, code: 'secret_not_found', message: `secret not found: ${missing.join(', ')}` });
      secretRefs = spec.secrets.map((s) => ({ File: { Name: s.target ?? s.name, UID: '0', GID: '0', Mode: 0o444 }, SecretID: byName.get(s.name), SecretName: s.name }));
    }
    const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`).sort();
    const body = {
      Name: spec.name,
      Labels: { ...(spec.labels ?? {}) },
      TaskTemplate: {
        ContainerSpec: { Image: spec.image, ...(spec.command ? { Args: spec.command } : {}), ...(env.length ? { Env: env } : {}), ...(secretRefs.length ? { Secrets: secretRefs } : {}) },
        // One run: a failure is reported, never retried by Swarm.
        RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
        ...(spec.networks?.length ? { Networks: spec.networks.map((n) => ({ Target: n })) } : {}),
      },
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
    };
    const r = await this.#http.json<{ ID?: string }>({ op: 'docker.services.create', method: 'POST', path: this.#docker(eid, '/services/create'), body, secrets: Object.values(spec.env ?? {}) });
    if (!r.body?.ID) throw this.#invalid('docker.services.create', 'the answer has no ID');
    return { serviceId: r.body.ID, name: spec.name };
  }

  async jobStatus(handle: JobHandle): Promise<JobStatus> {
    const eid = await this.#eid();
    const r = await this.#http.json<WireTask[]>({ op: 'docker.tasks.list', method: 'GET', path: this.#docker(eid, '/tasks'), query: { filters: q({ service: [handle.serviceId] }) } });
    const tasks = (r.body ?? []).map(toTask).sort((a, b) => a.updatedAt - b.updatedAt);
    const t = tasks.at(-1);
    if (!t) return { state: 'pending' };
    if (t.state === 'running' || t.state === 'starting') return { state: 'running' };
    const ended = t.state === 'complete' || t.state === 'failed' || t.state === 'rejected' || t.state === 'shutdown' || t.state === 'orphaned' || t.state === 'remove';
    if (!ended) return { state: 'pending' };
    const output = (await this.serviceLogs(handle.serviceId, 1000)).join('\n');
    return {
      state: t.state === 'complete' ? 'complete' : 'failed',
      ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}), ...(t.err ? { err: t.err } : {}), output,
    };
  }

  /** removeJob deletes the job's service; a job already gone counts as removed. */
  async removeJob(handle: JobHandle): Promise<void> {
    const eid = await this.#eid();
    try {
      await this.#http.call({ op: 'docker.services.delete', method: 'DELETE', path: this.#docker(eid, `/services/${encodeURIComponent(handle.serviceId)}`) });
    } catch (err) {
      if (!hasCode(err, 'NotFound')) throw err;
    }
  }

  #invalid(op: string, message: string): DomainError {
    return new DomainError('Unavailable', `portainer ${op}: ${message}`, { provider: 'portainer', status: 200, code: 'bad_response', message });
  }
}

/** pairs renders an env record as Portainer's sorted `[{name,value}]`, so equal envs send equal bytes. */
function pairs(env: Record<string, string>): Array<{ name: string; value: string }> {
  return Object.keys(env).sort().map((name) => ({ name, value: env[name]! }));
}
