// Resync benchmark: what one forced full resync of a converged world costs, beside a naive per-object GET loop.
//
// World: N DNSRecords spread over Z zones plus M Servers (N = 1,000 and 5,000, Z = 2, M = 3 unless BENCH_RESYNC_N,
// BENCH_RESYNC_ZONES, BENCH_RESYNC_SERVERS say otherwise), served by `livchat simulate` in a child process so that
// this process's CPU time is the daemon's alone. Rate limits are lifted on both sides (simulator and client budget).
//
// 1. Converge (not measured): a runtime with wide queues creates everything; a second, default-configured runtime on
//    the same state directory then does its first pass, so caches are warm as in a long-running daemon.
// 2. Measure one full resync: manager.resyncAll(), then manager.idle(). Requests are the difference of the
//    simulator's GET /_sim/requests before and after; CPU is process.cpuUsage() over the same span, per object.
//    fsyncs and renames are counted by a shim over node:fs installed in this process only (fsync and fdatasync in
//    sync, callback and FileHandle form, writeFileSync with flush: true; renameSync, rename, promises.rename), pushed
//    into every ESM importer with module.syncBuiltinESMExports(). As a cross-check, status files whose mtime or inode
//    changed are counted too.
// 3. Naive loop: GET /zones/{zone}/dns_records/{id} per record and GET /servers/{id} per server over loopback fetch,
//    with as many in flight as the manager runs workers by default, against the same simulator.
import fs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, type Runtime } from '../src/daemon/compose.js';
import { verdict } from '../src/engine/convergence.js';
import { DEFAULT_SETTINGS } from '../src/engine/manager.js';

const SIZES = (process.env.BENCH_RESYNC_N ?? '1000,5000').split(',').map((s) => Number(s.trim()));
const ZONES = Number(process.env.BENCH_RESYNC_ZONES ?? 2);
const SERVERS = Number(process.env.BENCH_RESYNC_SERVERS ?? 3);
const CONVERGE_TIMEOUT_MS = Number(process.env.BENCH_RESYNC_TIMEOUT_S ?? 1800) * 1000;
const NAIVE_CONCURRENCY = Number(process.env.BENCH_RESYNC_NAIVE_CONCURRENCY ?? DEFAULT_SETTINGS.concurrency * 2);
const TOKEN = 'livchat-bench-token';
const UNLIMITED = { LIVCHAT_CLOUDFLARE_RATE_LIMIT: '1000000000/1', LIVCHAT_HETZNER_RATE_LIMIT: '1000000000/1' };
const zoneName = (z: number): string => `bench${z}.example.com`;

/** fsCounts is what the shim below has seen since the last reset. */
const fsCounts = { fsync: 0, rename: 0 };

/** installFsCounters wraps the node:fs calls that make a write durable or atomic, for this process only. */
async function installFsCounters(): Promise<void> {
  const f = fs as unknown as Record<string, (...a: unknown[]) => unknown>;
  const wrap = (name: string, counter: keyof typeof fsCounts, when: (args: unknown[]) => boolean = () => true): void => {
    const orig = f[name];
    if (typeof orig !== 'function') return;
    f[name] = function counted(this: unknown, ...args: unknown[]) {
      if (when(args)) fsCounts[counter]++;
      return orig.apply(this, args);
    };
  };
  for (const name of ['fsyncSync', 'fdatasyncSync', 'fsync', 'fdatasync']) wrap(name, 'fsync');
  for (const name of ['renameSync', 'rename']) wrap(name, 'rename');
  const flushed = (args: unknown[]): boolean => typeof args[2] === 'object' && args[2] !== null && (args[2] as { flush?: boolean }).flush === true;
  wrap('writeFileSync', 'fsync', flushed);
  const p = fs.promises as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const rename = p.rename!;
  p.rename = (...args: unknown[]) => { fsCounts.rename++; return rename.apply(fs.promises, args); };
  // FileHandle.sync()/datasync() are methods of a class node:fs does not export; reach it through one handle.
  const probe = join(tmpdir(), `livchat-bench-probe-${process.pid}`);
  const fd = fs.openSync(probe, 'w');
  fs.closeSync(fd);
  const handle = await fs.promises.open(probe, 'r');
  const proto = Object.getPrototypeOf(handle) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  await handle.close();
  fs.unlinkSync(probe);
  for (const name of ['sync', 'datasync']) {
    const orig = proto[name];
    if (typeof orig === 'function') proto[name] = function counted(this: unknown, ...args: unknown[]) { fsCounts.fsync++; return orig.apply(this, args); };
  }
  syncBuiltinESMExports();
}

