// SSH to a server with a pinned host key (ssh2): connect, exec, wait for sshd and for cloud-init.
import ssh2 from 'ssh2';
import type { Client as SshClient, ConnectConfig } from 'ssh2';
import { RetryableError, TerminalError, WaitError } from '../engine/errors.js';
import type { Clock } from '../engine/clock.js';
import { parsePublicKeyLine, publicKeyFingerprintSha256, publicKeyFromBlob } from './keys.js';

export interface ConnectOptions {
  host: string;
  port?: number;
  username: string;
  /** OpenSSH private key used to log in. */
  privateKey: string;
  /** Pinned host key (OpenSSH public key line). */
  expectedHostKey?: string;
  /** Without a pin: the SHA256 fingerprint a person approved; any other key is refused before authentication. */
  approvedFingerprint?: string;
  signal?: AbortSignal;
  /** Handshake timeout; defaults to 20 s. */
  timeoutMs?: number;
}

/** SshConnection is an authenticated session; close it when done. */
export interface SshConnection {
  readonly client: SshClient;
  /** The host key the server presented, as an OpenSSH public key line (record it when connecting without a pin). */
  readonly hostKey: string;
  close(): void;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the remote process died from a signal. */
  signal?: string;
}

/** Output beyond this per stream is dropped so a chatty command cannot exhaust memory. */
const MAX_CAPTURE = 1 << 20;

/** Host key algorithms to request so the server presents the key type we pinned rather than another of its keys. */
function hostKeyAlgorithms(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

function fingerprintOfBlob(blob: Buffer): string {
  return publicKeyFingerprintSha256(publicKeyFromBlob(blob));
}

/** classifyConnectError maps a socket/handshake failure to a retryable error. */
function classifyConnectError(err: Error & { code?: string; level?: string }, target: string): RetryableError {
  if (err.level === 'client-authentication') {
    return new RetryableError('SshAuthFailed', `ssh ${target}: authentication failed`, { cause: err });
  }
  const code = err.code ?? (/timed out/i.test(err.message) ? 'ETIMEDOUT' : 'ESSH');
  return new RetryableError('SshUnreachable', `ssh ${target}: ${code}: ${err.message}`, { cause: err });
}

/**
 * connectPinned opens an SSH session, verifying the server's host key blob against the pinned key before any
 * authentication or command; a mismatch throws TerminalError `HostKeyMismatch`.
 */
export function connectPinned(opts: ConnectOptions): Promise<SshConnection> {
  const port = opts.port ?? 22;
  const target = `${opts.username}@${opts.host}:${port}`;
  const pinned = opts.expectedHostKey ? parsePublicKeyLine(opts.expectedHostKey) : undefined;
  if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let observed: Buffer | undefined;
    let mismatch = false;
    let settled = false;
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        client.end();
        client.destroy();
        return reject(err);
      }
      resolve({ client, hostKey: publicKeyFromBlob(observed!), close: () => client.end() });
    };
    const onAbort = () => finish(opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const config: ConnectConfig = {
      host: opts.host,
      port,
      username: opts.username,
      privateKey: opts.privateKey,
      readyTimeout: opts.timeoutMs ?? 20_000,
      // Only public-key auth: never fall back to an agent, password or keyboard-interactive prompt.
      authHandler: ['publickey'],
      hostVerifier: (key: Buffer) => {
        observed = Buffer.from(key);
        if (!pinned) {
          if (!opts.approvedFingerprint) return true;
          mismatch = fingerprintOfBlob(key) !== opts.approvedFingerprint;
          return !mismatch;
        }
        mismatch = !pinned.blob.equals(key);
        return !mismatch;
      },
    };
    if (pinned) config.algorithms = { serverHostKey: hostKeyAlgorithms(pinned.type) as never };

    client.once('ready', () => finish(undefined));
    client.on('error', (err: Error & { code?: string; level?: string }) => {
      if (mismatch && observed && !pinned) {
        return finish(new TerminalError('HostKeyNotApproved', `ssh ${target}: the server presents ${fingerprintOfBlob(observed)}, not the approved ${opts.approvedFingerprint}`, { cause: err }));
      }
      if (mismatch && observed) {
        const seen = publicKeyFromBlob(observed);
        return finish(new TerminalError(
          'HostKeyMismatch',
          `ssh ${target}: host key ${publicKeyFingerprintSha256(seen)} does not match pinned ${publicKeyFingerprintSha256(opts.expectedHostKey!)}`,
          { cause: err },
        ));
      }
      finish(classifyConnectError(err, target));
    });
    client.once('close', () => finish(new RetryableError('SshUnreachable', `ssh ${target}: connection closed during handshake`)));
    client.connect(config);
  });
}

