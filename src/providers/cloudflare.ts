// Cloudflare DNS client on the official `cloudflare` SDK v7: rate-limited, typed results, typed errors.
import Cloudflare from 'cloudflare';
import { realClock, type Clock } from '../engine/clock.js';
import { DomainError } from '../engine/errors.js';
import { TokenBucket } from './limiter.js';
import { classifyCloudflareError, isRecordNotFound, TOKEN_SCOPE } from './cloudflare-errors.js';
import { limitedFetch } from './cloudflare-fetch.js';

export { classifyCloudflareError, isRecordNotFound, RECORD_NOT_FOUND, TOKEN_SCOPE } from './cloudflare-errors.js';
export { operationLabel } from './cloudflare-fetch.js';

export const CLOUDFLARE_API_URL = 'https://api.cloudflare.com/client/v4';
/** Cloudflare's documented budget: 1200 requests per 5 minutes per token. */
export const CLOUDFLARE_DEFAULT_LIMIT = { limit: 1200, windowMs: 300_000 } as const;
/** Per-IP pacing: a 20 burst plus 120/s, at most 140 sent in any second, leaving room for requests that bunch up in transit. */
export const CLOUDFLARE_IP_PACE = { limit: 120, windowMs: 1000, burst: 20 } as const;
/** Largest per_page the API is documented to accept for DNS records. */
export const DNS_PAGE_SIZE = 5000;
// setTimeout's maximum: the SDK's own timer must never fire, since ours (after the limiter) is the real one.
const SDK_TIMEOUT_OFF = 2_147_483_647;

export interface CloudflareDnsOptions {
  /** API token (sent as `Authorization: Bearer`); never logged or put into errors. */
  token: string;
  /** Defaults to the public API; a simulator URL must include `/client/v4`. */
  baseURL?: string;
  /** Shared client-side limiter; defaults to 1200 per 300 s. */
  limiter?: TokenBucket;
  /** Burst pacing under Cloudflare's 200 requests/s per IP; defaults to CLOUDFLARE_IP_PACE. */
  ipLimiter?: TokenBucket;
  clock?: Clock;
  /** Called once per HTTP attempt (SDK retries and pages included) with a stable op label. */
  onRequest?: (op: string, status: number) => void;
  /** Per-attempt timeout in ms, counted after the limiter grants a permit; default 60 s. */
  timeoutMs?: number;
  /** SDK retries for 5xx, timeouts and connection errors; default 2. */
  maxRetries?: number;
}

export interface CloudflareZone {
  id: string;
  name: string;
  /** Plan legacy id such as `free` or `pro`, when the token may read it. */
  plan?: string;
  status?: string;
}

/** DnsRecord is a record as the engine sees it. */
export interface DnsRecord {
  id: string;
  type: string;
  /** Lowercase FQDN. */
  name: string;
  content: string;
  /** 1 means automatic. */
  ttl: number;
  proxied: boolean;
  proxiable: boolean;
  comment: string | null;
  tags: string[];
  /** MX (and URI) priority. */
  priority?: number;
  createdOn?: string;
  modifiedOn?: string;
}

/** DnsRecordInput creates a record; `name` may be relative to the zone or `@`. */
export interface DnsRecordInput {
  type: string;
  name: string;
  content: string;
  /** Defaults to 1 (automatic). */
  ttl?: number;
  proxied?: boolean;
  comment?: string | null;
  tags?: string[];
  priority?: number;
}

/** DnsRecordPatch changes only the given fields (PATCH). */
export type DnsRecordPatch = Partial<DnsRecordInput>;

/** ListRecordsFilter narrows a listing server-side. */
export interface ListRecordsFilter {
  type?: string;
  /** Exact FQDN. */
  name?: string;
}

// The SDK's parameter unions are per record type; the wire shape is the same, so one cast point is enough.
type RecordBody = Record<string, unknown> & { zone_id: string };
type AnyRecord = { id: string; type: string; name: string; content?: string; ttl: number; proxied?: boolean; proxiable?: boolean; comment?: string | null; tags?: string[]; priority?: number; created_on?: string; modified_on?: string };

/** CloudflareDns is the project's Cloudflare DNS client. */
export class CloudflareDns {
  readonly #sdk: Cloudflare;
  readonly #token: string;
  readonly #clock: Clock;