/** startSimulator runs `livchat simulate` from dist/ in a child process and returns its URL. */
async function startSimulator(): Promise<{ child: ChildProcess; url: string }> {
  const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'simulate', '--listen', '127.0.0.1:0', '--action-duration', '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`livchat simulate exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  child.removeAllListeners('exit');
  await simControl(url, 'POST', '/_sim/cloudflare/rate-limit', { limit: 1_000_000_000, windowMs: 1000 });
  // The naive loop is measured on loopback like the daemon: no per-IP cap for either.
  await simControl(url, 'POST', '/_sim/cloudflare/ip-rate-limit', { limit: 0 });
  // Paid-plan zones hold 3,500 records each (a free zone stops at 1,000 with 81045).
  for (let z = 0; z < ZONES; z++) await simControl(url, 'POST', '/_sim/cloudflare/zones', { name: zoneName(z), plan: 'pro' });
  return { child, url };
}

/** stopSimulator ends the child started above, by its PID, and waits for it. */
async function stopSimulator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid!, 'SIGTERM');
  await done;
}

async function simControl(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
  return res.status === 204 ? undefined : res.json();
}

type Counts = { total: number; byRoute: Record<string, number> };
const requestsNow = (url: string): Promise<Counts> => simControl(url, 'GET', '/_sim/requests');

/** delta subtracts two /_sim/requests snapshots. */
function delta(after: Counts, before: Counts): Counts {
  const byRoute: Record<string, number> = {};
  for (const [r, n] of Object.entries(after.byRoute)) if (n - (before.byRoute[r] ?? 0) > 0) byRoute[r] = n - (before.byRoute[r] ?? 0);
  return { total: after.total - before.total, byRoute };
}

function writeDesired(dir: string, records: number): void {
  for (let i = 0; i < records; i++) {
    writeFileSync(join(dir, `r${i}.yaml`), [
      'apiVersion: livchat.ai/v1alpha1', 'kind: DNSRecord', 'metadata:', `  name: r${i}`, 'spec:',
      `  zone: ${zoneName(i % ZONES)}`, `  name: host-${i}`, '  type: A', `  content: 203.0.113.${(i % 250) + 1}`, '  ttl: 300', '',
    ].join('\n'));
  }
  for (let i = 0; i < SERVERS; i++) {
    writeFileSync(join(dir, `s${i}.yaml`), [
      'apiVersion: livchat.ai/v1alpha1', 'kind: Server', 'metadata:', `  name: s${i}`, 'spec:',
      '  location: nbg1', '  serverType: cx23', '  image: ubuntu-24.04', '',
    ].join('\n'));
  }
}

