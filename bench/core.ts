// Core benchmark: load and validate 10,000 desired objects in 1,000 files (wall time, peak RSS); then reload one
// edited file in a 50,000-object tree, and stop a billion-laughs file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DesiredStore } from '../src/source/desired-store.js';
import { loadDesiredFile } from '../src/source/yaml-loader.js';

const FILES = 1_000;
const DOCS_PER_FILE = 10;
const EXPECTED = FILES * DOCS_PER_FILE;
const GOAL_MS = 2_000;
const GOAL_RSS_MB = 250;

const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX'] as const;

/** dnsRecord renders one valid DNSRecord document; the type cycles so every validation branch is exercised. */
function dnsRecord(n: number): string {
  const type = RECORD_TYPES[n % RECORD_TYPES.length]!;
  const head = `apiVersion: livchat.ai/v1alpha1\nkind: DNSRecord\nmetadata:\n  name: rec-${n}\n  labels:\n    bench: core\nspec:\n  zone: example.com\n`;
  switch (type) {
    case 'A':
      return `${head}  name: a-${n}\n  type: A\n  content: 203.0.113.${n % 250 + 1}\n  ttl: ${n % 2 === 0 ? 'auto' : 300}\n  proxied: ${n % 2 === 0}\n`;
    case 'AAAA':
      return `${head}  name: aaaa-${n}\n  type: AAAA\n  content: "2001:db8::${(n % 65535).toString(16)}"\n`;
    case 'CNAME':
      return `${head}  name: www-${n}\n  type: CNAME\n  content: target-${n}.example.net\n  ttl: auto\n`;
    case 'TXT':
      return `${head}  name: _verify-${n}\n  type: TXT\n  content: "verification=${n.toString(16).padStart(8, '0')}"\n  ttl: 3600\n`;
    case 'MX':
      return `${head}  name: mail-${n}\n  type: MX\n  content: mx${n % 3}.example.com\n  priority: ${n % 50}\n  deletionPolicy: Orphan\n`;
  }
}

/** sshKey builds a well-formed ssh-ed25519 public key line whose 32 key bytes are derived from n. */
function sshKey(n: number): string {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, n % 256);
  key.writeUInt32BE(n, 0);
  const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; };
  return `ssh-ed25519 ${Buffer.concat([u32(type.length), type, u32(key.length), key]).toString('base64')}`;
}

/** server renders one valid Server document with DNS, labels, setup and an SSH key. */
function server(n: number): string {
  return [
    'apiVersion: livchat.ai/v1alpha1',
    'kind: Server',
    'metadata:',
    `  name: srv-${n}`,
    'spec:',
    `  location: ${['nbg1', 'fsn1', 'hel1'][n % 3]}`,
    '  serverType: cx23',
    '  image: ubuntu-24.04',
    '  sshKeys:',
    `    - ${sshKey(n)} ops@bench`,
    '  labels:',
    `    team: core-${n % 7}`,
    '    env: bench',
    '  dns:',
    '    zone: example.com',
    `    name: srv-${n}`,
    `    ipv6: ${n % 2 === 0}`,
    '  setup:',
    '    timezone: UTC',
    '    swapSize: 2G',
    '  protection:',
    '    delete: true',
    '',
  ].join('\n');
}

/** writeTree fills dir with FILES files of DOCS_PER_FILE documents; every fifth document is a Server. */
function writeTree(dir: string): void {
  for (let f = 0; f < FILES; f++) {
    const docs: string[] = [];
    for (let d = 0; d < DOCS_PER_FILE; d++) {
      const n = f * DOCS_PER_FILE + d;
      docs.push(d % 5 === 4 ? server(n) : dnsRecord(n));
    }
    // Spread files over subdirectories, as a real desired tree would be.
    const sub = join(dir, `team-${f % 10}`);
    if (f < 10) mkdirSync(sub);
    writeFileSync(join(sub, `objects-${String(f).padStart(4, '0')}.yaml`), `# bench file ${f}\n${docs.join('---\n')}`);
  }
}

