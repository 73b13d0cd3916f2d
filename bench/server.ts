// Server benchmark: create-to-Ready time in the embedded simulator, and Hetzner/Cloudflare requests per steady resync.
//
// Scenario: 20 Servers, each with a `dns` block (so 20 owned DNSRecords), applied with `livchat apply --sim` against a
// simulator whose Hetzner actions take the default 2 s. Then a forced resync of everything (a second apply) is
// counted from the simulator's /_sim/requests: it must make zero writes.
import { SecretRegistry } from '../src/obs/redact.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../src/cli/program.js';
import { startSimCloud } from '../src/sim/cloud.js';

const SERVERS = Number(process.env.BENCH_SERVERS ?? 20);

function writeDesired(dir: string): void {
  for (let i = 0; i < SERVERS; i++) {
    writeFileSync(join(dir, `s${i}.yaml`), [
      'apiVersion: livchat.ai/v1alpha1', 'kind: Server', 'metadata:', `  name: s${i}`, 'spec:',
      '  location: nbg1', '  serverType: cx23', '  image: ubuntu-24.04',
      `  dns: {zone: example.com, name: s${i}}`, '',
    ].join('\n'));
  }
}

async function apply(dir: string, stateDir: string, simUrl: string): Promise<{ code: number; ms: number }> {
  const sink = { write: () => true };
  const t0 = performance.now();
  const code = await runCli(['--state-dir', stateDir, '--log-level', 'error', 'apply', '--sim', simUrl, '--timeout', '10m', dir], {
    stdout: sink, stderr: sink, stdin: Readable.from([]), secrets: new SecretRegistry(), env: { HOME: tmpdir() }, cwd: dir,
  });
  return { code, ms: performance.now() - t0 };
}

const root = mkdtempSync(join(tmpdir(), 'livchat-bench-server-'));
const desired = join(root, 'desired');
mkdirSync(desired);
writeDesired(desired);
const sim = await startSimCloud({ zones: ['example.com'] });
try {
  const first = await apply(desired, join(root, 'state'), sim.urls.url);
  const created = sim.server.requests();
  sim.server.resetCounters();
  const second = await apply(desired, join(root, 'state'), sim.urls.url);
  const resync = sim.server.requests();
  const writes = Object.entries(resync.byRoute).filter(([r]) => !r.startsWith('GET ')).reduce((n, [, c]) => n + c, 0);
  const reads = Object.entries(resync.byRoute).filter(([r]) => r.startsWith('GET ')).map(([r, c]) => `${c} × ${r}`);
  console.log(`servers: ${SERVERS} (each with an owned DNS record), Hetzner actions 2 s each`);
  console.log(`create-to-Ready (apply, all ${SERVERS} servers and their records): ${(first.ms / 1000).toFixed(1)} s, exit ${first.code}, ${created.total} requests`);
  console.log(`steady resync (second apply): ${(second.ms / 1000).toFixed(1)} s, ${resync.total} requests, ${writes} writes`);
  for (const r of reads) console.log(`  ${r}`);
  console.log(JSON.stringify({ servers: SERVERS, createToReadyMs: Math.round(first.ms), createRequests: created.total, resyncRequests: resync.total, resyncWrites: writes }));
  if (first.code !== 0 || second.code !== 0 || writes !== 0) process.exitCode = 1;
} finally {
  await sim.server.close();
  rmSync(root, { recursive: true, force: true });
}
