// Shared loopback simulator framework: routing, token checks, request counting, faults, clock and persisted state.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse, type IncomingMessage } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { writeFileAtomic } from '../store/atomic.js';
import { isLoopback } from '../net/loopback.js';

/** SimRequest is what a simulator route handler receives. */
export interface SimRequest {
  readonly method: string;
  /** Path below the service prefix, e.g. `/servers/42`. */
  readonly path: string;
  /** Route template that matched, below the prefix, e.g. `/servers/{id}`. */
  readonly template: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  readonly body: unknown;
  readonly rawBody: Buffer;
  /** Credential extracted by the service (bearer token or API key). */
  readonly token: string | undefined;
  /** Base URL of this service, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  /** The client's address, for per-IP limits. */
  readonly remoteAddress: string;
}

/** SimResponse is what a handler returns; `body` is sent as JSON unless `raw` is set. */
export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
  /** Set by faults only: reset the connection instead of answering, or cut the body off half-way. */
  abort?: 'reset' | 'truncate';
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

/** SimRoute binds a method and a template (`{param}` matches one path segment) to a handler. */
export interface SimRoute {
  method: string;
  template: string;
  handler: SimHandler;
  /** Mutating routes trigger a state save; defaults to method !== GET. */
  mutates?: boolean;
}

/** SimService is one simulated provider mounted under a path prefix. */
export interface SimService {
  readonly name: string;
  /** Mount point such as `/v1`, `/client/v4` or `/portainer`. */
  readonly prefix: string;
  readonly routes: SimRoute[];
  /** Pull the credential out of a request (Authorization bearer, X-API-Key, …). */
  extractToken(headers: IncomingHttpHeaders): string | undefined;
  /** The provider's own response for a missing or wrong credential. */
  authError(req: SimRequest, reason: 'missing' | 'invalid'): SimResponse;
  /** The provider's own response for an unknown route (a real 404 shape). */
  notFound(method: string, path: string): SimResponse;
  /** Error body used when a fault gives only a status. */
  faultBody(status: number): unknown;
  /** Optional rate limiting: return a 429 response, or headers to add to the real response. */
  rateLimit?(token: string, now: number, ip: string): { reject?: SimResponse; headers?: Record<string, string> };
  /** Routes exempt from auth (e.g. Portainer login). */
  isPublic?(method: string, template: string): boolean;
  /** decorate adds headers every reply of this service carries (correlation ids, rate-limit headers), faults and auth errors included. */
  decorate?(res: SimResponse, token: string | undefined): void;
  /** Service-specific control verbs served at `/_sim/<name>/<verb>` (e.g. Hetzner's next-address). */
  control?(method: string, verb: string, body: unknown, query: URLSearchParams): SimResponse;
  snapshot(): unknown;
  restore(state: unknown): void;
  reset(): void;
}

/** SimFault is one scripted failure; `times` one-shot count or `rate` probability per matching request. */
export interface SimFault {
  /** `METHOD /full/route/{template}`; omitted = any request of this server. */
  route?: string;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  latencyMs?: number;
  times?: number;
  rate?: number;
  /** An HTML page instead of the provider's JSON (a proxy's 502 page); `true` uses a stock one. Status defaults to 502. */
  html?: string | true;
  /** Reset the connection: `before` the request is served (nothing happens), or `after` (the write is applied, the reply is lost). */
  reset?: 'before' | 'after';
  /** Send only the first half of the reply body, then close (content-length promises the rest). */
  truncate?: boolean;
}

/** PROXY_502_PAGE is what a load balancer in front of an API sends when the upstream fails. */
export const PROXY_502_PAGE = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

