// The quick start's app: the sample desired/ in simulated mode brings prod with its infrastructure and whoami to Ready, reachable at the edge.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { REPO_ROOT } from '../helpers/daemon.js';
import { tempDir, until } from '../helpers/cli.js';

const condition = (stateDir: string, kind: string, name: string, type: string): string | undefined => {
  const f = join(stateDir, 'objects', kind, `${name}.json`);
  if (!existsSync(f)) return undefined;
  const st = JSON.parse(readFileSync(f, 'utf8')) as { status: { conditions: Array<{ type: string; status: string }> } };
  return st.status.conditions.find((c) => c.type === type)?.status;
};

/** get sends a Host header as curl does (fetch may not set Host). */
function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('quick start with an app', () => {
  it('converges desired/ in simulated mode: whoami is Ready and answers at the edge with its Host header', async () => {
    const desired = tempDir('lc-qs-desired-');
    cpSync(join(REPO_ROOT, 'desired'), desired, { recursive: true });
    const stateDir = tempDir('lc-qs-state-');
    const signals = new EventEmitter();
    const daemon = await startDaemon({
      runtime: { dir: desired, stateDir, env: {}, cloud: { mode: 'simulate' }, logLevel: 'silent', simActionMs: 200 },
      host: '127.0.0.1', port: 0, shutdownMs: 5_000, signals,
    });
    try {
      await until(() => (condition(stateDir, 'AppDeployment', 'whoami', 'Ready') === 'True' ? true : undefined), 90_000, 'AppDeployment/whoami Ready');
      expect(condition(stateDir, 'Server', 'prod', 'Ready')).toBe('True');
      const server = JSON.parse(readFileSync(join(stateDir, 'objects', 'Server', 'prod.json'), 'utf8')) as { status: { observed: { infrastructure?: { ready: boolean; endpointId: number } } } };
      expect(server.status.observed.infrastructure).toMatchObject({ ready: true, endpointId: 1 });
      const edge = daemon.runtime.edgeUrl!;
      const res = await get(edge, 'whoami.prod.example.com');
      expect(res.status).toBe(200);
      expect(res.body).toContain('Hostname: whoami_whoami');
      expect(await get(edge, 'nope.prod.example.com')).toEqual({ status: 404, body: '404 page not found\n' });
    } finally {
      await daemon.stop();
    }
  }, 120_000);
});