/** exec runs one command and collects its exit code and output; abort closes the channel. */
export function exec(conn: SshConnection, cmd: string, opts: { signal?: AbortSignal } = {}): Promise<ExecResult> {
  if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
  return new Promise((resolve, reject) => {
    conn.client.exec(cmd, (err, stream) => {
      if (err) return reject(new RetryableError('SshExecFailed', `ssh exec: ${err.message}`, { cause: err }));
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let code = -1;
      let sig: string | undefined;
      const onAbort = () => { stream.close(); reject(opts.signal!.reason); };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (d: Buffer) => { if (outLen < MAX_CAPTURE) { out.push(d); outLen += d.length; } });
      stream.stderr.on('data', (d: Buffer) => { if (errLen < MAX_CAPTURE) { errOut.push(d); errLen += d.length; } });
      stream.on('exit', (c: number | null, s?: string) => { code = c ?? -1; sig = s ?? undefined; });
      stream.on('close', () => {
        opts.signal?.removeEventListener('abort', onAbort);
        const res: ExecResult = { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') };
        if (sig) res.signal = sig;
        resolve(res);
      });
    });
  });
}

export interface WaitOptions {
  clock: Clock;
  /** Absolute `clock.monotonic()` time after which waiting stops with WaitError (monotonic, so wall-clock steps do not move it). */
  deadlineMs: number;
  /** First retry delay; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * waitForSsh retries connectPinned through the injected clock while sshd is not up yet (refused, timeout, keys not
 * installed). A host key mismatch is terminal at once; when the deadline passes it throws WaitError `SshNotReady`.
 */
export async function waitForSsh(opts: ConnectOptions, wait: WaitOptions): Promise<SshConnection> {
  let delay = wait.initialDelayMs ?? 1_000;
  const maxDelay = wait.maxDelayMs ?? 15_000;
  for (;;) {
    try {
      return await connectPinned(opts);
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      const left = wait.deadlineMs - wait.clock.monotonic();
      if (left <= 0) {
        throw new WaitError('SshNotReady', `${err.message} (gave up waiting for sshd)`, maxDelay);
      }
      await wait.clock.sleep(Math.min(delay, left), opts.signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}

export type CloudInitState = 'absent' | 'done' | 'degraded';

/**
 * waitForCloudInit blocks until cloud-init finishes first boot (so apt and sshd are not mid-change when Ansible runs);
 * hosts without cloud-init return `absent`. A failed cloud-init is terminal: the image needs a human.
 */
export async function waitForCloudInit(conn: SshConnection, opts: { signal?: AbortSignal } = {}): Promise<CloudInitState> {
  const probe = await exec(conn, 'command -v cloud-init', opts);
  if (probe.code !== 0) return 'absent';
  const res = await exec(conn, 'cloud-init status --wait', opts);
  if (res.code === 0) return 'done';
  // Exit 2 is "finished with recoverable errors" (e.g. deprecated keys): the boot completed.
  if (res.code === 2) return 'degraded';
  const tail = `${res.stdout}${res.stderr}`.trim().split('\n').slice(-5).join(' | ');
  throw new TerminalError('CloudInitFailed', `cloud-init failed (exit ${res.code}): ${tail}`);
}
