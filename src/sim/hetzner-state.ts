// Hetzner simulator state: records, ID counters, address pools, and the clock-driven action lifecycle.
import { findServerType } from './hetzner-catalog.js';

export type ServerStatus = 'initializing' | 'starting' | 'running' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';

export interface ServerRecord {
  id: number;
  name: string;
  status: ServerStatus;
  created: number;
  serverType: string;
  location: string;
  imageId: number;
  labels: Record<string, string>;
  protection: { delete: boolean; rebuild: boolean };
  ipv4: { id: number; ip: string } | null;
  ipv6: { id: number; ip: string } | null;
  sshKeys: number[];
  userData: string | null;
  primaryDiskSize: number;
  /** SSH port of a loopback endpoint handed out through the next-address control verb. */
  sshPort?: number;
  /** How this server's guest answers an ACPI shutdown; the project-wide default applies when absent. */
  acpi?: AcpiBehaviour;
}

/** AcpiBehaviour models the guest OS: it powers off `delayMs` after the shutdown request, or never when it ignores ACPI. */
export interface AcpiBehaviour { ignore: boolean; delayMs: number }

export interface SshKeyRecord {
  id: number;
  name: string;
  publicKey: string;
  fingerprint: string;
  labels: Record<string, string>;
  created: number;
}

export interface ActionError { code: string; message: string }

export interface ActionRecord {
  id: number;
  command: string;
  resources: Array<{ id: number; type: string }>;
  /** When the action was created (the API's `started`). */
  created: number;
  /** When it starts progressing; a chained action starts when its predecessor ends. */
  startAt: number;
  endAt: number;
  /** queued → active (begin effect applied) → done (finish effect applied). */
  phase: 'queued' | 'active' | 'done';
  status: 'running' | 'success' | 'error';
  finished: number | null;
  error: ActionError | null;
  after: number | null;
  /** A failure armed through the control API, applied when the action finishes. */
  failure: ActionError | null;
  prevStatus?: ServerStatus;
  params?: Record<string, unknown>;
}

interface Counters { server: number; sshKey: number; action: number; primaryIp: number; ipv6Net: number; ipv4Cursor: number }

interface Snapshot {
  servers: ServerRecord[];
  sshKeys: SshKeyRecord[];
  actions: ActionRecord[];
  seq: Counters;
  nextAddresses: Array<{ ipv4: string; sshPort: number }>;
  capacity: Array<{ location?: string; serverType?: string }>;
  armedFailures: Array<{ command: string; message: string }>;
  acpi?: AcpiBehaviour;
  guestPowerOffs?: GuestPowerOff[];
}

/** GuestPowerOff is a pending guest-initiated power off after an ACPI shutdown request. */
interface GuestPowerOff { serverId: number; at: number }

/** SimCtx is what route modules share: the state and the sim clock's current time. */
export interface SimCtx { readonly state: HetznerState; now(): number }

const FRESH: Counters = { server: 0, sshKey: 0, action: 0, primaryIp: 0, ipv6Net: 0, ipv4Cursor: 0 };

/** Status a server takes while an action runs; undefined keeps the current one. */
function beginStatus(command: string, current: ServerStatus): ServerStatus | undefined {
  switch (command) {
    case 'create_server': return 'initializing';
    case 'start_server': return current === 'running' ? undefined : 'starting';
    case 'stop_server': return current === 'off' ? undefined : 'stopping';
    case 'change_server_type': return 'migrating';
    case 'rebuild_server': return 'rebuilding';
    case 'delete_server': return 'deleting';
    default: return undefined;
  }
}

export class HetznerState {
  readonly servers = new Map<number, ServerRecord>();
  readonly sshKeys = new Map<number, SshKeyRecord>();
  readonly actions = new Map<number, ActionRecord>();
  seq: Counters = { ...FRESH };
  nextAddresses: Array<{ ipv4: string; sshPort: number }> = [];
  capacity: Array<{ location?: string; serverType?: string }> = [];
  armedFailures: Array<{ command: string; message: string }> = [];
  /** Guest answer to ACPI shutdown for servers without their own setting. */
  acpi: AcpiBehaviour;
  guestPowerOffs: GuestPowerOff[] = [];
  #active = new Set<number>();
  readonly #acpiDefault: AcpiBehaviour;