/** converged waits until every desired object is Ready and Synced at its generation (polling; a benchmark, not a test). */
async function converged(rt: Runtime, label: string): Promise<void> {
  const deadline = performance.now() + CONVERGE_TIMEOUT_MS;
  const keys = rt.manager.index.list().map((o) => o.key).filter((k) => rt.manager.handles(k));
  for (;;) {
    const pending = keys.filter((k) => verdict(rt.store.get(k), true) !== 'done');
    if (pending.length === 0) break;
    if (performance.now() > deadline) throw new Error(`${label}: ${pending.length} objects did not converge, e.g. ${pending.slice(0, 3).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await rt.manager.idle();
}

function runtime(desired: string, stateDir: string, url: string, wide: boolean): Promise<Runtime> {
  return createRuntime({
    dir: desired, stateDir, instance: 'bench', cloud: { mode: 'sim', url }, logLevel: 'silent',
    env: { HOME: stateDir, LIVCHAT_SIM_TOKEN: TOKEN, ...UNLIMITED },
    ...(wide ? { settings: { DNSRecord: { concurrency: 16 }, Server: { concurrency: SERVERS } } } : {}),
  });
}

/** statusFiles maps every status file to its mtime and inode, to see which ones a resync rewrote. */
function statusFiles(stateDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const root = join(stateDir, 'objects');
  for (const kind of readdirSync(root)) {
    for (const f of readdirSync(join(root, kind))) {
      const st = statSync(join(root, kind, f));
      out.set(`${kind}/${f}`, `${st.mtimeMs}:${st.ino}`);
    }
  }
  return out;
}

/** naiveLoop GETs every record and server one by one, NAIVE_CONCURRENCY at a time. */
async function naiveLoop(url: string): Promise<{ requests: number; wallMs: number; failures: number }> {
  const state = await simControl(url, 'GET', '/_sim/state');
  const paths: string[] = [];
  for (const [zoneId, recs] of Object.entries(state.cloudflare.records as Record<string, Array<{ id: string }>>)) {
    for (const r of recs) paths.push(`/client/v4/zones/${zoneId}/dns_records/${r.id}`);
  }
  for (const s of state.hetzner.state.servers as Array<{ id: number }>) paths.push(`/v1/servers/${s.id}`);
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await res.arrayBuffer();
      if (!res.ok) failures++;
    }
  };
  await Promise.all(Array.from({ length: NAIVE_CONCURRENCY }, worker));
  return { requests: paths.length, wallMs: performance.now() - t0, failures };
}

interface Run {
  records: number;
  objects: number;
  resync: { requests: number; writes: number; byRoute: Record<string, number>; wallMs: number; cpuUsPerObject: number; fsyncs: number; renames: number; statusFilesRewritten: number };
  naive: { requests: number; wallMs: number; failures: number };
  ratio: { requests: number; wallMs: number };
}

async function measure(records: number): Promise<Run> {
  const work = mkdtempSync(join(tmpdir(), 'livchat-bench-resync-'));
  const desired = join(work, 'desired');
  const stateDir = join(work, 'state');
  mkdirSync(desired);
  writeDesired(desired, records);
  const { child, url } = await startSimulator();
  try {
    const create = await runtime(desired, stateDir, url, true);
    create.manager.start();
    await converged(create, `create ${records}`);
    await create.manager.stop();
    await create.close();

    const rt = await runtime(desired, stateDir, url, false);
    rt.manager.start();
    await converged(rt, `first pass ${records}`);

    const files = statusFiles(stateDir);
    const before = await requestsNow(url);
    fsCounts.fsync = 0;
    fsCounts.rename = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    rt.manager.resyncAll();
    await rt.manager.idle();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const { fsync, rename } = fsCounts;
    const req = delta(await requestsNow(url), before);
    const after = statusFiles(stateDir);
    const rewritten = [...after].filter(([f, sig]) => files.get(f) !== sig).length;
    await rt.manager.stop();
    await rt.close();

    const naive = await naiveLoop(url);
    const objects = records + SERVERS;
    const writes = Object.entries(req.byRoute).filter(([r]) => !r.startsWith('GET ')).reduce((n, [, c]) => n + c, 0);
    return {
      records, objects,
      resync: { requests: req.total, writes, byRoute: req.byRoute, wallMs, cpuUsPerObject: (cpu.user + cpu.system) / objects, fsyncs: fsync, renames: rename, statusFilesRewritten: rewritten },
      naive,
      ratio: { requests: naive.requests / Math.max(1, req.total), wallMs: naive.wallMs / wallMs },
    };
  } finally {
    await stopSimulator(child);
    rmSync(work, { recursive: true, force: true });
  }
}

function table(runs: Run[]): string {
  const rows = [
    ['records', 'objects', 'resync req', 'writes', 'wall ms', 'CPU µs/obj', 'fsyncs', 'renames', 'files rewritten', 'naive req', 'naive ms', 'naive/resync req', 'naive/resync wall'],
    ...runs.map((r) => [
      r.records, r.objects, r.resync.requests, r.resync.writes, r.resync.wallMs.toFixed(0), r.resync.cpuUsPerObject.toFixed(0), r.resync.fsyncs, r.resync.renames,
      r.resync.statusFilesRewritten, r.naive.requests, r.naive.wallMs.toFixed(0), `${r.ratio.requests.toFixed(0)}×`, `${r.ratio.wallMs.toFixed(2)}×`,
    ].map(String)),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');
}

await installFsCounters();
const runs: Run[] = [];
for (const n of SIZES) runs.push(await measure(n));
console.log(`resync of a converged world: Z=${ZONES} zones, M=${SERVERS} servers; naive loop with ${NAIVE_CONCURRENCY} requests in flight`);
console.log(table(runs));
for (const r of runs) console.log(`  N=${r.records} resync requests: ${Object.entries(r.resync.byRoute).map(([k, v]) => `${v} × ${k}`).join(', ')}`);
console.log(JSON.stringify({ zones: ZONES, servers: SERVERS, naiveConcurrency: NAIVE_CONCURRENCY, runs }));
if (runs.some((r) => r.resync.writes > 0 || r.naive.failures > 0)) process.exitCode = 1;
