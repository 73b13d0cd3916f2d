// Cloudflare API v4 simulator (zones + DNS records) mounted at /client/v4 on the shared SimServer.
import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken, type SimClock, type SimRequest, type SimResponse, type SimRoute, type SimService } from './framework.js';
import { CfFailure, cfTime, failure, hexId, MSG, noRoute, ok } from './cloudflare-envelope.js';
import { filterRecords, filterZones, paginate } from './cloudflare-query.js';
import { CfRateLimiter, IpRateLimiter, type RateLimitState } from './cloudflare-ratelimit.js';
import { buildRecord, checkConflicts, checkGhosts, type CfRecord, type CfZone, type ZonePlan } from './cloudflare-records.js';

export type { CfRecord, CfZone, ZonePlan } from './cloudflare-records.js';

export interface CloudflareSimOptions {
  clock: SimClock;
  /**
   * Zones present at start and after reset; a bare name is a 'free' plan zone. Seeded zones are long-standing
   * (created on SEEDED_ZONE_CREATED, so a free one has the older 1,000-record quota) unless `createdOn` says otherwise.
   */
  zones?: Array<string | SeedZone>;
  /** Per-token budget; defaults to Cloudflare's 1200 requests per 300 s, refusing every call for one window once spent. */
  rateLimit?: { limit: number; windowMs: number; blockMs?: number };
  /** Per-client-address cap; defaults to Cloudflare's 200 requests per second; false turns it off. */
  ipRateLimit?: { limit: number; windowMs: number } | false;
  /** Read-after-write lag on the simulator clock (on by default, see DEFAULT_CONSISTENCY); false makes the API consistent. */
  consistency?: Consistency | false;
}

/** SeedZone is a zone given at start. */
export interface SeedZone { name: string; plan?: ZonePlan; createdOn?: string }

/**
 * Consistency is how far the simulated API lags behind its own writes: lists show the zone as it was `listLagMs`
 * ago, and a deleted record still blocks a CNAME/A/AAAA create at its name for `deleteLagMs` (81053/81054).
 */
export interface Consistency { listLagMs: number; deleteLagMs: number }

/** DEFAULT_CONSISTENCY is on in every simulator unless switched off (option or `POST /_sim/cloudflare/consistency`). */
export const DEFAULT_CONSISTENCY: Consistency = { listLagMs: 1000, deleteLagMs: 2000 };
/** SEEDED_ZONE_CREATED dates zones given at start before Cloudflare's September 2024 quota change. */
export const SEEDED_ZONE_CREATED = '2024-01-01T00:00:00.000000Z';
const QUOTA_CHANGE = '2024-09-01';

/** recordQuota is a zone's record limit: 200 on free zones created since September 2024, 1,000 on older free ones, 3,500 paid. */
export function recordQuota(zone: CfZone): number {
  if (zone.plan.legacy_id !== 'free') return 3500;
  return zone.created_on < QUOTA_CHANGE ? 1000 : 200;
}

/** CloudflareState is the simulator's public, directly seedable state. */
export interface CloudflareState {
  zones: Map<string, CfZone>;
  /** zone id → record id → record, in creation order. */
  records: Map<string, Map<string, CfRecord>>;
}

export interface CloudflareSim extends SimService {
  readonly state: CloudflareState;
  addZone(name: string, plan?: ZonePlan, createdOn?: string): CfZone;
  zoneByName(name: string): CfZone | undefined;
  /** createRecord seeds a record through the same validation as `POST dns_records` (throws CfFailure). */
  createRecord(zoneId: string, body: Record<string, unknown>): CfRecord;
  setRateLimit(limit: number, windowMs: number, blockMs?: number): void;
  /** setConsistency changes (or with false, removes) the read-after-write lag. */
  setConsistency(c: Consistency | false): void;
}

interface PendingWrite { at: number; id: string; prev: CfRecord | undefined }