  constructor(public actionDurationMs: number, acpi: Partial<AcpiBehaviour> = {}) {
    this.#acpiDefault = { ignore: acpi.ignore ?? false, delayMs: acpi.delayMs ?? 0 };
    this.acpi = { ...this.#acpiDefault };
  }

  /** newAction records an action; `after` chains it behind another, `instant` completes it at once. */
  newAction(command: string, resource: { id: number; type: string }, now: number, opts: { after?: ActionRecord; params?: Record<string, unknown>; instant?: boolean } = {}): ActionRecord {
    const startAt = opts.after ? opts.after.endAt : now;
    const armed = this.armedFailures.findIndex((f) => f.command === command);
    const failure = armed >= 0 ? { code: 'action_failed', message: this.armedFailures.splice(armed, 1)[0]!.message } : null;
    const a: ActionRecord = {
      id: ++this.seq.action, command, resources: [resource], created: now, startAt,
      endAt: opts.instant ? startAt : startAt + this.actionDurationMs,
      phase: 'queued', status: 'running', finished: null, error: null, after: opts.after?.id ?? null, failure, params: opts.params,
    };
    this.actions.set(a.id, a);
    this.#active.add(a.id);
    this.settle(now);
    return a;
  }

  /** busy tells whether any action on the server has not finished yet. */
  busy(serverId: number): boolean {
    for (const id of this.#active) {
      const a = this.actions.get(id)!;
      if (a.resources.some((r) => r.type === 'server' && r.id === serverId)) return true;
    }
    return false;
  }

  /** failAction arms a failure on a running action; it shows when the action finishes. */
  failAction(id: number, message: string): boolean {
    const a = this.actions.get(id);
    if (!a || a.phase === 'done') return false;
    a.failure = { code: 'action_failed', message };
    return true;
  }

  /** progress is the 0..100 value shown for an action at `now`. */
  progress(a: ActionRecord, now: number): number {
    if (a.phase === 'done') return 100;
    if (now <= a.startAt || a.endAt <= a.startAt) return 0;
    return Math.min(99, Math.floor(((now - a.startAt) / (a.endAt - a.startAt)) * 100));
  }

  /** settle applies every begin/finish event due by `now`, in time order (finish before begin on ties). */
  settle(now: number): void {
    for (;;) {
      let next: { a: ActionRecord; t: number; finish: boolean } | undefined;
      for (const id of this.#active) {
        const a = this.actions.get(id)!;
        const ev = a.phase === 'queued' ? { a, t: a.startAt, finish: false } : { a, t: a.endAt, finish: true };
        if (ev.t > now) continue;
        if (!next || ev.t < next.t || (ev.t === next.t && ((ev.finish && !next.finish) || (ev.finish === next.finish && a.id < next.a.id)))) next = ev;
      }
      // A guest powering itself off is an event too; it goes first on ties with action events.
      const guest = this.guestPowerOffs.reduce<GuestPowerOff | undefined>((m, g) => (g.at <= now && (!m || g.at < m.at) ? g : m), undefined);
      if (guest && (!next || guest.at <= next.t)) { this.#guestOff(guest); continue; }
      if (!next) return;
      if (next.finish) this.#finish(next.a);
      else this.#begin(next.a);
    }
  }

  /** acpiOf is the guest behaviour of one server. */
  acpiOf(s: ServerRecord): AcpiBehaviour {
    return s.acpi ?? this.acpi;
  }

  #guestOff(g: GuestPowerOff): void {
    this.guestPowerOffs = this.guestPowerOffs.filter((x) => x !== g);
    const s = this.servers.get(g.serverId);
    if (s && s.status === 'running') s.status = 'off';
  }

  #server(a: ActionRecord): ServerRecord | undefined {
    const r = a.resources.find((x) => x.type === 'server');
    return r ? this.servers.get(r.id) : undefined;
  }

