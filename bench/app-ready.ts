// AppDeployment benchmark: time from saving an AppDeployment file to Ready, and Portainer requests per steady resync.
//
// Scenario: the daemon runs on the sample desired/ against a `livchat simulate`-style simulated cloud (default timings:
// Portainer deploys take 2 s of simulated time, Hetzner actions BENCH_ACTION_MS). Once prod and whoami are Ready, a new
// AppDeployment file is saved and timed until its Ready=True (watcher → reconcile → stack → tasks → DNS → router →
// certificate → health). Then all apps resync at once and the Portainer requests of that round are counted.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../src/daemon/daemon.js';
import { startSimCloud } from '../src/sim/cloud.js';

const APPS = Number(process.env.BENCH_APPS ?? 3);
const root = mkdtempSync(join(tmpdir(), 'livchat-bench-app-'));
const desired = join(root, 'desired');
cpSync(join(import.meta.dirname, '..', '..', 'desired'), desired, { recursive: true });
const stateDir = join(root, 'state');

const ready = (kind: string, name: string): boolean => {
  const f = join(stateDir, 'objects', kind, `${name}.json`);
  if (!existsSync(f)) return false;
  const st = JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string }> } };
  const c = (t: string) => st.status.conditions.find((x) => x.type === t)?.status;
  return c('Ready') === 'True' && c('Reconciling') !== 'True';
};

async function until(check: () => boolean, what: string, timeoutMs = 300_000): Promise<number> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - t0;
}

const portainerRequests = async (url: string): Promise<number> => {
  const r = (await (await fetch(`${url}/_sim/requests`)).json()) as { byRoute: Record<string, number> };
  return Object.entries(r.byRoute).filter(([k]) => k.split(' ')[1]!.startsWith('/portainer')).reduce((n, [, c]) => n + c, 0);
};

const sim = await startSimCloud({ zones: ['example.com'], actionDurationMs: Number(process.env.BENCH_ACTION_MS ?? 2000) });
const signals = new EventEmitter();
const t0 = performance.now();
const daemon = await startDaemon({
  runtime: { dir: desired, stateDir, env: {}, cloud: { mode: 'sim', url: sim.urls.url }, logLevel: 'silent', settings: { AppDeployment: { resyncMs: 60_000 } } },
  host: '127.0.0.1', port: 0, shutdownMs: 5_000, signals,
});
try {
  await until(() => ready('Server', 'prod') && ready('AppDeployment', 'whoami'), 'prod and whoami Ready');
  const startToReady = performance.now() - t0;
  const saves: number[] = [];
  for (let i = 0; i < APPS - 1; i++) {
    const name = `bench${i}`;
    writeFileSync(join(desired, `appdeployment-${name}.yaml`), ['apiVersion: livchat.ai/v1alpha1', 'kind: AppDeployment', `metadata: {name: ${name}}`, 'spec:', '  server: prod', '  app: whoami', `  host: ${name}`, ''].join('\n'));
    saves.push(await until(() => ready('AppDeployment', name), `${name} Ready`));
  }
  // A steady round: wait out one resync interval (60 s here), counting Portainer requests across it.
  const before = await portainerRequests(sim.urls.url);
  await new Promise((r) => setTimeout(r, 70_000));
  const perRound = (await portainerRequests(sim.urls.url)) - before;
  console.log(JSON.stringify({
    apps: APPS,
    npmStartToAllReadyMs: Math.round(startToReady),
    saveToReadyMs: saves.map(Math.round),
    portainerRequestsPerResyncRound: perRound,
  }));
} finally {
  await daemon.stop();
  await sim.close();
  rmSync(root, { recursive: true, force: true });
}
