// Test helper: spawns `livchat simulate` and `livchat run` as real child processes, reads their output, and stops them by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** The built CLI entrypoint (`livchat`). */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** ensureBuilt runs `npm run build` once when dist/ has no CLI yet (child-process tests need the built code). */
export function ensureBuilt(): void {
  if (existsSync(CLI)) return;
  const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' });
  if (res.status !== 0 || !existsSync(CLI)) throw new Error(`npm run build failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
}

/** waitFor polls fn until it returns something other than undefined/false, or throws once the deadline passes. */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, opts: { timeoutMs: number; intervalMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) { last = err; }
    if (Date.now() >= deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}

export interface ExitInfo { code: number | null; signal: NodeJS.Signals | null }

/** LivchatProcess is one running `livchat` child with its output split into lines. */
export interface LivchatProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  readonly running: boolean;
  /** waitLine resolves with the first stdout line (seen so far or later) matching re. */
  waitLine(re: RegExp, timeoutMs: number): Promise<string>;
  /** signal sends a signal to this PID; false when it has already exited. */
  signal(sig: NodeJS.Signals): boolean;
  /** stop sends sig (SIGTERM by default) and waits for exit; SIGKILL follows after graceMs. */
  stop(sig?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
}

/** Every process spawned here, so stopAll can clean up after a failed test. */
const spawned = new Set<LivchatProcess>();

/** spawnLivchat starts `node dist/src/cli/main.js ...args` with a minimal environment. */
export function spawnLivchat(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): LivchatProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    // A fixed, small environment: no inherited LIVCHAT_* or tokens, and HOME never points at a real ~/.livchat.
    env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-livchat-test-home' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('spawn failed: no PID');
  const pid = child.pid;
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  let done: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => { done = { code, signal }; resolve(done); });
  });
  const split = (stream: NodeJS.ReadableStream, into: string[], onLine?: (l: string) => void) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        into.push(line);
        onLine?.(line);
      }
    });
  };
  split(child.stdout!, stdout, (line) => {
    for (const w of [...waiters]) if (w.re.test(line)) { waiters.delete(w); w.resolve(line); }
  });
  split(child.stderr!, stderr);

  const proc: LivchatProcess = {
    pid, child, stdout, stderr, exited,
    get running() { return done === undefined; },
    waitLine(re, timeoutMs) {
      const seen = stdout.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { re, resolve: (l: string) => { clearTimeout(timer); resolve(l); } };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no stdout line matching ${re} within ${timeoutMs} ms (pid ${pid}); stdout:\n${stdout.slice(-20).join('\n')}\nstderr:\n${stderr.slice(-20).join('\n')}`));
        }, timeoutMs);
        waiters.add(w);
        void exited.then((e) => {
          if (!waiters.delete(w)) return;
          clearTimeout(timer);
          reject(new Error(`pid ${pid} exited (${e.code ?? e.signal}) before printing ${re}; stderr:\n${stderr.slice(-20).join('\n')}`));
        });
      });
    },
    signal(sig) {
      if (done) return false;
      try { process.kill(pid, sig); return true; } catch { return false; }
    },
    async stop(sig = 'SIGTERM', graceMs = 10_000) {
      if (done) return done;
      proc.signal(sig);
      const timer = setTimeout(() => proc.signal('SIGKILL'), graceMs);
      try { return await exited; } finally { clearTimeout(timer); }
    },
  };
  spawned.add(proc);
  void exited.then(() => spawned.delete(proc));
  return proc;
}

/** stopAll SIGKILLs (by PID) every helper-spawned process still running and waits for them to exit. */
export async function stopAll(): Promise<void> {
  await Promise.all([...spawned].map((p) => p.stop('SIGKILL')));
}

export interface SimCloudUrls { url: string; hetzner: string; cloudflare: string }

/** startSimulate runs `livchat simulate` on a free loopback port and returns it with the URLs it prints. */
export async function startSimulate(opts: { stateFile?: string; actionDurationMs?: number; timeoutMs?: number } = {}): Promise<{ proc: LivchatProcess; urls: SimCloudUrls }> {
  const args = ['simulate', '--listen', '127.0.0.1:0'];
  if (opts.stateFile) args.push('--state-file', opts.stateFile);
  if (opts.actionDurationMs !== undefined) args.push('--action-duration', String(opts.actionDurationMs));
  const proc = spawnLivchat(args);
  try {
    const line = await proc.waitLine(/^\{.*"url"/, opts.timeoutMs ?? 20_000);
    return { proc, urls: JSON.parse(line) as SimCloudUrls };
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
}

/** startDaemon spawns `livchat run --sim URL --listen 127.0.0.1:0 DIR` with JSON logs; it does not wait for anything. */
export function startDaemon(opts: { stateDir: string; simUrl: string; desiredDir: string; instance?: string; extraArgs?: string[] }): LivchatProcess {
  return spawnLivchat([
    '--state-dir', opts.stateDir, '--log-format', 'json',
    ...(opts.instance ? ['--instance', opts.instance] : []),
    'run', '--sim', opts.simUrl, '--listen', '127.0.0.1:0', ...(opts.extraArgs ?? []), opts.desiredDir,
  ]);
}

/** daemonHttpUrl waits for the daemon's "livchat daemon: … http http://…" line and returns that URL. */
export async function daemonHttpUrl(proc: LivchatProcess, timeoutMs = 20_000): Promise<string> {
  const line = await proc.waitLine(/^livchat daemon: .* http (http:\/\/\S+?)(,|$)/, timeoutMs);
  return /http (http:\/\/\S+?)(,|$)/.exec(line)![1]!;
}

/** getJson fetches a loopback URL and parses the JSON body, throwing on a non-2xx status. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}
