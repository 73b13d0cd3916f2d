// Runs ansible-playbook as a child process against one pinned host, streaming output and parsing the PLAY RECAP.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalError } from '../engine/errors.js';
import { createWorkspace } from './ansible-workspace.js';

export interface RunPlaybookOptions {
  playbook: string;
  host: string;
  port?: number;
  user: string;
  /** OpenSSH private key; written to a 0600 temp file for the run only. */
  privateKey: string;
  /** The host key the server must present (OpenSSH public key line). */
  pinnedHostKey: string;
  extraVars?: Record<string, unknown>;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
  /** ansible-playbook executable; resolved on PATH by default. */
  ansiblePlaybookBin?: string;
  /** Parent directory for the run's temp files. */
  tmpRoot?: string;
  /** Adds -v flags (0–4). */
  verbosity?: number;
  /** Dry run (`--check`): reports what would change without changing it. */
  check?: boolean;
}

export interface PlaybookResult {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  skipped: number;
  /** ansible-playbook's exit code; -1 when it died from a signal. */
  exitCode: number;
  /** True when ssh refused the server's host key (it did not match the pinned one). */
  hostKeyMismatch: boolean;
  /** True when a PLAY RECAP line was seen; false usually means a parse or option error. */
  recap: boolean;
}

/** How long a SIGTERMed run may take to exit before its process group is SIGKILLed. */
const KILL_GRACE_MS = 5_000;

/** ansibleEnv drops inherited ANSIBLE_* settings so a run depends only on the config we generate. */
function ansibleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANSIBLE_')) env[k] = v;
  return { ...env, ANSIBLE_FORCE_COLOR: '0', ANSIBLE_NOCOLOR: '1', PYTHONUNBUFFERED: '1', ...extra };
}

/** keyRedactor returns a filter that hides any line carrying a fragment of the private key. */
function keyRedactor(privateKey: string): (line: string) => string {
  const fragments = privateKey.split('\n').map((l) => l.trim()).filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return (line) => (fragments.some((f) => line.includes(f)) ? '[redacted: line contained private key material]' : line);
}

/** parseRecap sums the `host : ok=N changed=N …` lines that follow PLAY RECAP. */
export function parseRecap(lines: string[]): Pick<PlaybookResult, 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped' | 'recap'> {
  const res = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0, recap: false };
  const start = lines.findIndex((l) => l.startsWith('PLAY RECAP'));
  if (start < 0) return res;
  res.recap = true;
  for (const line of lines.slice(start + 1)) {
    const m = /^\S+\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const [, key, n] of m[1]!.matchAll(/(\w+)=(\d+)/g)) {
      if (key === 'ok' || key === 'changed' || key === 'failed' || key === 'unreachable' || key === 'skipped') res[key] += Number(n);
    }
  }
  return res;
}

/** runProcess spawns argv without a shell in its own process group, streaming lines; abort kills the group by PID. */
function runProcess(
  argv: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  signal?: AbortSignal,
): Promise<number> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      // A negative PID addresses the child's process group, which includes the ssh processes it spawned.
      try { if (child.pid) process.kill(-child.pid, sig); } catch { /* already gone */ }
    };
    const onAbort = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const name of ['stdout', 'stderr'] as const) {
      let buf = '';
      const stream = child[name];
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i).replace(/\r$/, ''), name);
          buf = buf.slice(i + 1);
        }
      });
      stream.on('end', () => { if (buf) onLine(buf.replace(/\r$/, ''), name); buf = ''; });
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      // A missing binary needs an operator (apt-get install ansible-core); retrying cannot fix it.
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        return reject(new TerminalError('AnsibleNotInstalled', `cannot run ${argv[0]}: ${err.code}`, { cause: err }));
      }
      reject(err);
    });
    child.once('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (signal?.aborted) return reject(signal.reason);
      resolve(code ?? -1);
    });
  });
}

/**
 * runPlaybook applies a playbook to one host over ssh with strict host key checking against the pinned key.
 * The temp directory (key included) is removed when the run ends, fails or is aborted.
 */
export async function runPlaybook(opts: RunPlaybookOptions): Promise<PlaybookResult> {
  const ws = await createWorkspace({
    host: opts.host,
    port: opts.port ?? 22,
    user: opts.user,
    privateKey: opts.privateKey,
    pinnedHostKey: opts.pinnedHostKey,
    extraVars: opts.extraVars ?? {},
    ...(opts.tmpRoot ? { tmpRoot: opts.tmpRoot } : {}),
  });
  try {
    const redact = keyRedactor(opts.privateKey);
    const lines: string[] = [];
    let hostKeyMismatch = false;
    const onLine = (raw: string, stream: 'stdout' | 'stderr') => {
      const line = redact(raw);
      if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(line)) hostKeyMismatch = true;
      if (stream === 'stdout') lines.push(line);
      opts.onLine?.(line, stream);
    };
    const argv = [
      opts.ansiblePlaybookBin ?? 'ansible-playbook',
      '-i', ws.inventoryPath,
      '-e', `@${ws.extraVarsPath}`,
      ...(opts.verbosity ? [`-${'v'.repeat(Math.min(4, opts.verbosity))}`] : []),
      ...(opts.check ? ['--check'] : []),
      opts.playbook,
    ];
    const env = ansibleEnv({ ANSIBLE_CONFIG: ws.configPath, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_LOCAL_TEMP: join(ws.dir, 'local-tmp') });
    const exitCode = await runProcess(argv, env, onLine, opts.signal);
    return { ...parseRecap(lines), exitCode, hostKeyMismatch };
  } finally {
    await ws.dispose();
  }
}

export interface SyntaxCheckResult {
  ok: boolean;
  exitCode: number;
  output: string;
}

/** syntaxCheck runs `ansible-playbook --syntax-check` on a playbook without contacting any host. */
export async function syntaxCheck(playbook: string, opts: { ansiblePlaybookBin?: string; signal?: AbortSignal } = {}): Promise<SyntaxCheckResult> {
  const dir = await mkdtemp(join(tmpdir(), 'livchat-ansible-check-'));
  try {
    const out: string[] = [];
    const argv = [opts.ansiblePlaybookBin ?? 'ansible-playbook', '--syntax-check', '-i', 'localhost,', playbook];
    const env = ansibleEnv({ ANSIBLE_LOCAL_TEMP: dir, ANSIBLE_RETRY_FILES_ENABLED: 'False' });
    const exitCode = await runProcess(argv, env, (l) => out.push(l), opts.signal);
    return { ok: exitCode === 0, exitCode, output: out.join('\n') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
