// Composes SSH waiting, cloud-init waiting and the Ansible run into the "set up this server" port a Server controller calls.
import { dirname } from 'node:path';
import { realClock, type Clock } from '../engine/clock.js';
import { RetryableError, TerminalError } from '../engine/errors.js';
import { runPlaybook, type PlaybookResult } from './ansible.js';
import { publicKeyFingerprintSha256 } from './keys.js';
import { hashPlaybooks } from './playbook-hash.js';
import { waitForCloudInit, waitForSsh } from './ssh.js';
import type { InfrastructureInput } from './port.js';

/** SetupSpec is the `setup` block of a Server spec. */
export interface SetupSpec {
  timezone?: string;
  /** Swap file size such as "2G"; "0" disables swap. */
  swapSize?: string;
}

/** AnsibleRunInput is what one playbook run needs: address, credentials, pinned key and the roles' variables. */
export interface AnsibleRunInput {
  /** Public address of the server. */
  host: string;
  port?: number;
  /** Login user; Hetzner images use root. */
  user?: string;
  /** The daemon's OpenSSH private key. */
  privateKey: string;
  /** Pinned host key (OpenSSH public key line) generated before the server was created. */
  hostKey: string;
  hostname?: string;
  /** People's OpenSSH public keys to add (the daemon's key is kept). */
  authorizedKeys?: string[];
  setup?: SetupSpec;
  /** Shared overlay network name; the playbook default applies when absent. */
  network?: string;
  /** Traefik and Portainer (the infrastructure role runs only when this is set). */
  infrastructure?: InfrastructureInput;
}

export interface HostSetupResult {
  /** Hash of the playbook tree that was applied; store it to detect playbook changes later. */
  playbookHash: string;
}

/** HostSetup is the port a Server controller uses; tests substitute a fake. */
export interface HostSetup {
  setup(input: AnsibleRunInput, signal: AbortSignal, onLine: (line: string) => void): Promise<HostSetupResult>;
}

export interface AnsibleHostSetupOptions {
  /** Entry playbook, normally ansible/site.yml. */
  playbook: string;
  /** Tree hashed into playbookHash; defaults to the playbook's directory. */
  playbooksDir?: string;
  /** Shared (cached) playbook hash; by default the tree is hashed on every call. */
  hash?: () => Promise<string>;
  clock?: Clock;
  /** How long to wait for sshd to accept us, from the start of setup(). */
  sshWaitMs?: number;
  /** Handshake timeout of each SSH attempt. */
  connectTimeoutMs?: number;
  /** Variables added to every run (tests use this for the smoke playbook's temp dir). */
  extraVars?: Record<string, unknown>;
  ansiblePlaybookBin?: string;
  /** Parent directory for per-run temp files. */
  tmpRoot?: string;
}

/** setupVars maps a setup input onto the variables the roles read; unset fields keep the role defaults. */
export function setupVars(input: AnsibleRunInput): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  if (input.setup?.timezone) vars.livchat_timezone = input.setup.timezone;
  if (input.setup?.swapSize !== undefined) vars.livchat_swap_size = input.setup.swapSize;
  if (input.hostname) vars.livchat_hostname = input.hostname;
  if (input.authorizedKeys) vars.livchat_authorized_keys = input.authorizedKeys;
  if (input.network) vars.livchat_network = input.network;
  if (input.infrastructure) {
    const i = input.infrastructure;
    // The admin password travels as an extra var to one run only (never logged: the vault registered it for scrubbing).
    vars.livchat_infrastructure = { acme_email: i.acmeEmail, dns_name: i.dnsName, expose_portainer: i.exposePortainer, portainer_admin_password: i.adminPassword };
  }
  return vars;
}

/** classifyRun turns a finished playbook run into success or the typed error the engine retries or stalls on. */
export function classifyRun(res: PlaybookResult, lastFatal: string | undefined): void {
  if (res.hostKeyMismatch) {
    throw new TerminalError('HostKeyMismatch', 'ansible: ssh refused the host key (it does not match the pinned key)');
  }
  if (res.exitCode === 0 && res.failed === 0 && res.unreachable === 0) return;
  if (res.unreachable > 0) throw new RetryableError('HostUnreachable', `ansible: host unreachable${lastFatal ? `: ${lastFatal}` : ''}`);
  // No recap means ansible-playbook stopped before running (syntax, options): retrying cannot help.
  if (!res.recap) throw new TerminalError('PlaybookInvalid', `ansible-playbook exited ${res.exitCode} before running${lastFatal ? `: ${lastFatal}` : ''}`);
  throw new RetryableError('PlaybookFailed', `ansible: ${res.failed} task(s) failed (exit ${res.exitCode})${lastFatal ? `: ${lastFatal}` : ''}`);
}

/** AnsibleHostSetup waits for the pinned sshd and cloud-init, then applies the playbook. */
export class AnsibleHostSetup implements HostSetup {
  readonly #opts: AnsibleHostSetupOptions;
  readonly #clock: Clock;

  constructor(opts: AnsibleHostSetupOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
  }

  /** playbookHash hashes the playbook tree as it is now (what a setup would apply). */
  playbookHash(): Promise<string> {
    return this.#opts.hash ? this.#opts.hash() : hashPlaybooks(this.#opts.playbooksDir ?? dirname(this.#opts.playbook));
  }

  async setup(input: AnsibleRunInput, signal: AbortSignal, onLine: (line: string) => void): Promise<HostSetupResult> {
    const playbookHash = await this.playbookHash();
    const user = input.user ?? 'root';
    const port = input.port ?? 22;
    const conn = await waitForSsh(
      { host: input.host, port, username: user, privateKey: input.privateKey, expectedHostKey: input.hostKey, signal, timeoutMs: this.#opts.connectTimeoutMs ?? 20_000 },
      { clock: this.#clock, deadlineMs: this.#clock.monotonic() + (this.#opts.sshWaitMs ?? 10 * 60_000) },
    );
    try {
      onLine(`ssh: connected to ${user}@${input.host}:${port}, host key ${publicKeyFingerprintSha256(conn.hostKey)}`);
      const state = await waitForCloudInit(conn, { signal });
      onLine(`cloud-init: ${state}`);
    } finally {
      conn.close();
    }
    let lastFatal: string | undefined;
    const res = await runPlaybook({
      playbook: this.#opts.playbook,
      host: input.host,
      port,
      user,
      privateKey: input.privateKey,
      pinnedHostKey: input.hostKey,
      extraVars: { ...this.#opts.extraVars, ...setupVars(input) },
      signal,
      onLine: (line) => {
        if (/^(fatal|failed):/.test(line) || line.startsWith('ERROR!')) lastFatal = line.slice(0, 500);
        onLine(line);
      },
      ...(this.#opts.ansiblePlaybookBin ? { ansiblePlaybookBin: this.#opts.ansiblePlaybookBin } : {}),
      ...(this.#opts.tmpRoot ? { tmpRoot: this.#opts.tmpRoot } : {}),
    });
    classifyRun(res, lastFatal);
    onLine(`ansible: ok=${res.ok} changed=${res.changed} playbook ${playbookHash}`);
    return { playbookHash };
  }
}
