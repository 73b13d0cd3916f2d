// App secrets: generated once into the vault, passed as Docker secrets or stack Env, kept across restarts, never in status, events or plan.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCondition, READY } from '../../../src/engine/conditions.js';
import type { AppTemplate } from '../../../controllers/app-deployment/template.js';
import { appWorld, type World } from './world.js';

let w: World | undefined;
afterEach(async () => { await w?.close(); w = undefined; });

/** vaulted: a test template with a file secret (a Docker secret) and an env secret (in the stack Env). */
const VAULTED: AppTemplate = {
  name: 'vaulted', description: 'Test-only app with two secrets.', image: 'traefik/whoami',
  versions: { default: '1.11.0', allowed: ['1.11.0'] },
  secrets: [
    { name: 'db_password', length: 32, alphabet: 'alphanumeric', file: true },
    { name: 'api_key', length: 40, alphabet: 'hex', file: false, env: 'API_KEY' },
  ],
  services: { web: { image: '${image}:v${version}', environment: { DB_PASSWORD: '${secret.db_password}', API_KEY: '${secret.api_key}' } } },
  routes: [{ hostPrefix: 'vaulted', service: 'web', port: 80 }],
  health: { service: 'web', port: 80, path: '/health' },
};

const SERVER_SPEC = { location: 'nbg1', serverType: 'cx23', image: 'ubuntu-24.04', dns: { zone: 'example.com', name: 'prod' }, infrastructure: { acmeEmail: 'ops@example.com' } };

/** everythingOnDisk is the whole state dir as text (status files, last-good, marks). */
function everythingOnDisk(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')).join('\n');
}

describe('AppDeployment secrets', () => {
  it('are generated once, reused after a restart with no redeploy, and appear in no status or event', async () => {
    w = await appWorld({ templates: [VAULTED] });
    w.t.source.put('Server', 'prod', SERVER_SPEC);
    w.t.source.put('AppDeployment', 'app', { server: 'prod', app: 'vaulted' });
    w.t.mgr.start();
    await w.settle();
    expect(getCondition(w.t.store.get('AppDeployment/app')!.status.conditions, READY)?.status).toBe('True');
    const values = [...w.vault.entries.entries()].filter(([k]) => k.startsWith('app.prod.app.'));
    expect(values.map(([k]) => k).sort()).toEqual(['app.prod.app.api_key', 'app.prod.app.db_password']);
    const [apiKey, dbPassword] = [w.vault.entries.get('app.prod.app.api_key')!, w.vault.entries.get('app.prod.app.db_password')!];
    expect(dbPassword).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(apiKey).toMatch(/^[0-9a-f]{40}$/);
    // The file secret is a Docker secret (versioned name), the env secret travels in the stack Env only.
    const inst = w.portainer.instance(7)!;
    expect(Object.values(inst.secrets).map((s) => s.name)).toEqual([expect.stringMatching(/^app_db_password_[0-9a-f]{10}$/)]);
    const stack = Object.values(inst.stacks)[0]!;
    expect(stack.file).not.toContain(dbPassword);
    expect(stack.file).not.toContain(apiKey);
    expect(stack.env.find((e) => e.name === 'API_KEY')?.value).toBe(apiKey);

    const shown = [everythingOnDisk(w.t.stateDir), JSON.stringify(w.t.store.list())].join('\n');
    for (const v of [apiKey, dbPassword]) expect(shown).not.toContain(v);

    // A restart (same vault, same state) finds the same secrets and writes nothing to Portainer.
    const writes = w.portainerWrites();
    await w.restart();
    await w.settle();
    expect(w.vault.entries.get('app.prod.app.db_password')).toBe(dbPassword);
    expect(w.vault.entries.get('app.prod.app.api_key')).toBe(apiKey);
    expect(w.portainerWrites()).toBe(writes);
    expect(getCondition(w.t.store.get('AppDeployment/app')!.status.conditions, READY)?.status).toBe('True');
  });

  it('a lost state dir with the same vault redeploys nothing new: the secrets are found again', async () => {
    w = await appWorld({ templates: [VAULTED] });
    w.t.source.put('Server', 'prod', SERVER_SPEC);
    w.t.source.put('AppDeployment', 'app', { server: 'prod', app: 'vaulted' });
    w.t.mgr.start();
    await w.settle();
    const dbPassword = w.vault.entries.get('app.prod.app.db_password');
    const secretsBefore = Object.keys(w.portainer.instance(7)!.secrets).length;
    const fresh = await appWorld({ templates: [VAULTED], vault: w.vault, registry: w.registry, sim: { server: w.sim, clock: w.simClock, cloudflare: w.cloudflare, portainer: w.portainer } });
    await w.t.mgr.stop();
    fresh.t.source.put('Server', 'prod', SERVER_SPEC);
    fresh.t.source.put('AppDeployment', 'app', { server: 'prod', app: 'vaulted', deletionPolicy: 'Delete' });
    // The stack is ours by its owner mark, so the fresh state adopts it instead of creating a second one.
    fresh.t.mgr.start();
    await fresh.settle();
    expect(fresh.vault.entries.get('app.prod.app.db_password')).toBe(dbPassword);
    expect(Object.keys(fresh.portainer.instance(7)!.secrets)).toHaveLength(secretsBefore);
    expect(Object.values(fresh.portainer.instance(7)!.stacks)).toHaveLength(1);
    expect(getCondition(fresh.t.store.get('AppDeployment/app')!.status.conditions, READY)?.status).toBe('True');
    await fresh.t.mgr.stop();
  });
});