/** SimClock gives simulated time: real time plus an offset that tests advance through the control API. */
export class SimClock {
  #offset = 0;
  constructor(private readonly base: () => number = Date.now) {}
  now(): number { return this.base() + this.#offset; }
  advance(ms: number): void { this.#offset += ms; }
  /** reset drops the offset, so a reset world is stamped with real time again. */
  reset(): void { this.#offset = 0; }
}

export interface SimServerOptions {
  services: SimService[];
  host?: string;
  port?: number;
  /** Required bearer token; when absent any non-empty credential is accepted. */
  token?: string;
  stateFile?: string;
  clock?: SimClock;
}

interface RouteEntry { service: SimService; route: SimRoute; segments: string[]; literalCount: number; full: string }

/** SimServer serves one or more SimServices on one loopback port, with the `/_sim/*` control API. */
export class SimServer {
  readonly clock: SimClock;
  readonly services: SimService[];
  #server: Server | undefined;
  #routes: RouteEntry[] = [];
  #faults: Array<SimFault & { remaining: number }> = [];
  #counts = new Map<string, number>();
  #byStatus = new Map<number, number>();
  #log: Array<{ method: string; route: string; status: number }> = [];
  #total = 0;
  #rng = 0x2545f491;
  #url = '';

  constructor(private readonly opts: SimServerOptions) {
    this.clock = opts.clock ?? new SimClock();
    this.services = opts.services;
    for (const service of opts.services) {
      for (const route of service.routes) {
        const full = joinPath(service.prefix, route.template);
        const segments = split(full);
        this.#routes.push({ service, route, segments, full, literalCount: segments.filter((s) => !s.startsWith('{')).length });
      }
    }
    // Literal segments beat parameters, so `/dns_records/batch` wins over `/dns_records/{id}`.
    this.#routes.sort((a, b) => b.literalCount - a.literalCount);
    if (opts.stateFile && existsSync(opts.stateFile)) this.load(opts.stateFile);
  }

  get url(): string { return this.#url; }

  /** baseUrl returns the service's base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  baseUrl(name: string): string {
    const svc = this.services.find((s) => s.name === name);
    if (!svc) throw new Error(`no simulator named ${name}`);
    return this.#url + svc.prefix;
  }

  service<T extends SimService>(name: string): T {
    const svc = this.services.find((s) => s.name === name);
    if (!svc) throw new Error(`no simulator named ${name}`);
    return svc as T;
  }

  async listen(): Promise<string> {
    const host = this.opts.host ?? '127.0.0.1';
    if (!isLoopback(host)) throw new Error(`simulators listen on loopback only, not ${host}`);
    const server = createServer((req, res) => { void this.#handle(req, res); });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.#url = `http://${h}:${addr.port}`;
    return this.#url;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** addFault queues a scripted failure. */
  addFault(fault: SimFault): void {
    this.#faults.push({ ...fault, remaining: fault.times ?? (fault.rate === undefined ? 1 : Infinity) });
  }

  requests(): { total: number; byRoute: Record<string, number>; byStatus: Record<string, number> } {
    return {
      total: this.#total,
      byRoute: Object.fromEntries([...this.#counts].sort()),
      byStatus: Object.fromEntries([...this.#byStatus].map(([k, v]) => [String(k), v])),
    };
  }

  /** requestLog returns the most recent requests (bounded), oldest first. */
  requestLog(): ReadonlyArray<{ method: string; route: string; status: number }> { return this.#log; }

  resetCounters(): void {
    this.#counts.clear();
    this.#byStatus.clear();
    this.#log = [];
    this.#total = 0;
  }

  reset(): void {
    this.clock.reset();
    for (const s of this.services) s.reset();
    this.#faults = [];
    this.resetCounters();
    this.save();
  }

  state(): Record<string, unknown> {
    return Object.fromEntries(this.services.map((s) => [s.name, s.snapshot()]));
  }

  save(): void {
    if (!this.opts.stateFile) return;
    writeFileAtomic(this.opts.stateFile, JSON.stringify({ version: 1, services: this.state() }));
  }

  private load(file: string): void {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { services?: Record<string, unknown> };
    for (const s of this.services) {
      const st = parsed.services?.[s.name];
      if (st !== undefined) s.restore(st);
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://sim.invalid');
      const method = (req.method ?? 'GET').toUpperCase();
      if (url.pathname.startsWith('/_sim/')) return send(res, this.#control(method, url.pathname, url.searchParams, raw));
      const out = await this.#serve(method, url, req.headers, raw, req.socket.remoteAddress ?? '');
      send(res, out);
    } catch (err) {
      send(res, { status: 500, body: { error: String(err) } });
    }
  }

  #control(method: string, path: string, query: URLSearchParams, raw: Buffer): SimResponse {
    const body = parseJson(raw) as Record<string, unknown> | undefined;
    if (method === 'GET' && path === '/_sim/state') return { status: 200, body: this.state() };
    if (method === 'GET' && path === '/_sim/requests' && query.get('log') === '1') return { status: 200, body: { ...this.requests(), log: this.requestLog() } };
    if (method === 'GET' && path === '/_sim/requests') return { status: 200, body: this.requests() };
    if (method === 'POST' && path === '/_sim/reset') { this.reset(); return { status: 204 }; }
    if (method === 'POST' && path === '/_sim/faults') {
      const list = Array.isArray(body) ? body : body ? [body] : [];
      for (const f of list as SimFault[]) this.addFault(f);
      return { status: 201, body: { queued: list.length } };
    }
    if (method === 'POST' && path === '/_sim/clock') {
      const ms = Number(body?.advanceMs ?? 0);
      if (!Number.isFinite(ms) || ms < 0) return { status: 400, body: { error: 'advanceMs must be a non-negative number' } };
      this.clock.advance(ms);
      return { status: 200, body: { now: this.clock.now() } };
    }
    // Service-specific control endpoints: GET|POST /_sim/<service>/<verb>.
    const m = /^\/_sim\/([a-z]+)\/([a-z-]+)$/.exec(path);
    const svc = m ? this.services.find((s) => s.name === m[1]) : undefined;
    if (svc?.control && m) {
      const out = svc.control(method, m[2]!, body, query);
      if (method !== 'GET') this.save();
      return out;
    }
    return { status: 404, body: { error: `unknown control route ${method} ${path}` } };
  }

  async #serve(method: string, url: URL, headers: IncomingHttpHeaders, raw: Buffer, remoteAddress: string): Promise<SimResponse> {
    const match = this.#match(method, url.pathname);
    this.#total++;
    if (!match) {
      // Unmatched routes are counted under their literal path so tests notice them.
      const svc = this.services.find((s) => url.pathname.startsWith(s.prefix + '/'));
      const out = svc ? svc.notFound(method, url.pathname) : { status: 501, body: { error: `no simulator route for ${method} ${url.pathname}` } };
      return this.#record(`${method} ${url.pathname}`, out);
    }
    const { entry, params } = match;
    const routeKey = `${method} ${entry.full}`;
    const service = entry.service;
    const sreq: SimRequest = {
      method, params, headers, rawBody: raw,
      path: url.pathname.slice(service.prefix.length) || '/',
      template: entry.route.template,
      query: url.searchParams,
      body: parseJson(raw),
      token: service.extractToken(headers),
      baseUrl: this.#url + service.prefix,
      remoteAddress,
    };
    const done = (out: SimResponse): SimResponse => { service.decorate?.(out, sreq.token); return this.#record(routeKey, out); };
    const fault = this.#takeFault(routeKey);
    if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault?.reset === 'before') return done({ status: 0, abort: 'reset' });
    const cut = (out: SimResponse): SimResponse => (fault?.truncate ? { ...out, abort: 'truncate' } : out);
    if (fault?.html !== undefined) {
      const status = fault.status ?? 502;
      return done(cut({ status, raw: fault.html === true ? PROXY_502_PAGE : fault.html, headers: { 'content-type': 'text/html', ...fault.headers } }));
    }
    if (fault && fault.status) {
      return done(cut({ status: fault.status, body: fault.body ?? service.faultBody(fault.status), headers: { ...fault.headers } }));
    }
    const isPublic = service.isPublic?.(method, entry.route.template) ?? false;
    if (!isPublic) {
      if (!sreq.token) return done(service.authError(sreq, 'missing'));
      if (this.opts.token !== undefined && sreq.token !== this.opts.token) return done(service.authError(sreq, 'invalid'));
    }
    let extra: Record<string, string> | undefined;
    if (service.rateLimit && sreq.token) {
      const rl = service.rateLimit(sreq.token, this.clock.now(), remoteAddress);
      if (rl.reject) return done(rl.reject);
      extra = rl.headers;
    }
    const out = await entry.route.handler(sreq);
    if (extra) out.headers = { ...extra, ...out.headers };
    if (fault?.headers) out.headers = { ...out.headers, ...fault.headers };
    const mutates = entry.route.mutates ?? method !== 'GET';
    if (mutates && out.status < 400) this.save();
    // The write above happened; the client never hears of it.
    if (fault?.reset === 'after') return done({ status: 0, abort: 'reset' });
    return done(cut(out));
  }

  #record(route: string, out: SimResponse): SimResponse {
    this.#counts.set(route, (this.#counts.get(route) ?? 0) + 1);
    this.#byStatus.set(out.status, (this.#byStatus.get(out.status) ?? 0) + 1);
    this.#log.push({ method: route.split(' ')[0]!, route, status: out.status });
    if (this.#log.length > 10_000) this.#log.splice(0, this.#log.length - 10_000);
    return out;
  }

  #takeFault(routeKey: string): SimFault | undefined {
    for (let i = 0; i < this.#faults.length; i++) {
      const f = this.#faults[i]!;
      if (f.route !== undefined && f.route !== routeKey) continue;
      if (f.rate !== undefined && this.#random() >= f.rate) continue;
      f.remaining--;
      if (f.remaining <= 0) this.#faults.splice(i, 1);
      return f;
    }
    return undefined;
  }

  // A seeded xorshift keeps rate faults reproducible across runs.
  #random(): number {
    let x = this.#rng;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.#rng = x >>> 0;
    return this.#rng / 0x100000000;
  }

  #match(method: string, path: string): { entry: RouteEntry; params: Record<string, string> } | undefined {
    const segs = split(path);
    for (const entry of this.#routes) {
      if (entry.route.method !== method || entry.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const t = entry.segments[i]!;
        const s = segs[i]!;
        if (t.startsWith('{')) params[t.slice(1, -1)] = decodeURIComponent(s);
        else if (t !== s) { ok = false; break; }
      }
      if (ok) return { entry, params };
    }
    return undefined;
  }
}

/** bearerToken extracts `Authorization: Bearer X`. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m?.[1]?.trim() || undefined;
}

// Re-exported so existing callers of the simulator framework keep one import.
export { isLoopback };

function joinPath(prefix: string, template: string): string {
  return (prefix + template).replace(/\/+/g, '/');
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try { return JSON.parse(raw.toString('utf8')); } catch { return undefined; }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, out: SimResponse): void {
  // RST rather than FIN, so the client sees ECONNRESET as it would from a dying proxy.
  if (out.abort === 'reset') { res.socket?.resetAndDestroy(); return; }
  const headers: Record<string, string> = { ...out.headers };
  let payload = '';
  if (out.raw !== undefined) payload = out.raw;
  else if (out.body !== undefined && out.status !== 204) {
    payload = JSON.stringify(out.body);
    headers['content-type'] ??= 'application/json';
  }
  if (out.abort === 'truncate') {
    const bytes = Buffer.from(payload);
    res.writeHead(out.status, { ...headers, 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  res.writeHead(out.status, headers);
  res.end(payload);
}