interface Snapshot {
  version: 1;
  seq: number;
  zones: CfZone[];
  records: Record<string, CfRecord[]>;
  rateLimit: RateLimitState;
}

const PREFIX = '/client/v4';
const DEFAULT_LIMIT: { limit: number; windowMs: number; blockMs?: number } = { limit: 1200, windowMs: 300_000 };
const DEFAULT_IP_LIMIT = { limit: 200, windowMs: 1000 };

/**
 * createCloudflareSim builds the Cloudflare simulator service.
 * Choices where the API is not recorded (inferences): fixed rate-limit windows per token opening at its first
 * request (`t` = seconds to the window's end, rejected calls not counted), and once spent every call is refused for
 * one more window (`retry-after` = seconds left of that block); the per-IP cap is a 1 s sliding window; per_page clamped
 * (zones 5..50, records 5..5000) instead of rejected; unsupported record types → 1004/9000; a missing required
 * field → 1004/9100; a bad body shape → 400 9207; injected 5xx bodies use the HTTP status as the code.
 * TXT content is stored exactly as sent; AAAA content is stored in canonical compressed form. Quota refusals are
 * 400 81045; NS conflicts 400 81056; newlines in comments 9313 like an over-long comment. The read-after-write lag
 * is not persisted: a restored world is consistent. `GET dns_records/{id}` is never lagged.
 */
export function createCloudflareSim(opts: CloudflareSimOptions): CloudflareSim {
  return new CloudflareSimService(opts);
}

class CloudflareSimService implements CloudflareSim {
  readonly name = 'cloudflare';
  readonly prefix = PREFIX;
  readonly state: CloudflareState = { zones: new Map(), records: new Map() };
  readonly routes: SimRoute[];
  #seq = 0;
  readonly #clock: SimClock;
  readonly #limiter: CfRateLimiter;
  readonly #ipLimiter: IpRateLimiter;
  #lag: Consistency;
  // Per zone: recent writes (undone in lagging lists) and recently deleted records (still blocking exclusive names).
  #pending = new Map<string, PendingWrite[]>();
  #ghosts = new Map<string, Array<{ until: number; rec: CfRecord }>>();

  constructor(private readonly opts: CloudflareSimOptions) {
    this.#clock = opts.clock;
    const rl = opts.rateLimit ?? DEFAULT_LIMIT;
    this.#limiter = new CfRateLimiter(rl.limit, rl.windowMs, rl.blockMs);
    const ip = opts.ipRateLimit === false ? { limit: 0, windowMs: 1000 } : opts.ipRateLimit ?? DEFAULT_IP_LIMIT;
    this.#ipLimiter = new IpRateLimiter(ip.limit, ip.windowMs);
    this.#lag = opts.consistency === false ? { listLagMs: 0, deleteLagMs: 0 } : { ...DEFAULT_CONSISTENCY, ...opts.consistency };
    this.#seedZones();
    const zone = '/zones/{zone_id}';
    const rec = `${zone}/dns_records/{dns_record_id}`;
    this.routes = [
      this.#route('GET', '/zones', (r) => this.#listZones(r)),
      this.#route('GET', zone, (r) => ok(this.#zone(r))),
      this.#route('GET', `${zone}/dns_records`, (r) => this.#listRecords(r)),
      this.#route('POST', `${zone}/dns_records`, (r) => ok(this.#createLive(this.#zone(r), r.body))),
      this.#route('POST', `${zone}/dns_records/batch`, (r) => ok(this.#batch(this.#zone(r), r.body))),
      this.#route('GET', rec, (r) => ok(this.#record(r))),
      this.#route('PATCH', rec, (r) => ok(this.#update(r, 'patch'))),
      this.#route('PUT', rec, (r) => ok(this.#update(r, 'put'))),
      this.#route('DELETE', rec, (r) => ok(this.#delete(r))),
    ];
  }

  // --- SimService hooks ---

