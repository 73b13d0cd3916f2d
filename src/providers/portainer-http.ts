// Portainer HTTP transport on node-fetch: an injected agent (the ssh2 tunnel), the limiter, timeouts, safe GET retries, error parsing.
import type { Agent } from 'node:http';
import fetch from 'node-fetch';
import type { Clock } from '../engine/clock.js';
import { DomainError } from '../engine/errors.js';
import type { TokenBucket } from './limiter.js';
import { classifyPortainer, parseRetryAfter, type PortainerFailure } from './portainer-errors.js';

export interface TransportOptions {
  /** Everything before `/api`, e.g. `http://127.0.0.1:9000` or a simulator's `http://127.0.0.1:P/portainer/7`. */
  baseUrl: string;
  apiKey: string | undefined;
  /** Connection source for every request: the ssh2 tunnel agent in real mode, undefined (or a plain Agent) over loopback. */
  agent: Agent | undefined;
  limiter: TokenBucket;
  clock: Clock;
  timeoutMs: number;
  maxRetries: number;
  userAgent: string;
  onRequest?: (op: string, status: number) => void;
  random: () => number;
}

export interface CallSpec {
  op: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** `apikey` (default) sends X-API-Key; `jwt` sends the bearer token instead; `none` sends no credential. */
  auth?: 'apikey' | 'jwt' | 'none';
  jwt?: string;
  /** Statuses that are answers, not failures (e.g. 404 for admin/check). */
  accept?: number[];
  /** Values of this call that must never appear in an error (passwords, secret data). */
  secrets?: string[];
  /** Per-call timeout, for calls the server holds open (DELETE waits for tasks). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CallResult { status: number; headers: Headers; body: Buffer }

const GATEWAY = new Set([502, 503, 504]);
/** Tunnel failures that mean the server's identity is wrong, not that it is down. */
const HOST_KEY_FAILURES = new Set(['HostKeyMismatch', 'HostKeyNotApproved', 'HostKeyUnknown']);

/** PortainerTransport performs one logical request and turns every failure into a classified DomainError. */
export class PortainerTransport {
  constructor(private readonly o: TransportOptions) {}

  get apiKey(): string | undefined { return this.o.apiKey; }

  async call(spec: CallSpec): Promise<CallResult> {
    const secrets = [this.o.apiKey, spec.jwt, ...(spec.secrets ?? [])];
    for (let attempt = 0; ; attempt++) {
      await this.o.limiter.acquire(spec.signal);
      let res: Awaited<ReturnType<typeof fetch>>;
      let body: Buffer;
      try {
        // The body is read inside the try: a reset mid-body is a network failure too.
        res = await this.#send(spec);
        body = Buffer.from(await res.arrayBuffer());
      } catch (err) {
        this.o.onRequest?.(spec.op, 0);
        if (spec.signal?.aborted) throw spec.signal.reason;
        const e = err as { name?: string; code?: string; cause?: { code?: string }; message?: string };
        // The SSH tunnel marks its own failures (ELIVCHAT_<reason>); node-fetch keeps only their code and message.
        const tunnel = /^ELIVCHAT_(\w+)$/.exec(e.code ?? '')?.[1];
        const why = (e.message ?? '').replace(/^request to \S+ failed, reason: /, '');
        if (tunnel && HOST_KEY_FAILURES.has(tunnel)) {
          // The server is not the one whose key is pinned: nothing is sent, and retrying cannot help.
          throw new DomainError('Unauthorized', `portainer ${spec.op}: ${why}`, { provider: 'portainer', status: 0, code: tunnel, message: why }, { scope: `ssh-host-key:${this.o.baseUrl}` });
        }
        const reason = tunnel ? why : e.name === 'AbortError' || e.name === 'TimeoutError' ? 'request timed out' : (e.code ?? e.cause?.code ?? 'network error');
        // Only reads are retried: a write whose reply was lost may have happened.
        if (spec.method === 'GET' && attempt < this.o.maxRetries) { await this.o.clock.sleep(this.#backoff(attempt), spec.signal); continue; }
        throw this.#fail(spec, { status: 0, message: `${reason}${spec.method === 'GET' ? '' : ' (outcome unknown, not retried)'}` }, secrets);
      }
      this.o.onRequest?.(spec.op, res.status);
      const headers = res.headers as unknown as Headers;
      if ((res.status >= 200 && res.status < 300) || spec.accept?.includes(res.status)) return { status: res.status, headers, body };
      if (spec.method === 'GET' && GATEWAY.has(res.status) && attempt < this.o.maxRetries) { await this.o.clock.sleep(this.#backoff(attempt), spec.signal); continue; }
      const parsed = parseError(body);
      const retryAfterMs = parseRetryAfter(headers.get('retry-after'), this.o.clock.now());
      if (res.status === 429) this.o.limiter.pauseFor(retryAfterMs ?? 1000);
      throw this.#fail(spec, {
        status: res.status, message: parsed.message || `HTTP ${res.status}`,
        ...(parsed.details ? { details: parsed.details } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(headers.get('redirect-reason') ? { redirectReason: headers.get('redirect-reason')! } : {}),
      }, secrets);
    }
  }

  /** json performs a call and parses its JSON body. */
  async json<T>(spec: CallSpec): Promise<{ status: number; body: T }> {
    const r = await this.call(spec);
    const text = r.body.toString('utf8');
    if (text.length === 0) return { status: r.status, body: undefined as T };
    try { return { status: r.status, body: JSON.parse(text) as T }; } catch {
      throw this.#fail(spec, { status: r.status, message: 'response is not JSON' }, [this.o.apiKey, spec.jwt, ...(spec.secrets ?? [])]);
    }
  }

  #fail(spec: CallSpec, f: Omit<PortainerFailure, 'op' | 'method' | 'path'>, secrets: Array<string | undefined>): DomainError {
    return classifyPortainer({ op: spec.op, method: spec.method, path: spec.path, ...f }, ...secrets);
  }

  #send(spec: CallSpec) {
    const url = new URL(this.o.baseUrl.replace(/\/+$/, '') + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.o.userAgent };
    const auth = spec.auth ?? 'apikey';
    if (auth === 'apikey' && this.o.apiKey) headers['x-api-key'] = this.o.apiKey;
    if (auth === 'jwt' && spec.jwt) headers.authorization = `Bearer ${spec.jwt}`;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    // Wall time on purpose: it bounds a real socket (or tunnel channel), not simulated work.
    const timeout = AbortSignal.timeout(spec.timeoutMs ?? this.o.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    return fetch(url.href, {
      method: spec.method, headers, signal, redirect: 'manual',
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      ...(this.o.agent ? { agent: this.o.agent } : {}),
    });
  }

  /** #backoff is exponential from 500 ms with equal jitter, capped at 10 s. */
  #backoff(attempt: number): number {
    const d = Math.min(10_000, 500 * 2 ** attempt);
    return Math.round(d / 2 + this.o.random() * (d / 2));
  }
}

/** parseError reads Portainer's `{message, details}`, Docker's `{message}`, or plain text such as a proxy's HTML page. */
function parseError(body: Buffer): { message: string; details?: string } {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { message?: unknown; details?: unknown; err?: unknown };
    const message = typeof j.message === 'string' ? j.message : typeof j.err === 'string' ? j.err : '';
    return { message, ...(typeof j.details === 'string' ? { details: j.details } : {}) };
  } catch {
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
    return { message: (title ?? text).trim().slice(0, 200) };
  }
}