const rssMb = (): number => process.resourceUsage().maxRSS / 1024;

function main(): number {
  const dir = mkdtempSync(join(tmpdir(), 'livchat-bench-core-'));
  try {
    writeTree(dir);
    const rssBefore = rssMb();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const report = new DesiredStore(dir).loadAll();
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    // CPU time is shown too: on a busy machine it is a steadier figure than wall time.
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const peakRssMb = rssMb();

    const round = (x: number): number => Math.round(x * 10) / 10;
    console.log(`desired load+validate: ${report.objects} objects in ${report.files} files`);
    console.log(`wall time:  ${round(wallMs)} ms (goal < ${GOAL_MS} ms; CPU ${round(cpuMs)} ms)`);
    console.log(`peak RSS:   ${round(peakRssMb)} MB (goal < ${GOAL_RSS_MB} MB; ${round(rssBefore)} MB before loading)`);
    console.log(`problems:   ${report.problems.length}`);
    for (const p of report.problems.slice(0, 5)) console.log(`  ${p.file}:${p.line}:${p.col}: ${p.message}`);
    console.log(JSON.stringify({ objects: report.objects, wallMs: round(wallMs), peakRssMb: round(peakRssMb) }));

    if (report.objects !== EXPECTED || report.problems.length > 0) {
      console.error(`FAIL: expected ${EXPECTED} objects and no problems`);
      return 1;
    }
    if (wallMs > GOAL_MS || peakRssMb > GOAL_RSS_MB) console.error('WARN: over the goal');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const RELOAD_OBJECTS = 50_000;
const RELOAD_GOAL_MS = 20;

/** reloadOne measures reloading one edited file of a 50,000-object tree (the daemon's cost per edit). */
function reloadOne(): number {
  const dir = mkdtempSync(join(tmpdir(), 'livchat-bench-reload-'));
  try {
    const files = RELOAD_OBJECTS / DOCS_PER_FILE;
    for (let f = 0; f < files; f++) {
      const docs = Array.from({ length: DOCS_PER_FILE }, (_, d) => dnsRecord(f * DOCS_PER_FILE + d));
      writeFileSync(join(dir, `objects-${String(f).padStart(5, '0')}.yaml`), docs.join('---\n'));
    }
    const store = new DesiredStore(dir, { git: false });
    store.loadAll();
    const target = join(dir, 'objects-00000.yaml');
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      // Each round swaps one object of the file for another, so the reload really re-indexes it.
      writeFileSync(target, [dnsRecord(RELOAD_OBJECTS + (i % 2)), ...Array.from({ length: DOCS_PER_FILE - 1 }, (_, d) => dnsRecord(d + 1))].join('---\n'));
      const t0 = performance.now();
      const r = store.reload([target]);
      times.push(performance.now() - t0);
      if (r.objects < RELOAD_OBJECTS - DOCS_PER_FILE) throw new Error(`unexpected object count ${r.objects}`);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`reload one file of ${store.size} objects: median ${Math.round(median * 100) / 100} ms, max ${Math.round(times[times.length - 1]! * 100) / 100} ms (goal < ${RELOAD_GOAL_MS} ms)`);
    if (median > RELOAD_GOAL_MS) console.error('WARN: reload over the goal');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** billionLaughs measures how fast the alias limit stops the hostile fixture (a test only checks that it does). */
function billionLaughs(): number {
  // npm runs benchmarks from the package root, where the fixtures are (the compiled bench lives under dist/).
  const file = join(process.cwd(), 'test/fixtures/desired/hostile/billion-laughs.yaml');
  const t0 = performance.now();
  const load = loadDesiredFile(file);
  const ms = performance.now() - t0;
  console.log(`billion laughs stopped in ${Math.round(ms * 10) / 10} ms (goal < 1000 ms): ${load?.problems[0]?.message ?? 'no problem?'}`);
  return load && load.objects.length === 0 ? 0 : 1;
}

process.exitCode = main() || reloadOne() || billionLaughs();