  extractToken(headers: IncomingHttpHeaders): string | undefined {
    return bearerToken(headers);
  }

  authError(req: SimRequest, reason: 'missing' | 'invalid'): SimResponse {
    const auth = req.headers.authorization;
    if (reason === 'missing' && auth !== undefined) {
      return failure(400, [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }] }]);
    }
    if (reason === 'missing' && req.headers['x-auth-key'] !== undefined) {
      // The simulator only accepts API tokens; a global key is treated as malformed.
      return failure(400, [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6103, message: 'Invalid format for X-Auth-Key header' }] }]);
    }
    if (reason === 'missing') return failure(400, [{ code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' }]);
    return failure(403, [{ code: 9109, message: 'Invalid access token' }]);
  }

  notFound(_method: string, path: string): SimResponse {
    return fromFailure(noRoute(path));
  }

  faultBody(status: number): unknown {
    if (status === 429) return failure(429, [{ code: 971, message: MSG.throttle }]).body;
    if (status === 401 || status === 403) return failure(status, [{ code: 10000, message: 'Authentication error' }]).body;
    // No recorded code exists for injected 5xx replies; the HTTP status doubles as the code (inference).
    return failure(status, [{ code: status, message: `Simulated HTTP ${status}` }]).body;
  }

  rateLimit(token: string, now: number, ip: string): { reject?: SimResponse; headers?: Record<string, string> } {
    const perIp = this.#ipLimiter.check(ip, now);
    if (perIp) return { reject: perIp };
    return this.#limiter.check(token, now);
  }

  control(method: string, verb: string, body: unknown): SimResponse {
    const b = (body ?? {}) as Record<string, unknown>;
    if (verb === 'zones' && method === 'GET') return { status: 200, body: [...this.state.zones.values()] };
    if (verb === 'zones' && method === 'POST') {
      if (typeof b.name !== 'string' || !b.name) return { status: 400, body: { error: 'name is required' } };
      if (this.zoneByName(b.name)) return { status: 409, body: { error: `zone ${b.name} exists` } };
      if (b.plan !== undefined && b.plan !== 'free' && b.plan !== 'pro') return { status: 400, body: { error: 'plan must be free or pro' } };
      return { status: 201, body: this.addZone(b.name, b.plan) };
    }
    if (verb === 'rate-limit' && method === 'POST') {
      const limit = Number(b.limit);
      const windowMs = b.windowMs !== undefined ? Number(b.windowMs) : Number(b.windowSeconds) * 1000;
      if (!(limit > 0) || !(windowMs > 0)) return { status: 400, body: { error: 'limit and windowSeconds must be positive numbers' } };
      const blockMs = b.blockMs !== undefined ? Number(b.blockMs) : windowMs;
      this.setRateLimit(limit, windowMs, blockMs);
      return { status: 200, body: { limit, windowMs, blockMs } };
    }
    if (verb === 'ip-rate-limit' && method === 'POST') {
      // limit 0 lifts the per-IP cap (benchmarks that compare against a naive client).
      const limit = Number(b.limit);
      const windowMs = b.windowMs !== undefined ? Number(b.windowMs) : 1000;
      if (!(limit >= 0) || !(windowMs > 0)) return { status: 400, body: { error: 'limit must be >= 0 and windowMs positive' } };
      this.#ipLimiter.limit = limit;
      this.#ipLimiter.windowMs = windowMs;
      return { status: 200, body: { limit, windowMs } };
    }
    if (verb === 'consistency' && method === 'GET') return { status: 200, body: { ...this.#lag } };
    if (verb === 'consistency' && method === 'POST') {
      if (b.enabled === false) { this.setConsistency(false); return { status: 200, body: { ...this.#lag } }; }
      const next = { ...DEFAULT_CONSISTENCY, ...(b.enabled === true ? {} : this.#lag) } as Consistency;
      for (const k of ['listLagMs', 'deleteLagMs'] as const) {
        if (b[k] === undefined) continue;
        const v = Number(b[k]);
        if (!Number.isFinite(v) || v < 0) return { status: 400, body: { error: `${k} must be a non-negative number` } };
        next[k] = v;
      }
      this.setConsistency(next);
      return { status: 200, body: { ...this.#lag } };
    }
    return { status: 404, body: { error: `unknown cloudflare control verb ${method} ${verb}` } };
  }

  snapshot(): Snapshot {
    return {
      version: 1,
      seq: this.#seq,
      zones: [...this.state.zones.values()].map((z) => structuredClone(z)),
      records: Object.fromEntries([...this.state.records].map(([id, m]) => [id, [...m.values()].map((r) => structuredClone(r))])),
      rateLimit: this.#limiter.snapshot(this.#clock.now()),
    };
  }

  restore(raw: unknown): void {
    const s = raw as Partial<Snapshot> | undefined;
    if (!s || s.version !== 1 || !Array.isArray(s.zones)) throw new Error('cloudflare sim: unsupported snapshot');
    this.state.zones.clear();
    this.state.records.clear();
    for (const z of s.zones) {
      this.state.zones.set(z.id, structuredClone(z));
      this.state.records.set(z.id, new Map((s.records?.[z.id] ?? []).map((r) => [r.id, structuredClone(r)])));
    }
    this.#seq = s.seq ?? 0;
    if (s.rateLimit) this.#limiter.restore(s.rateLimit);
  }

  reset(): void {
    this.state.zones.clear();
    this.state.records.clear();
    this.#pending.clear();
    this.#ghosts.clear();
    this.#seq = 0;
    const rl = this.opts.rateLimit ?? DEFAULT_LIMIT;
    this.#limiter.configure(rl.limit, rl.windowMs, rl.blockMs);
    this.#ipLimiter.reset();
    this.#seedZones();
  }

  // --- Public helpers ---

  addZone(name: string, plan: ZonePlan = 'free', createdOn?: string): CfZone {
    const now = createdOn ?? cfTime(this.#clock.now());
    const zone: CfZone = {
      id: hexId('zone', this.#seq++),
      name: name.toLowerCase().replace(/\.$/, ''),
      status: 'active', paused: false, type: 'full', development_mode: 0,
      name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
      original_name_servers: null, original_registrar: null, original_dnshost: null,
      account: { id: hexId('account', 0), name: 'Simulated Account' },
      owner: { id: null, type: 'user', email: null },
      plan: {
        id: hexId(`plan-${plan}`, 0), name: plan === 'pro' ? 'Pro Website' : 'Free Website', price: plan === 'pro' ? 20 : 0,
        currency: 'USD', frequency: plan === 'pro' ? 'monthly' : '', is_subscribed: plan === 'pro', can_subscribe: false,
        legacy_id: plan, legacy_discount: false, externally_managed: false,
      },
      meta: { step: 2, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false },
      permissions: ['#dns_records:edit', '#dns_records:read', '#zone:read'],
      created_on: now, modified_on: now, activated_on: now,
    };
    this.state.zones.set(zone.id, zone);
    this.state.records.set(zone.id, new Map());
    return zone;
  }

  zoneByName(name: string): CfZone | undefined {
    const n = name.toLowerCase().replace(/\.$/, '');
    return [...this.state.zones.values()].find((z) => z.name === n);
  }

  createRecord(zoneId: string, body: Record<string, unknown>): CfRecord {
    const zone = this.state.zones.get(zoneId);
    if (!zone) throw noRoute(`${PREFIX}/zones/${zoneId}/dns_records`);
    return this.#create(zone, body);
  }

  setRateLimit(limit: number, windowMs: number, blockMs = windowMs): void {
    this.#limiter.configure(limit, windowMs, blockMs);
  }

  setConsistency(c: Consistency | false): void {
    this.#lag = c === false ? { listLagMs: 0, deleteLagMs: 0 } : { ...c };
    if (c === false) { this.#pending.clear(); this.#ghosts.clear(); }
  }

  // --- Handlers ---

  #route(method: string, template: string, fn: (r: SimRequest) => SimResponse): SimRoute {
    return {
      method, template,
      handler: (req) => {
        try { return fn(req); } catch (err) {
          if (err instanceof CfFailure) return fromFailure(err);
          throw err;
        }
      },
    };
  }

  #seedZones(): void {
    for (const z of this.opts.zones ?? []) {
      if (typeof z === 'string') this.addZone(z, 'free', SEEDED_ZONE_CREATED);
      else this.addZone(z.name, z.plan, z.createdOn ?? SEEDED_ZONE_CREATED);
    }
  }

  #now(): string {
    return cfTime(this.#clock.now());
  }

  #zone(req: SimRequest): CfZone {
    const zone = this.state.zones.get(req.params.zone_id ?? '');
    if (!zone) throw noRoute(PREFIX + req.path);
    return zone;
  }

  #recordsOf(zone: CfZone): Map<string, CfRecord> {
    let m = this.state.records.get(zone.id);
    if (!m) { m = new Map(); this.state.records.set(zone.id, m); }
    return m;
  }

  #record(req: SimRequest): CfRecord {
    const rec = this.#recordsOf(this.#zone(req)).get(req.params.dns_record_id ?? '');
    if (!rec) throw new CfFailure(404, [{ code: 81044, message: MSG.recordMissing }]);
    return rec;
  }

  #listZones(req: SimRequest): SimResponse {
    const { page, info } = paginate(filterZones([...this.state.zones.values()], req.query), req.query, { def: 20, min: 5, max: 50 });
    return ok(page, info);
  }

  #listRecords(req: SimRequest): SimResponse {
    const all = this.#lagged(this.#zone(req));
    // The schema allows per_page up to 5,000,000; the simulator caps it at 5000 like the older docs.
    const { page, info } = paginate(filterRecords(all, req.query), req.query, { def: 100, min: 5, max: 5000 });
    return ok(page, info);
  }

  #create(zone: CfZone, body: unknown, into = this.#recordsOf(zone)): CfRecord {
    const rec = buildRecord(zone, body, 'create', undefined, hexId('record', this.#seq), this.#now());
    const quota = recordQuota(zone);
    if (into.size >= quota) throw new CfFailure(400, [{ code: 81045, message: `${MSG.quota} The zone holds ${into.size} of ${quota} records.` }]);
    checkConflicts(rec, into.values());
    checkGhosts(rec, this.#liveGhosts(zone));
    this.#seq++;
    into.set(rec.id, rec);
    return rec;
  }

  // Creates over HTTP lag in lists; records seeded through createRecord() are long-standing and listed at once.
  #createLive(zone: CfZone, body: unknown): CfRecord {
    const rec = this.#create(zone, body);
    this.#wrote(zone, rec.id, undefined);
    return rec;
  }

  #update(req: SimRequest, mode: 'patch' | 'put'): CfRecord {
    const zone = this.#zone(req);
    const base = this.#record(req);
    const records = this.#recordsOf(zone);
    const rec = buildRecord(zone, req.body, mode, base, base.id, this.#now());
    checkConflicts(rec, records.values());
    records.set(rec.id, rec);
    this.#wrote(zone, rec.id, base);
    return rec;
  }

  #delete(req: SimRequest): { id: string } {
    const rec = this.#record(req);
    const zone = this.#zone(req);
    this.#recordsOf(zone).delete(rec.id);
    this.#wrote(zone, rec.id, rec);
    this.#ghost(zone, rec);
    return { id: rec.id };
  }

  // --- Read-after-write lag ---

  #wrote(zone: CfZone, id: string, prev: CfRecord | undefined): void {
    if (this.#lag.listLagMs <= 0) return;
    let log = this.#pending.get(zone.id);
    if (!log) this.#pending.set(zone.id, (log = []));
    const now = this.#clock.now();
    // Writes older than the lag are visible to every list: forget them, so a write-only stretch stays bounded.
    while (log.length && log[0]!.at <= now - this.#lag.listLagMs) log.shift();
    log.push({ at: now, id, prev });
  }

  #ghost(zone: CfZone, rec: CfRecord): void {
    if (this.#lag.deleteLagMs <= 0) return;
    let g = this.#ghosts.get(zone.id);
    if (!g) this.#ghosts.set(zone.id, (g = []));
    const now = this.#clock.now();
    while (g.length && g[0]!.until <= now) g.shift();
    g.push({ until: now + this.#lag.deleteLagMs, rec });
  }

  #liveGhosts(zone: CfZone): CfRecord[] {
    const now = this.#clock.now();
    const g = (this.#ghosts.get(zone.id) ?? []).filter((x) => x.until > now);
    if (g.length) this.#ghosts.set(zone.id, g); else this.#ghosts.delete(zone.id);
    return g.map((x) => x.rec);
  }

  /** lagged is the zone as a list shows it: writes younger than the list lag are undone, newest first. */
  #lagged(zone: CfZone): CfRecord[] {
    const live = this.#recordsOf(zone);
    const since = this.#clock.now() - this.#lag.listLagMs;
    const log = (this.#pending.get(zone.id) ?? []).filter((w) => w.at > since);
    if (log.length) this.#pending.set(zone.id, log); else this.#pending.delete(zone.id);
    if (!log.length) return [...live.values()];
    const view = new Map(live);
    for (let i = log.length - 1; i >= 0; i--) {
      const w = log[i]!;
      if (w.prev) view.set(w.id, w.prev); else view.delete(w.id);
    }
    return [...view.values()];
  }

  /** batch applies deletes → patches → puts → posts on a copy and commits only if every step succeeds. */
  #batch(zone: CfZone, body: unknown): Record<string, CfRecord[]> {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const work = new Map(this.#recordsOf(zone));
    const seq = this.#seq;
    const now = this.#now();
    const out: Record<string, CfRecord[]> = { deletes: [], patches: [], puts: [], posts: [] };
    try {
      for (const item of list(b.deletes)) {
        const rec = work.get(String(item.id));
        if (!rec) throw new CfFailure(404, [{ code: 81044, message: MSG.recordMissing }]);
        work.delete(rec.id);
        out.deletes!.push(rec);
      }
      for (const [key, mode] of [['patches', 'patch'], ['puts', 'put']] as const) {
        for (const item of list(b[key])) {
          const base = work.get(String(item.id));
          if (!base) throw new CfFailure(404, [{ code: 81044, message: MSG.recordMissing }]);
          const rec = buildRecord(zone, item, mode, base, base.id, now);
          checkConflicts(rec, work.values());
          work.set(rec.id, rec);
          out[key]!.push(rec);
        }
      }
      for (const item of list(b.posts)) out.posts!.push(this.#create(zone, item, work));
    } catch (err) {
      this.#seq = seq;
      throw err;
    }
    // Refill the live map in place so callers holding `state.records.get(id)` keep seeing current data.
    const live = this.#recordsOf(zone);
    const before = new Map(live);
    live.clear();
    for (const [id, rec] of work) live.set(id, rec);
    for (const id of new Set([...before.keys(), ...work.keys()])) if (before.get(id) !== work.get(id)) this.#wrote(zone, id, before.get(id));
    for (const rec of out.deletes!) this.#ghost(zone, rec);
    return out;
  }
}

function fromFailure(f: CfFailure): SimResponse {
  return failure(f.status, f.errors);
}

function list(v: unknown): Array<Record<string, unknown>> {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new CfFailure(400, [{ code: 9207, message: 'Request body is invalid.' }]);
  return v as Array<Record<string, unknown>>;
}
