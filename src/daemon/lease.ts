// The instance lease: a heartbeat label on a marker SSH key in the Hetzner project, so two state dirs never run one instance name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../engine/clock.js';
import { TerminalError, hasCode } from '../engine/errors.js';
import type { SshKey } from '../providers/hetzner-types.js';
import { generateEd25519KeyPair } from '../host/keys.js';
import { writeFileAtomic } from '../store/atomic.js';

export const LEASE_HOLDER_LABEL = 'livchat.ai/lease-holder';
export const LEASE_RENEWED_LABEL = 'livchat.ai/lease-renewed';
/** Refresh every 5 minutes: one read and one write per interval. */
export const LEASE_INTERVAL_MS = 300_000;
/** A heartbeat older than three intervals belongs to an installation that is gone. */
export const LEASE_TTL_MS = 3 * LEASE_INTERVAL_MS;

/** LeasePort is the slice of the Hetzner client the lease needs. */
export interface LeasePort {
  listSshKeys(filter: { name?: string }): Promise<SshKey[]>;
  createSshKey(req: { name: string; public_key: string; labels?: Record<string, string> }): Promise<SshKey>;
  updateSshKey(id: number, patch: { labels?: Record<string, string> }): Promise<SshKey>;
}

/** LeaseConflictError: another installation (another state dir) holds the instance name. */
export class LeaseConflictError extends Error {
  override readonly name = 'LeaseConflictError';
}

export interface LeaseOptions {
  port: LeasePort;
  instance: string;
  /** This installation's id, stable per state dir (see holderId); a function is called on first use only. */
  holder: string | (() => string);
  clock: Clock;
  intervalMs?: number;
  ttlMs?: number;
}

/** leaseKeyName is the marker key's name; it carries no usable credential (its private half is never kept). */
export const leaseKeyName = (instance: string): string => `livchat-${instance}-lease`;

/** holderId returns this state dir's installation id, created once. */
export function holderId(stateDir: string): string {
  const file = join(stateDir, 'lease-holder');
  if (existsSync(file)) {
    const v = readFileSync(file, 'utf8').trim();
    if (/^[a-f0-9]{16}$/.test(v)) return v;
  }
  const id = randomBytes(8).toString('hex');
  writeFileAtomic(file, `${id}\n`, 0o600);
  return id;
}

/** InstanceLease claims the instance name at start and keeps claiming it; losing it to another holder is reported. */
export class InstanceLease {
  readonly #o: LeaseOptions;
  #keyId: number | undefined;
  #timer: (() => void) | undefined;
  #stopped = false;

  #holder: string | undefined;

  constructor(opts: LeaseOptions) { this.#o = opts; }

  // plan builds a runtime too but never takes the lease: the id file is created only when it is needed.
  get #me(): string { return (this.#holder ??= typeof this.#o.holder === 'string' ? this.#o.holder : this.#o.holder()); }

  /** acquire takes or renews the lease; throws LeaseConflictError while another installation's heartbeat is fresh. */
  async acquire(): Promise<void> {
    const key = await this.#read();
    if (key) this.#check(key, 'start');
    await this.#write(key);
  }

  /** check only reads: it throws LeaseConflictError while another installation's heartbeat is fresh (apply uses it). */
  async check(): Promise<void> {
    const key = await this.#read();
    if (key) this.#check(key, 'start');
  }

  /** start refreshes the lease every interval; onLost is called once if another installation took it over. */
  start(onLost: (err: Error) => void, onError?: (err: Error) => void): void {
    const tick = async (): Promise<void> => {
      this.#timer = undefined;
      if (this.#stopped) return;
      try {
        const key = await this.#read();
        if (key) this.#check(key, 'refresh');
        await this.#write(key);
      } catch (err) {
        if (err instanceof LeaseConflictError) { this.#stopped = true; onLost(err); return; }
        // A provider outage must not stop the daemon: the next refresh tries again. No token at all (DNS only) is quiet.
        if (!(err instanceof TerminalError && err.reason === 'CredentialsMissing')) onError?.(err as Error);
      }
      if (!this.#stopped) this.#timer = this.#o.clock.setTimer(() => { void tick(); }, this.#interval);
    };
    this.#timer = this.#o.clock.setTimer(() => { void tick(); }, this.#interval);
  }

  /** release stops refreshing and, if the lease is still ours, marks it free so another installation need not wait. */
  async release(): Promise<void> {
    this.#stopped = true;
    this.#timer?.();
    this.#timer = undefined;
    if (this.#keyId === undefined) return;
    const key = await this.#read();
    if (key && key.labels[LEASE_HOLDER_LABEL] === this.#me) {
      await this.#o.port.updateSshKey(key.id, { labels: { ...key.labels, [LEASE_RENEWED_LABEL]: '0' } });
    }
  }

  get #interval(): number { return this.#o.intervalMs ?? LEASE_INTERVAL_MS; }

  async #read(): Promise<SshKey | undefined> {
    const [key] = await this.#o.port.listSshKeys({ name: leaseKeyName(this.#o.instance) });
    if (key && key.labels['managed-by'] !== 'livchat') {
      throw new TerminalError('LeaseKeyNotOurs', `the Hetzner SSH key ${key.name} exists but is not managed by livchat; rename or delete it`);
    }
    return key;
  }

  #check(key: SshKey, when: 'start' | 'refresh'): void {
    const other = key.labels[LEASE_HOLDER_LABEL];
    if (!other || other === this.#me) return;
    const renewedMs = Number(key.labels[LEASE_RENEWED_LABEL] ?? '0') * 1000;
    const ageMs = this.#o.clock.now() - renewedMs;
    const ttl = this.#o.ttlMs ?? LEASE_TTL_MS;
    // Wall time on both sides: the heartbeat is a persisted mark shared between machines.
    if (renewedMs > 0 && ageMs < ttl) {
      const until = new Date(renewedMs + ttl).toISOString();
      throw new LeaseConflictError(when === 'start'
        ? `instance "${this.#o.instance}" is in use by another installation (another state dir, holder ${other}, heartbeat ${new Date(renewedMs).toISOString()}): two installations with one name would fight over every resource. Use another --instance, or stop the other one; a stopped one frees it at once, a vanished one at ${until}`
        : `instance "${this.#o.instance}" was taken over by another installation (holder ${other}); this one stops acting`);
    }
  }

  async #write(key: SshKey | undefined): Promise<void> {
    const labels = {
      ...(key?.labels ?? {}),
      'managed-by': 'livchat', 'livchat.ai/instance': this.#o.instance,
      [LEASE_HOLDER_LABEL]: this.#me, [LEASE_RENEWED_LABEL]: String(Math.floor(this.#o.clock.now() / 1000)),
    };
    if (key) {
      this.#keyId = (await this.#o.port.updateSshKey(key.id, { labels })).id;
      return;
    }
    try {
      // The key only marks the lease: its private half is discarded here, so it grants no access anywhere.
      const { publicKey } = generateEd25519KeyPair(leaseKeyName(this.#o.instance));
      this.#keyId = (await this.#o.port.createSshKey({ name: leaseKeyName(this.#o.instance), public_key: publicKey, labels })).id;
    } catch (err) {
      if (!hasCode(err, 'Conflict')) throw err;
      // Two installations started at the same moment: whoever created it first holds it.
      const again = await this.#read();
      if (!again) throw err;
      this.#check(again, 'start');
      this.#keyId = (await this.#o.port.updateSshKey(again.id, { labels: { ...again.labels, ...labels } })).id;
    }
  }
}
