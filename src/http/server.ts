// The daemon's HTTP endpoint: /healthz, /readyz, /metrics and the read-only /api/v1/objects JSON.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { isLoopback } from '../net/loopback.js';
import type { ObjectState } from '../store/status-store.js';
import { toApiObject, toList } from '../store/object-view.js';
import type { SecretRegistry } from '../obs/redact.js';
import { parseKey } from '../engine/types.js';
import { kinds } from '../crd/index.js';

export interface HttpOptions {
  /** The runtime's registry: API views are scrubbed with it. */
  secrets?: SecretRegistry;
  host: string;
  port: number;
  /** Bearer token required on every route except /healthz; mandatory off loopback. */
  apiToken?: string;
  ready: () => boolean;
  metrics: () => Promise<{ contentType: string; body: string }>;
  objects: () => ObjectState[];
  /** Keys whose deletion the mass-deletion hold keeps back. */
  heldDeletions?: () => string[];
  /** Confirms exactly the given held set (POST /api/v1/deletions/confirm). */
  confirmDeletions?: (keys: string[]) => { ok: true; confirmed: string[] } | { ok: false; held: string[]; message: string };
  /** Asks for a reconcile of key now (POST /api/v1/objects/KIND/NAME/reconcile); false when no controller handles it. */
  enqueueNow?: (key: string) => Promise<boolean> | boolean;
  /** Why the daemon is not ready although ready() says so (e.g. status cannot be written); /readyz shows it. */
  notReadyReason?: () => string | undefined;
  /** Connection and timeout caps; the defaults keep idle or slow clients from exhausting file descriptors. */
  limits?: Partial<HttpLimits>;
}

/** HttpLimits bound what clients can hold open. */
export interface HttpLimits {
  /** Sockets beyond this are closed on accept. */
  maxConnections: number;
  /** Time allowed for a request's headers, counted from the connection (idle sockets included). */
  headersTimeoutMs: number;
  /** Time allowed for a whole request. */
  requestTimeoutMs: number;
  /** How long a kept-alive socket may idle between requests. */
  keepAliveTimeoutMs: number;
  /** How often expired header and request timers are checked. */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxConnections: 128, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 2_000, checkIntervalMs: 1_000 };

/** CONFIRM_BODY_LIMIT bounds the confirmation request body. */
const CONFIRM_BODY_LIMIT = 1024 * 1024;

/** startHttp serves the daemon's endpoints and returns the bound URL and a close function. */
export async function startHttp(opts: HttpOptions): Promise<{ url: string; close(): Promise<void>; connections(): Promise<number> }> {
  if (!isLoopback(opts.host) && !opts.apiToken) {
    throw new Error(`listening on ${opts.host} (not loopback) requires --api-token-file`);
  }
  const lim = { ...DEFAULT_HTTP_LIMITS, ...opts.limits };
  const server: Server = createServer({
    headersTimeout: lim.headersTimeoutMs,
    requestTimeout: Math.max(lim.requestTimeoutMs, lim.headersTimeoutMs),
    keepAliveTimeout: lim.keepAliveTimeoutMs,
    connectionsCheckingInterval: lim.checkIntervalMs,
  }, (req, res) => { void route(opts, req, res); });
  // Over the cap, Node closes new sockets at once instead of letting them take file descriptors from the watcher.
  server.maxConnections = lim.maxConnections;
  // headersTimeout starts with the first byte; a socket that never sends one is ended by this inactivity timeout.
  server.setTimeout(lim.headersTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    connections: () => new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
  };
}

async function route(opts: HttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://daemon.invalid');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  try {
    if (path === '/api/v1/deletions/confirm' && req.method === 'POST' && opts.confirmDeletions) return await confirm(opts, req, res);
    const now = /^\/api\/v1\/objects\/([A-Za-z]+)\/([a-z0-9-]+)\/reconcile$/.exec(path);
    if (now && req.method === 'POST' && opts.enqueueNow) return await reconcileNow(opts, `${now[1]}/${now[2]}`, req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'read-only endpoint' });
    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (opts.apiToken && !authorized(req, opts.apiToken)) return send(res, 401, { error: 'a valid bearer token is required' });
    if (path === '/readyz') {
      const why = opts.notReadyReason?.();
      if (why) return send(res, 503, `not ready: ${why}\n`);
      return opts.ready() ? send(res, 200, 'ok\n') : send(res, 503, 'not ready: desired/ loading or first reconcile pass running\n');
    }
    if (path === '/metrics') {
      const m = await opts.metrics();
      res.writeHead(200, { 'content-type': m.contentType });
      res.end(m.body);
      return;
    }
    if (path === '/api/v1/objects') return send(res, 200, toList(opts.objects(), opts.secrets));
    if (path === '/api/v1/deletions/held' && opts.heldDeletions) return send(res, 200, { held: opts.heldDeletions() });
    const m = /^\/api\/v1\/objects\/([A-Za-z]+)(?:\/([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?))?$/.exec(path);
    if (m) {
      const items = opts.objects().filter((s) => parseKey(s.key).kind.toLowerCase() === m[1]!.toLowerCase());
      if (!m[2]) return send(res, 200, toList(items, opts.secrets));
      const one = items.find((s) => parseKey(s.key).name === m[2]);
      return one ? send(res, 200, toApiObject(one, opts.secrets)) : send(res, 404, { error: `${m[1]}/${m[2]} not found` });
    }
    return send(res, 404, { error: 'not found' });
  } catch (err) {
    return send(res, 500, { error: (err as Error).message });
  }
}

/**
 * confirm releases held deletions: bearer token when configured, a JSON body (a browser form cannot send one
 * without a preflight) naming exactly the held set; any other set is refused with 409 and the current one.
 */
async function confirm(opts: HttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (opts.apiToken && !authorized(req, opts.apiToken)) return send(res, 401, { error: 'a valid bearer token is required' });
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'send a JSON body {"keys": [...]}' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > CONFIRM_BODY_LIMIT) return send(res, 413, { error: 'request body too large' });
    chunks.push(chunk as Buffer);
  }
  let keys: unknown;
  try { keys = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { keys?: unknown }).keys; } catch { keys = undefined; }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return send(res, 400, { error: 'expected {"keys": ["Kind/name", ...]}' });
  const r = opts.confirmDeletions!(keys as string[]);
  return r.ok ? send(res, 200, { confirmed: r.confirmed }) : send(res, 409, { error: r.message, held: r.held });
}

/** reconcileNow enqueues one object: bearer token when configured and a JSON body, like confirm (no form-post CSRF). */
async function reconcileNow(opts: HttpOptions, ref: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (opts.apiToken && !authorized(req, opts.apiToken)) return send(res, 401, { error: 'a valid bearer token is required' });
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'send a JSON body ({})' });
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > CONFIRM_BODY_LIMIT) return send(res, 413, { error: 'request body too large' });
  }
  const kind = kinds().find((k) => k.toLowerCase() === parseKey(ref).kind.toLowerCase());
  const key = kind ? `${kind}/${parseKey(ref).name}` : ref;
  return kind && (await opts.enqueueNow!(key)) ? send(res, 202, { enqueued: key }) : send(res, 404, { error: `${ref} is not reconciled here` });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