  #begin(a: ActionRecord): void {
    a.phase = 'active';
    const s = this.#server(a);
    if (!s) return;
    // Any other power or type action overrides a guest shutdown still in progress.
    if (a.command !== 'change_protection') this.guestPowerOffs = this.guestPowerOffs.filter((g) => g.serverId !== s.id);
    a.prevStatus = s.status;
    s.status = beginStatus(a.command, s.status) ?? s.status;
  }

  #finish(a: ActionRecord): void {
    a.phase = 'done';
    this.#active.delete(a.id);
    a.finished = a.endAt;
    a.status = a.failure ? 'error' : 'success';
    a.error = a.failure;
    const s = this.#server(a);
    if (a.failure) {
      // Work queued behind a failed action fails right away too.
      for (const id of this.#active) {
        const b = this.actions.get(id)!;
        if (b.after === a.id) { b.failure = { code: 'action_failed', message: `${a.command} failed` }; b.startAt = b.endAt = a.endAt; }
      }
      if (s) s.status = a.command === 'create_server' || a.command === 'start_server' ? 'off' : (a.prevStatus ?? s.status);
      return;
    }
    if (!s) return;
    switch (a.command) {
      case 'create_server': case 'stop_server': s.status = 'off'; break;
      case 'shutdown_server': {
        // The action only says the ACPI request was sent; the guest decides whether and when it powers off.
        const acpi = this.acpiOf(s);
        if (!acpi.ignore && s.status === 'running') this.guestPowerOffs.push({ serverId: s.id, at: a.endAt + acpi.delayMs });
        break;
      }
      case 'start_server': case 'reboot_server': case 'reset_server': s.status = 'running'; break;
      case 'change_server_type': {
        const t = findServerType(a.params?.serverType);
        if (t) { s.serverType = t.name; if (a.params?.upgradeDisk === true) s.primaryDiskSize = t.disk; }
        s.status = 'off';
        break;
      }
      case 'rebuild_server': s.imageId = Number(a.params?.imageId ?? s.imageId); s.status = 'running'; break;
      case 'delete_server': this.servers.delete(s.id); break;
      default: break;
    }
  }

  /** allocIpv4 hands out a 203.0.113.0/24 address that no live server holds. */
  allocIpv4(): string | undefined {
    const live = new Set([...this.servers.values()].map((s) => s.ipv4?.ip));
    for (let i = 0; i < 254; i++) {
      const host = (this.seq.ipv4Cursor % 254) + 1;
      this.seq.ipv4Cursor++;
      const ip = `203.0.113.${host}`;
      if (!live.has(ip)) return ip;
    }
    return undefined;
  }

  /** allocIpv6 hands out a fresh /64 in 2001:db8::/32; networks are never reused. */
  allocIpv6(): string {
    const n = ++this.seq.ipv6Net;
    return `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::/64`;
  }

  nextPrimaryIpId(): number { return ++this.seq.primaryIp; }

  snapshot(): Snapshot {
    return structuredClone({
      servers: [...this.servers.values()], sshKeys: [...this.sshKeys.values()], actions: [...this.actions.values()],
      seq: this.seq, nextAddresses: this.nextAddresses, capacity: this.capacity, armedFailures: this.armedFailures,
      acpi: this.acpi, guestPowerOffs: this.guestPowerOffs,
    });
  }

  restore(raw: unknown): void {
    const s = structuredClone(raw) as Partial<Snapshot>;
    this.reset();
    for (const x of s.servers ?? []) this.servers.set(x.id, x);
    for (const x of s.sshKeys ?? []) this.sshKeys.set(x.id, x);
    for (const x of s.actions ?? []) { this.actions.set(x.id, x); if (x.phase !== 'done') this.#active.add(x.id); }
    this.seq = { ...FRESH, ...s.seq };
    this.nextAddresses = s.nextAddresses ?? [];
    this.capacity = s.capacity ?? [];
    this.armedFailures = s.armedFailures ?? [];
    this.acpi = { ...this.#acpiDefault, ...s.acpi };
    this.guestPowerOffs = s.guestPowerOffs ?? [];
  }

  reset(): void {
    this.servers.clear();
    this.sshKeys.clear();
    this.actions.clear();
    this.#active.clear();
    this.seq = { ...FRESH };
    this.nextAddresses = [];
    this.capacity = [];
    this.armedFailures = [];
    this.acpi = { ...this.#acpiDefault };
    this.guestPowerOffs = [];
  }
}
