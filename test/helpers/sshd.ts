// Test helper: runs a real OpenSSH sshd on 127.0.0.1 with a temp host key, stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { generateEd25519KeyPair, type KeyPair } from '../../src/host/keys.js';

export const SSHD_BIN = '/usr/sbin/sshd';

/** Why the host tests cannot run here, or undefined when sshd and ansible-playbook are both installed. */
export function hostToolsMissing(): string | undefined {
  const missing = [SSHD_BIN, 'ansible-playbook', 'ssh'].filter((b) => !(b.startsWith('/') ? existsSync(b) : onPath(b)));
  return missing.length ? `skipping: ${missing.join(', ')} not installed (apt-get install openssh-server openssh-client ansible-core)` : undefined;
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, bin)));
}

/** freePort asks the kernel for an unused loopback port by binding port 0 and closing. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestSshd {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Temp directory owned by this sshd (config, keys, pid file); tests may put their own files here. */
  readonly dir: string;
  /** Current host key; its public line is what callers pin. */
  readonly hostKey: KeyPair;
  /** Client key authorised to log in. */
  readonly clientKey: KeyPair;
  /** restart stops sshd and starts it again on the same port, optionally with a new host key. */
  restart(opts?: { hostKey?: KeyPair }): Promise<void>;
  stop(): Promise<void>;
}

/** startSshd launches sshd -D -e and resolves once it logs that it is listening (deadline-bound). */
export async function startSshd(opts: { port?: number; hostKey?: KeyPair; deadlineMs?: number } = {}): Promise<TestSshd> {
  // sshd refuses to start without its privilege-separation directory, which a fresh container lacks.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'livchat-sshd-'));
  const port = opts.port ?? (await freePort());
  const clientKey = generateEd25519KeyPair('livchat-test-client');
  await writeFile(join(dir, 'authorized_keys'), `${clientKey.publicKey}\n`, { mode: 0o600 });
  let hostKey = opts.hostKey ?? generateEd25519KeyPair('livchat-test-host');
  let child: ChildProcess | undefined;
  const deadlineMs = opts.deadlineMs ?? 10_000;

  const launch = async () => {
    const keyPath = join(dir, 'ssh_host_ed25519_key');
    await writeFile(keyPath, hostKey.privateKey, { mode: 0o600 });
    await chmod(keyPath, 0o600);
    const conf = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${keyPath}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'Subsystem sftp internal-sftp',
      'LogLevel INFO',
    ].join('\n');
    await writeFile(join(dir, 'sshd_config'), `${conf}\n`, { mode: 0o600 });
    child = await spawnUntilListening(join(dir, 'sshd_config'), port, deadlineMs);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    dir,
    get hostKey() { return hostKey; },
    clientKey,
    async restart(o = {}) {
      await stop();
      if (o.hostKey) hostKey = o.hostKey;
      await launch();
    },
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** spawnUntilListening resolves when sshd reports "Server listening", rejecting on exit or at the deadline. */
function spawnUntilListening(configPath: string, port: number, deadlineMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSHD_BIN, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    let listening = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sshd did not listen within ${deadlineMs} ms:\n${log}`)); }, deadlineMs);
    const onExit = (code: number | null) => { clearTimeout(timer); reject(new Error(`sshd exited (${code}) before listening:\n${log}`)); };
    child.once('exit', onExit);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      // Keep draining stderr after startup so sshd never blocks on a full pipe, but stop buffering it.
      if (listening) return;
      log += d;
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        listening = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(child);
      }
    });
  });
}
