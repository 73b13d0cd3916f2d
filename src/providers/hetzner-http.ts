// Hetzner HTTP transport: limiter, per-request timeout, safe in-client retries through the injected Clock, error parsing.
import type { Clock } from '../engine/clock.js';
import type { TokenBucket } from './limiter.js';
import { classifyFailure, connectionFailure, redact, shouldRetry, type HetznerFailure } from './hetzner-errors.js';

export interface TransportOptions {
  token: string;
  endpoint: string;
  clock: Clock;
  limiter: TokenBucket;
  onRequest?: (op: string, status: number) => void;
  userAgent: string;
  timeoutMs: number;
  maxRetries: number;
  random: () => number;
}

export interface CallSpec {
  /** Operation name for metrics and messages, e.g. `listServers`. */
  op: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Array<[string, string]>;
  body?: unknown;
  signal?: AbortSignal;
  /** Return a 404 as a result instead of throwing. */
  allowNotFound?: boolean;
}

export interface CallResult<T> {
  status: number;
  body: T;
  requestId: string | undefined;
}

// Errors raised before any byte reached the server, so even a POST can be resent safely.
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const FALLBACK_CODES: Record<number, string> = {
  401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 412: 'resource_unavailable', 423: 'locked',
  429: 'rate_limit_exceeded', 500: 'server_error', 502: 'bad_gateway', 503: 'unavailable', 504: 'timeout',
};

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

export class HetznerTransport {
  constructor(private readonly o: TransportOptions) {}

  /** call performs one logical request, retrying what is safe to retry, and throws the classified final error. */
  async call<T>(spec: CallSpec): Promise<CallResult<T>> {
    const idempotent = spec.method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      await this.o.limiter.acquire(spec.signal);
      let res: Response;
      let body: unknown;
      try {
        // Reading the body is inside the try: a reset or timeout mid-body is a network failure too.
        res = await this.#send(spec);
        body = await this.#json(res);
      } catch (err) {
        this.o.onRequest?.(spec.op, 0);
        if (spec.signal?.aborted) throw spec.signal.reason;
        const code = errorCode(err) ?? ((err as Error).name === 'TimeoutError' ? 'request timeout' : 'network error');
        if ((idempotent || CONNECT_ERRORS.has(code)) && attempt < this.o.maxRetries) {
          await this.o.clock.sleep(this.#backoff(attempt), spec.signal);
          continue;
        }
        throw connectionFailure(spec.op, `hetzner ${spec.op}: ${code}${idempotent ? '' : ' (outcome unknown, not retried)'}`, err);
      }
      this.o.onRequest?.(spec.op, res.status);
      const remaining = Number(res.headers.get('ratelimit-remaining'));
      if (res.headers.has('ratelimit-remaining') && Number.isFinite(remaining)) this.o.limiter.sync(remaining);
      const requestId = res.headers.get('x-correlation-id') ?? undefined;
      if (res.ok || (spec.allowNotFound && res.status === 404)) return { status: res.status, body: body as T, requestId };

      const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
      const failure: HetznerFailure = {
        op: spec.op,
        status: res.status,
        code: typeof err?.code === 'string' ? err.code : FALLBACK_CODES[res.status] ?? 'http_error',
        message: redact(typeof err?.message === 'string' ? err.message : `HTTP ${res.status}`, this.o.token),
        details: err?.details ?? null,
        requestId,
      };
      const limited = failure.code === 'rate_limit_exceeded' || res.status === 429;
      const wait = limited ? this.#rateLimitWait(res.headers, attempt) : this.#backoff(attempt);
      if (limited) {
        failure.retryAfterMs = wait;
        // Pausing the shared limiter holds back every other caller too, not only this retry.
        this.o.limiter.pauseFor(wait);
      }
      if (shouldRetry(failure, idempotent) && attempt < this.o.maxRetries) {
        // After a pause, acquire() does the waiting; otherwise back off here.
        if (!limited) await this.o.clock.sleep(wait, spec.signal);
        continue;
      }
      throw classifyFailure(failure, this.o.token);
    }
  }

  async #send(spec: CallSpec): Promise<Response> {
    const url = new URL(this.o.endpoint.replace(/\/+$/, '') + spec.path);
    for (const [k, v] of spec.query ?? []) url.searchParams.append(k, v);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.o.token}`,
      accept: 'application/json',
      'user-agent': this.o.userAgent,
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    // The timeout is wall time on purpose: it bounds a real socket, not simulated work.
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    return fetch(url, { method: spec.method, headers, body: spec.body === undefined ? undefined : JSON.stringify(spec.body), signal });
  }

  async #json(res: Response): Promise<unknown> {
    const text = await res.text();
    if (text.length === 0) return undefined;
    try { return JSON.parse(text); } catch { return undefined; }
  }

  /** #backoff is exponential from 1 s, doubling, capped at 60 s, with equal jitter. */
  #backoff(attempt: number): number {
    const d = Math.min(60_000, 1000 * 2 ** attempt);
    return Math.round(d / 2 + this.o.random() * (d / 2));
  }

  /** #rateLimitWait estimates when one request is free again from RateLimit-Reset (bucket full) and the limit. */
  #rateLimitWait(headers: Headers, attempt: number): number {
    const backoff = this.#backoff(attempt);
    const reset = Number(headers.get('ratelimit-reset'));
    const limit = Number(headers.get('ratelimit-limit'));
    const remaining = Number(headers.get('ratelimit-remaining') ?? 0);
    if (!(reset > 0) || !(limit > 0)) return backoff;
    const untilFull = reset * 1000 - this.o.clock.now();
    if (!(untilFull > 0)) return backoff;
    const perToken = untilFull / Math.max(1, limit - (Number.isFinite(remaining) ? remaining : 0));
    return Math.min(60_000, Math.max(backoff, Math.ceil(perToken)));
  }
}
