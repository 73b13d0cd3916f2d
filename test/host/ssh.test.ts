// Tests the pinned-host-key SSH layer against a real sshd on 127.0.0.1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { TerminalError, WaitError } from '../../src/engine/errors.js';
import { generateEd25519KeyPair, publicKeyFingerprintSha256, sameKey } from '../../src/host/keys.js';
import { connectPinned, exec, waitForCloudInit, waitForSsh, type SshConnection } from '../../src/host/ssh.js';
import { freePort, hostToolsMissing, startSshd, type TestSshd } from '../helpers/sshd.js';

const missing = hostToolsMissing();
if (missing) console.warn(`test/host/ssh.test.ts ${missing}`);

describe.skipIf(!!missing)('ssh with a pinned host key (real sshd)', () => {
  let sshd: TestSshd;
  beforeAll(async () => { sshd = await startSshd(); });
  afterAll(async () => { await sshd?.stop(); });

  const base = () => ({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: sshd.clientKey.privateKey, timeoutMs: 5_000 });

  it('connects with the pinned key and runs a command', async () => {
    const conn = await connectPinned({ ...base(), expectedHostKey: sshd.hostKey.publicKey });
    try {
      const res = await exec(conn, 'echo out; echo err >&2; exit 3');
      expect(res).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(sameKey(conn.hostKey, sshd.hostKey.publicKey)).toBe(true);
    } finally { conn.close(); }
  });

  it('without a pin, returns the observed host key (trust on first use)', async () => {
    const conn = await connectPinned(base());
    try {
      expect(publicKeyFingerprintSha256(conn.hostKey)).toBe(publicKeyFingerprintSha256(sshd.hostKey.publicKey));
    } finally { conn.close(); }
  });

  it('without a pin, accepts only the approved fingerprint, checked before authentication', async () => {
    const approved = publicKeyFingerprintSha256(sshd.hostKey.publicKey);
    const conn = await connectPinned({ ...base(), approvedFingerprint: approved });
    try {
      expect(sameKey(conn.hostKey, sshd.hostKey.publicKey)).toBe(true);
    } finally { conn.close(); }
    const other = publicKeyFingerprintSha256(generateEd25519KeyPair('x').publicKey);
    const err = await connectPinned({ ...base(), approvedFingerprint: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).reason).toBe('HostKeyNotApproved');
    expect((err as Error).message).toContain(approved);
  });

  it('refuses a different host key with HostKeyMismatch and runs nothing', async () => {
    const marker = join(sshd.dir, 'mismatch-marker');
    const other = generateEd25519KeyPair('someone-else');
    let conn: SshConnection | undefined;
    const err = await connectPinned({ ...base(), expectedHostKey: other.publicKey })
      .then(async (c) => { conn = c; await exec(c, `touch ${marker}`); return undefined; }, (e: unknown) => e);
    conn?.close();
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).reason).toBe('HostKeyMismatch');
    expect((err as TerminalError).message).toContain(publicKeyFingerprintSha256(sshd.hostKey.publicKey));
    expect(existsSync(marker)).toBe(false);
  });

  it('waitForCloudInit reports absent when the host has no cloud-init', async () => {
    const conn = await connectPinned({ ...base(), expectedHostKey: sshd.hostKey.publicKey });
    try {
      const probe = await exec(conn, 'command -v cloud-init');
      const state = await waitForCloudInit(conn);
      if (probe.code === 0) expect(['done', 'degraded']).toContain(state);
      else expect(state).toBe('absent');
    } finally { conn.close(); }
  });

  it('waitForSsh retries refused connections on the injected clock until sshd comes up', async () => {
    const port = await freePort();
    const clock = new ManualClock();
    const hostKey = generateEd25519KeyPair('late-host');
    let late: TestSshd | undefined;
    try {
      const waiting = waitForSsh(
        { host: '127.0.0.1', port, username: sshd.user, privateKey: sshd.clientKey.privateKey, expectedHostKey: hostKey.publicKey, timeoutMs: 5_000 },
        { clock, deadlineMs: clock.monotonic() + 60_000, initialDelayMs: 1_000 },
      );
      // The first attempt is refused, so a backoff timer appears on the manual clock.
      await vi.waitFor(() => expect(clock.pending).toBe(1), { timeout: 5_000, interval: 5 });
      late = await startSshd({ port, hostKey });
      // sshd.clientKey is not authorised on the late sshd; authorise it so the retry can log in.
      const { appendFile } = await import('node:fs/promises');
      await appendFile(join(late.dir, 'authorized_keys'), `${sshd.clientKey.publicKey}\n`);
      clock.advance(1_000);
      const conn = await waiting;
      try {
        expect((await exec(conn, 'echo ready')).stdout).toBe('ready\n');
      } finally { conn.close(); }
    } finally { await late?.stop(); }
  });

  it('waitForSsh gives up with WaitError once the deadline passes', async () => {
    const port = await freePort();
    const clock = new ManualClock();
    const waiting = waitForSsh(
      { host: '127.0.0.1', port, username: sshd.user, privateKey: sshd.clientKey.privateKey, expectedHostKey: sshd.hostKey.publicKey },
      { clock, deadlineMs: clock.monotonic() + 3_000, initialDelayMs: 1_000 },
    ).catch((e: unknown) => e);
    let settled = false;
    void waiting.then(() => { settled = true; });
    let rounds = 0;
    while (!settled) {
      // Each refused attempt parks one backoff timer; advance past it until the deadline is reached.
      await vi.waitFor(() => { if (!settled) expect(clock.pending).toBe(1); }, { timeout: 5_000, interval: 5 });
      if (!settled) { clock.advance(2_000); rounds++; }
    }
    const err = await waiting;
    expect(rounds).toBe(2);
    expect(clock.pending).toBe(0);
    expect(err).toBeInstanceOf(WaitError);
    expect((err as WaitError).reason).toBe('SshNotReady');
    expect((err as WaitError).message).toContain('ECONNREFUSED');
  });

  it('waitForSsh measures its deadline on the monotonic clock: a wall-clock step back does not extend it', async () => {
    const port = await freePort();
    const clock = new ManualClock();
    const waiting = waitForSsh(
      { host: '127.0.0.1', port, username: sshd.user, privateKey: sshd.clientKey.privateKey, expectedHostKey: sshd.hostKey.publicKey },
      { clock, deadlineMs: clock.monotonic() + 3_000, initialDelayMs: 1_000 },
    ).catch((e: unknown) => e);
    let settled = false;
    void waiting.then(() => { settled = true; });
    let rounds = 0;
    while (!settled) {
      await vi.waitFor(() => { if (!settled) expect(clock.pending).toBe(1); }, { timeout: 5_000, interval: 5 });
      // An NTP step back of one hour before every retry: a wall-clock deadline would keep waiting for an hour.
      if (!settled) { clock.stepWall(-3_600_000); clock.advance(2_000); rounds++; }
    }
    expect(rounds).toBe(2);
    expect(await waiting).toBeInstanceOf(WaitError);
  });

  it('waitForSsh stops at once on a host key mismatch', async () => {
    const clock = new ManualClock();
    const err = await waitForSsh(
      { ...base(), expectedHostKey: generateEd25519KeyPair('x').publicKey },
      { clock, deadlineMs: clock.monotonic() + 60_000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect(clock.pending).toBe(0);
  });
});
