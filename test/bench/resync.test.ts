// bench:resync end to end on a tiny world: it converges, forces one resync, runs the naive loop and reports consistent figures.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/daemon.js';

const BENCH = join(REPO_ROOT, 'dist', 'bench', 'resync.js');

/** runBench runs the built benchmark as a child process and collects its output and exit code. */
function runBench(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(BENCH)) {
    const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`npm run build failed:\n${res.stdout}\n${res.stderr}`);
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BENCH], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-livchat-test-home', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bench:resync', () => {
  it('reports one forced resync of a converged world beside the naive per-object loop', async () => {
    const { code, stdout, stderr } = await runBench({ BENCH_RESYNC_N: '20', BENCH_RESYNC_ZONES: '2', BENCH_RESYNC_SERVERS: '1' });
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^records\s+objects\s+resync req\s+writes\s+wall ms\s+CPU µs\/obj\s+fsyncs\s+renames/);
    const report = JSON.parse(lines[lines.length - 1]!);
    expect(report).toMatchObject({ zones: 2, servers: 1 });
    expect(report.runs).toHaveLength(1);
    const [run] = report.runs;
    expect(run).toMatchObject({ records: 20, objects: 21, naive: { requests: 21, failures: 0 }, resync: { writes: 0 } });
    // The converged world is observed through list calls, never one GET per object, and nothing is written.
    expect(Object.keys(run.resync.byRoute).every((r: string) => r.startsWith('GET '))).toBe(true);
    expect(run.resync.byRoute['GET /client/v4/zones/{zone_id}/dns_records/{dns_record_id}']).toBeUndefined();
    expect(run.resync.requests).toBeGreaterThan(0);
    expect(run.resync.requests).toBeLessThan(run.naive.requests);
    expect(run.ratio.requests).toBeCloseTo(run.naive.requests / run.resync.requests);
    // Every status file a resync rewrites goes through an atomic rename, so the shim must have seen at least as many.
    expect(run.resync.statusFilesRewritten).toBeLessThanOrEqual(run.objects);
    expect(run.resync.renames).toBeGreaterThanOrEqual(run.resync.statusFilesRewritten);
    expect(Number.isInteger(run.resync.fsyncs)).toBe(true);
    expect(run.resync.cpuUsPerObject).toBeGreaterThan(0);
  }, 120_000);
});
