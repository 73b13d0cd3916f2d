// Hetzner Cloud API client: servers, actions and SSH keys, with paging, rate limiting and typed errors.
import { realClock, type Clock } from '../engine/clock.js';
import { TokenBucket } from './limiter.js';
import { HetznerTransport } from './hetzner-http.js';
import { actionFailure } from './hetzner-errors.js';
import { ActionPacer } from './hetzner-poll.js';
import type { Action, CreateServerRequest, CreateServerResult, Pagination, Server, ServerType, SshKey } from './hetzner-types.js';

export type * from './hetzner-types.js';
export { serverLocation } from './hetzner-types.js';
export { fingerprintMd5 } from './hetzner-fingerprint.js';

export interface HetznerClientOptions {
  token: string;
  /** Default `https://api.hetzner.cloud/v1`. */
  endpoint?: string;
  clock?: Clock;
  /** Shared client-side limiter; default 3600 per hour, the project limit. */
  limiter?: TokenBucket;
  /** Called once per HTTP attempt with the status (0 for a network error), e.g. for metrics. */
  onRequest?: (op: string, status: number) => void;
  userAgent?: string;
  /** Per-request timeout in wall-clock ms; default 30 s. */
  timeoutMs?: number;
  /** In-client retries for safe failures; default 5. */
  maxRetries?: number;
  /** Jitter source in [0,1); tests may pin it. */
  random?: () => number;
}

export interface CallOptions { signal?: AbortSignal }

export interface WaitOptions extends CallOptions {
  /** Called with each polled action, running or finished. */
  onProgress?: (action: Action) => void;
}

const PER_PAGE = 50;
const ACTION_BATCH = 25;

export class HetznerClient {
  readonly #http: HetznerTransport;
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(opts: HetznerClientOptions) {
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#http = new HetznerTransport({
      token: opts.token,
      endpoint: opts.endpoint ?? 'https://api.hetzner.cloud/v1',
      clock: this.#clock,
      limiter: opts.limiter ?? new TokenBucket({ limit: 3600, windowMs: 3_600_000, clock: this.#clock }),
      onRequest: opts.onRequest,
      userAgent: opts.userAgent ?? 'livchat-setup/0.1',
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxRetries: opts.maxRetries ?? 5,
      random: this.#random,
    });
  }

  /** listServers walks every page (50 per request), optionally filtered by a label selector. */
  listServers(labelSelector?: string, opts: CallOptions = {}): Promise<Server[]> {
    return this.#listAll<Server>('listServers', '/servers', 'servers', labelSelector ? [['label_selector', labelSelector]] : [], opts);
  }

  /** getServer returns undefined when the server does not exist. */
  async getServer(id: number, opts: CallOptions = {}): Promise<Server | undefined> {
    const r = await this.#http.call<{ server: Server }>({ op: 'getServer', method: 'GET', path: `/servers/${id}`, allowNotFound: true, ...opts });
    return r.status === 404 ? undefined : r.body.server;
  }

  /** getServerType looks a server type up by name (its disk, architecture and per-location availability). */
  async getServerType(name: string, opts: CallOptions = {}): Promise<ServerType | undefined> {
    const r = await this.#http.call<{ server_types: ServerType[] }>({ op: 'getServerType', method: 'GET', path: '/server_types', query: [['name', name]], ...opts });
    return r.body.server_types.find((t) => t.name === name);
  }

