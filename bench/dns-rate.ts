// DNS rate-limit benchmark: `livchat apply --sim` creates 300 records against a simulator limited to 60 requests per 10 s.
//
// Pass criteria (exit code 1 otherwise): zero 429 responses, all 300 objects Ready, and the time from the first request
// to the end of apply within 1.1× of the minimum time the limit allows. The limit's clock starts at the first request,
// so process start-up (module loading, reading desired/) is reported separately and not part of the ratio.
//
// The minimum: with R requests in total and a budget of L requests per W seconds, the first L requests may go at once
// and every further L wait for the next window, so the R-th request cannot be sent before ceil((R − L) / L) × W.
// That holds for the simulator's fixed windows (opening at the token's first request) and for a sliding window alike.
// The smoother bound (R − L) / L × W is what a token-bucket server (refilling L/W per second) would allow; against a
// window-counting server it is unreachable whenever R − L is not a multiple of L, so it is printed for reference only.
import { SecretRegistry } from '../src/obs/redact.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../src/cli/program.js';
import { startSimCloud } from '../src/sim/cloud.js';
import { readAllStates } from '../src/store/status-store.js';
import { getCondition, READY } from '../src/engine/conditions.js';

const RECORDS = 300;
const LIMIT = 60;
// BENCH_DNS_WINDOW_S shortens the window for a quick look; the issue's scenario is 10 s.
const WINDOW_S = Number(process.env.BENCH_DNS_WINDOW_S ?? 10);
const MAX_RATIO = 1.1;

/** minimumMs is the earliest moment the last of `requests` requests may be sent under L per W windows. */
function minimumMs(requests: number, limit = LIMIT, windowMs = WINDOW_S * 1000): number {
  return Math.max(0, Math.ceil((requests - limit) / limit)) * windowMs;
}

/** bucketMinimumMs is the token-bucket bound (R − L) / L × W, for reference. */
function bucketMinimumMs(requests: number, limit = LIMIT, windowMs = WINDOW_S * 1000): number {
  return Math.max(0, (requests - limit) / limit) * windowMs;
}

function writeDesired(dir: string): void {
  for (let i = 0; i < RECORDS; i++) {
    writeFileSync(join(dir, `r${i}.yaml`), [
      'apiVersion: livchat.ai/v1alpha1', 'kind: DNSRecord', 'metadata:', `  name: r${i}`, 'spec:',
      '  zone: example.com', `  name: host-${i}`, '  type: A', `  content: 203.0.113.${(i % 250) + 1}`, '  ttl: 300', '',
    ].join('\n'));
  }
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'lc-bench-dns-'));
  const desired = join(work, 'desired');
  const stateDir = join(work, 'state');
  mkdirSync(desired);
  writeDesired(desired);
  const sim = await startSimCloud({ zones: ['example.com'] });
  sim.cloudflare.setRateLimit(LIMIT, WINDOW_S * 1000);

  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => { out += s; return true; } },
    stderr: { write: (s: string) => { err += s; return true; } },
    stdin: Readable.from([]), secrets: new SecretRegistry(),
    env: { HOME: work, LIVCHAT_CLOUDFLARE_RATE_LIMIT: `${LIMIT}/${WINDOW_S}` },
    cwd: work,
  };
  // Sample the simulator's counter to see when the first and the last request arrived.
  const started = performance.now();
  let firstAt: number | undefined;
  let lastAt = started;
  let seen = 0;
  const sampler = setInterval(() => {
    const total = sim.server.requests().total;
    if (total !== seen) { seen = total; lastAt = performance.now(); firstAt ??= lastAt; }
  }, 5);
  const code = await runCli(['apply', desired, '--sim', sim.urls.url, '--state-dir', stateDir, '--instance', 'bench', '--log-level', 'silent', '--timeout', '10m'], io);
  const wallMs = performance.now() - started;
  clearInterval(sampler);

  const req = sim.server.requests();
  const ready = readAllStates(join(stateDir, 'objects')).filter((s) => getCondition(s.status.conditions, READY)?.status === 'True').length;
  await sim.server.close();
  rmSync(work, { recursive: true, force: true });

  const throttled = req.byStatus['429'] ?? 0;
  const minMs = minimumMs(req.total);
  const bucketMs = bucketMinimumMs(req.total);
  const spanMs = wallMs - ((firstAt ?? started) - started);
  const ratio = minMs > 0 ? spanMs / minMs : Infinity;
  const pass = code === 0 && throttled === 0 && ready === RECORDS && ratio <= MAX_RATIO;
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  console.log(`limit:            ${LIMIT} requests per ${WINDOW_S} s (simulator and client budget)`);
  console.log(`records:          ${RECORDS} (${ready} Ready), apply exit code ${code}`);
  console.log(`requests:         ${req.total} (${Object.entries(req.byRoute).map(([r, n]) => `${r}: ${n}`).join(', ')})`);
  console.log(`429 responses:    ${throttled}`);
  console.log(`wall time:        ${s(wallMs)} (start-up until the first request ${s(wallMs - spanMs)}, last request at ${s(lastAt - started)})`);
  console.log(`limited span:     ${s(spanMs)} (first request → apply done)`);
  console.log(`minimum allowed:  ${s(minMs)} = ceil((${req.total} − ${LIMIT}) / ${LIMIT}) × ${WINDOW_S} s`);
  console.log(`ratio:            ${ratio.toFixed(3)} = limited span / minimum (must be ≤ ${MAX_RATIO}); with start-up ${(wallMs / minMs).toFixed(3)}`);
  console.log(`bucket bound:     ${s(bucketMs)} = (${req.total} − ${LIMIT}) / ${LIMIT} × ${WINDOW_S} s, span ratio ${(spanMs / bucketMs).toFixed(3)} (reference only)`);
  if (code !== 0) console.log(`apply output:     ${(out + err).trim().split('\n').slice(-3).join(' | ')}`);
  console.log(JSON.stringify({
    bench: 'dns-rate', records: RECORDS, ready, limit: LIMIT, windowSeconds: WINDOW_S, requests: req.total, throttled,
    wallMs: Math.round(wallMs), spanMs: Math.round(spanMs), minimumMs: minMs, ratio: Number(ratio.toFixed(3)),
    wallRatio: Number((wallMs / minMs).toFixed(3)), bucketMinimumMs: Math.round(bucketMs), pass,
  }));
  return pass ? 0 : 1;
}

const code = await main();
process.exitCode = code;
// The CLI may leave idle sockets; the verdict is already printed.
setImmediate(() => process.exit(code));