  constructor(opts: CloudflareDnsOptions) {
    this.#token = opts.token;
    this.#clock = opts.clock ?? realClock;
    const baseURL = opts.baseURL ?? CLOUDFLARE_API_URL;
    const limiter = opts.limiter ?? new TokenBucket({ ...CLOUDFLARE_DEFAULT_LIMIT, clock: this.#clock });
    this.#sdk = new Cloudflare({
      apiToken: opts.token || null,
      // Explicit nulls keep CLOUDFLARE_API_KEY / CLOUDFLARE_EMAIL from the environment out of our requests.
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL,
      maxRetries: opts.maxRetries ?? 2,
      timeout: SDK_TIMEOUT_OFF,
      logLevel: 'off',
      fetch: limitedFetch({
        limiter, clock: this.#clock, baseURL, timeoutMs: opts.timeoutMs ?? 60_000,
        ipLimiter: opts.ipLimiter ?? new TokenBucket({ ...CLOUDFLARE_IP_PACE, clock: this.#clock }),
        ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
      }),
    });
  }

  /** findZone looks a zone up by exact name (one request); undefined when the token cannot see it. */
  async findZone(name: string): Promise<CloudflareZone | undefined> {
    const wanted = name.trim().toLowerCase().replace(/\.$/, '');
    return this.#call(async () => {
      const page = await this.#sdk.zones.list({ name: wanted, per_page: 50 });
      const z = page.getPaginatedItems().find((zone) => zone.name.toLowerCase() === wanted);
      if (!z) return undefined;
      const plan = (z.plan as { legacy_id?: string } | undefined)?.legacy_id;
      return { id: z.id, name: z.name, ...(plan ? { plan } : {}), ...(z.status ? { status: z.status } : {}) };
    });
  }

  /** listRecords returns every record of the zone: one request per 5000 records plus the SDK's empty last page. */
  async listRecords(zoneId: string, filter: ListRecordsFilter = {}): Promise<DnsRecord[]> {
    return this.#call(async () => {
      const out: DnsRecord[] = [];
      const params = {
        zone_id: zoneId, per_page: DNS_PAGE_SIZE,
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.name ? { name: { exact: filter.name.toLowerCase().replace(/\.$/, '') } } : {}),
      } as Cloudflare.DNS.RecordListParams;
      for await (const r of this.#sdk.dns.records.list(params)) out.push(toRecord(r as AnyRecord));
      return out;
    });
  }

  /** createRecord creates one record; ttl defaults to 1 (automatic). */
  async createRecord(zoneId: string, input: DnsRecordInput): Promise<DnsRecord> {
    const body: RecordBody = { zone_id: zoneId, ...wireFields(input), ttl: input.ttl ?? 1 };
    return this.#call(async () => toRecord(await this.#sdk.dns.records.create(body as unknown as Cloudflare.DNS.RecordCreateParams) as AnyRecord));
  }

  /** editRecord PATCHes only the given fields. */
  async editRecord(zoneId: string, id: string, patch: DnsRecordPatch): Promise<DnsRecord> {
    const body: RecordBody = { zone_id: zoneId, ...wireFields(patch) };
    return this.#call(async () => toRecord(await this.#sdk.dns.records.edit(id, body as unknown as Cloudflare.DNS.RecordEditParams) as AnyRecord));
  }

  /** getRecord reads one record by id (never lagged like lists); undefined when it does not exist. */
  async getRecord(zoneId: string, id: string): Promise<DnsRecord | undefined> {
    try {
      return await this.#call(async () => toRecord(await this.#sdk.dns.records.get(id, { zone_id: zoneId }) as AnyRecord));
    } catch (err) {
      if (isRecordNotFound(err)) return undefined;
      throw err;
    }
  }

  /** deleteRecord removes a record; a missing one throws a DomainError NotFound for which isRecordNotFound() is true. */
  async deleteRecord(zoneId: string, id: string): Promise<void> {
    await this.#call(() => this.#sdk.dns.records.delete(id, { zone_id: zoneId }));
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#token) throw new DomainError('Unauthorized', 'no Cloudflare API token configured', { provider: 'cloudflare', status: 0, code: 'NoToken', message: 'no Cloudflare API token configured' }, { scope: TOKEN_SCOPE });
    try {
      return await fn();
    } catch (err) {
      throw classifyCloudflareError(err, this.#token, () => this.#clock.now());
    }
  }
}

function wireFields(input: DnsRecordPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['type', 'name', 'content', 'ttl', 'proxied', 'comment', 'tags', 'priority'] as const) {
    if (input[k] !== undefined) out[k] = input[k];
  }
  return out;
}

function toRecord(r: AnyRecord): DnsRecord {
  const rec: DnsRecord = {
    id: r.id, type: r.type, name: r.name, content: r.content ?? '', ttl: r.ttl,
    proxied: r.proxied ?? false, proxiable: r.proxiable ?? false, comment: r.comment ?? null, tags: r.tags ?? [],
  };
  if (typeof r.priority === 'number') rec.priority = r.priority;
  if (r.created_on) rec.createdOn = r.created_on;
  if (r.modified_on) rec.modifiedOn = r.modified_on;
  return rec;
}