  /** createServer is never retried after the request may have reached the API (it is not idempotent). */
  async createServer(req: CreateServerRequest, opts: CallOptions = {}): Promise<CreateServerResult> {
    const r = await this.#http.call<{ server: Server; action: Action; next_actions?: Action[]; root_password?: string | null }>(
      { op: 'createServer', method: 'POST', path: '/servers', body: req, ...opts });
    return { server: r.body.server, action: r.body.action, nextActions: r.body.next_actions ?? [], rootPassword: r.body.root_password ?? null };
  }

  /** updateServer renames and/or replaces the whole label set. */
  async updateServer(id: number, patch: { name?: string; labels?: Record<string, string> }, opts: CallOptions = {}): Promise<Server> {
    const r = await this.#http.call<{ server: Server }>({ op: 'updateServer', method: 'PUT', path: `/servers/${id}`, body: patch, ...opts });
    return r.body.server;
  }

  async deleteServer(id: number, opts: CallOptions = {}): Promise<Action> {
    const r = await this.#http.call<{ action: Action }>({ op: 'deleteServer', method: 'DELETE', path: `/servers/${id}`, ...opts });
    return r.body.action;
  }

  /** serverAction runs `POST /servers/{id}/actions/{name}` (poweron, poweroff, shutdown, reboot, change_type, rebuild, …). */
  async serverAction(id: number, name: string, body?: Record<string, unknown>, opts: CallOptions = {}): Promise<Action> {
    if (!/^[a-z_]+$/.test(name)) throw new Error(`invalid server action name ${JSON.stringify(name)}`);
    const r = await this.#http.call<{ action: Action }>({ op: `serverAction:${name}`, method: 'POST', path: `/servers/${id}/actions/${name}`, body, ...opts });
    return r.body.action;
  }

  /** getActions fetches actions by ID, 25 per request; IDs the API does not return are simply absent. */
  async getActions(ids: readonly number[], opts: CallOptions = {}): Promise<Action[]> {
    const unique = [...new Set(ids)];
    const out: Action[] = [];
    for (let i = 0; i < unique.length; i += ACTION_BATCH) {
      const batch = unique.slice(i, i + ACTION_BATCH);
      const query: Array<[string, string]> = batch.map((id) => ['id', String(id)]);
      query.push(['per_page', String(ACTION_BATCH)]);
      const r = await this.#http.call<{ actions: Action[] }>({ op: 'getActions', method: 'GET', path: '/actions', query, ...opts });
      out.push(...r.body.actions);
    }
    return out;
  }

  /**
   * waitForActions polls until every action leaves `running`, each poll timed from the actions' progress and their
   * commands' typical durations (hetzner-poll.ts), at most 10 s apart.
   * A failed action throws a DomainError Unavailable with fact `ActionFailed` (the action's error code in `detail`).
   */
  async waitForActions(ids: readonly number[], opts: WaitOptions = {}): Promise<Action[]> {
    const pending = new Set(ids);
    const done = new Map<number, Action>();
    const pacer = new ActionPacer();
    while (pending.size > 0) {
      const actions = await this.getActions([...pending], opts);
      const at = this.#clock.monotonic();
      const missing = [...pending].filter((id) => !actions.some((a) => a.id === id));
      if (missing.length > 0) throw actionFailure(`hetzner waitForActions: actions not found: ${missing.join(', ')}`, 'not_found', true);
      const estimates: number[] = [];
      for (const a of actions) {
        opts.onProgress?.(a);
        if (a.status === 'running') { estimates.push(pacer.observe(a, at)); continue; }
        pending.delete(a.id);
        done.set(a.id, a);
        if (a.status === 'error') {
          const code = a.error?.code ?? 'action_failed';
          const msg = `hetzner action ${a.command} (${a.id}) failed: ${a.error?.message ?? 'unknown error'} (${code})`;
          throw actionFailure(msg, code);
        }
      }
      if (pending.size > 0) await this.#clock.sleep(ActionPacer.delay(estimates), opts.signal);
    }
    return [...new Set(ids)].map((id) => done.get(id)!);
  }

  listSshKeys(filter: { name?: string; fingerprint?: string; labelSelector?: string } = {}, opts: CallOptions = {}): Promise<SshKey[]> {
    const query: Array<[string, string]> = [];
    if (filter.name !== undefined) query.push(['name', filter.name]);
    if (filter.fingerprint !== undefined) query.push(['fingerprint', filter.fingerprint]);
    if (filter.labelSelector !== undefined) query.push(['label_selector', filter.labelSelector]);
    return this.#listAll<SshKey>('listSshKeys', '/ssh_keys', 'ssh_keys', query, opts);
  }

  async createSshKey(req: { name: string; public_key: string; labels?: Record<string, string> }, opts: CallOptions = {}): Promise<SshKey> {
    const r = await this.#http.call<{ ssh_key: SshKey }>({ op: 'createSshKey', method: 'POST', path: '/ssh_keys', body: req, ...opts });
    return r.body.ssh_key;
  }

  async updateSshKey(id: number, patch: { name?: string; labels?: Record<string, string> }, opts: CallOptions = {}): Promise<SshKey> {
    const r = await this.#http.call<{ ssh_key: SshKey }>({ op: 'updateSshKey', method: 'PUT', path: `/ssh_keys/${id}`, body: patch, ...opts });
    return r.body.ssh_key;
  }

  async deleteSshKey(id: number, opts: CallOptions = {}): Promise<void> {
    await this.#http.call({ op: 'deleteSshKey', method: 'DELETE', path: `/ssh_keys/${id}`, ...opts });
  }

  async #listAll<T>(op: string, path: string, key: string, filter: Array<[string, string]>, opts: CallOptions): Promise<T[]> {
    const out: T[] = [];
    for (let page: number | null = 1; page !== null;) {
      const query: Array<[string, string]> = [...filter, ['page', String(page)], ['per_page', String(PER_PAGE)]];
      const r: { body: Record<string, unknown> & { meta?: { pagination?: Pagination } } } =
        await this.#http.call({ op, method: 'GET', path, query, ...opts });
      out.push(...((r.body[key] as T[] | undefined) ?? []));
      page = r.body.meta?.pagination?.next_page ?? null;
    }
    return out;
  }
}
