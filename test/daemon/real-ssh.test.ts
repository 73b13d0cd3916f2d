// The real SSH path: a simulated Hetzner server at 127.0.0.1 backed by a real sshd, set up by the daemon with the smoke playbook.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/daemon/compose.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import type { ServerRecord } from '../../src/sim/hetzner.js';
import { getCondition, READY, STALLED } from '../../src/engine/conditions.js';
import { Vault } from '../../src/store/vault.js';
import { generateEd25519KeyPair, sameKey, type KeyPair } from '../../src/host/keys.js';
import { hashPlaybooks } from '../../src/host/playbook-hash.js';
import { freePort, hostToolsMissing, startSshd, type TestSshd } from '../helpers/sshd.js';
import { getJson, waitFor } from '../helpers/daemon.js';

const SMOKE = join(import.meta.dirname, '../fixtures/ansible/smoke.yml');
const missing = hostToolsMissing();
if (missing) console.warn(`test/daemon/real-ssh.test.ts ${missing}`);

const NAME = 'ssh1';
const KEY = `Server/${NAME}`;

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  // Reverse order: manager before simulator, sshd before its temp dir.
  for (const c of cleanup.reverse()) await c().catch(() => {});
  cleanup = [];
});

interface World {
  rt: Runtime;
  stateDir: string;
  simUrl: string;
  sshPort: number;
  work: string;
  servers: () => ServerRecord[];
}

/** startWorld starts the simulator (next server → 127.0.0.1:port), writes one Server, and starts the daemon's manager. */
async function startWorld(): Promise<World> {
  const sim = await startSimCloud({ actionDurationMs: 50 });
  cleanup.push(() => sim.server.close());
  const root = await mkdtemp(join(tmpdir(), 'livchat-realssh-'));
  cleanup.push(() => rm(root, { recursive: true, force: true }));
  const work = join(root, 'smoke');
  const desired = join(root, 'desired');
  mkdirSync(work);
  mkdirSync(desired);
  writeFileSync(join(desired, 'server.yaml'), [
    'apiVersion: livchat.ai/v1alpha1', 'kind: Server', `metadata:\n  name: ${NAME}`,
    'spec:', '  location: nbg1', '  serverType: cx23', '  image: ubuntu-24.04', '  setup:', '    timezone: America/Sao_Paulo', '',
  ].join('\n'));

  const sshPort = await freePort();
  const res = await fetch(`${sim.urls.url}/_sim/hetzner/next-address`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ipv4: '127.0.0.1', sshPort }),
  });
  expect(res.status).toBe(200);

  const stateDir = join(root, 'state');
  const rt = await createRuntime({
    dir: desired, stateDir, instance: 'realssh', cloud: { mode: 'sim', url: sim.urls.url }, env: {},
    playbook: SMOKE, playbookVars: { smoke_dir: work }, logLevel: 'silent',
  });
  cleanup.push(() => rt.close());
  rt.manager.start();
  cleanup.push(() => rt.manager.stop(5_000));
  return { rt, stateDir, simUrl: sim.urls.url, sshPort, work, servers: () => [...sim.hetzner.servers.values()] };
}

/** awaitCloudInit plays cloud-init's part: it reads the created server's user_data host key and the registered SSH key. */
async function awaitCloudInit(w: World): Promise<{ hostKey: KeyPair; authorizedKey: string }> {
  // The simulator's state is polled over HTTP, as a test outside the process would.
  const state = await waitFor(async () => {
    const s = await getJson<{ hetzner: { state: { servers: ServerRecord[]; sshKeys: Array<{ id: number; publicKey: string }> } } }>(`${w.simUrl}/_sim/state`);
    return s.hetzner.state.servers.some((x) => x.name === NAME && x.userData) ? s.hetzner.state : undefined;
  }, { timeoutMs: 20_000, what: `server ${NAME} in the simulator` });
  const server = state.servers.find((x) => x.name === NAME)!;
  expect(server.ipv4?.ip).toBe('127.0.0.1');
  expect(server.sshPort).toBe(w.sshPort);
  const doc = parseYaml(server.userData!.replace(/^#cloud-config\n/, '')) as { ssh_keys: { ed25519_private: string; ed25519_public: string } };
  const authorizedKey = state.sshKeys.find((k) => server.sshKeys.includes(k.id))!.publicKey;
  return { hostKey: { privateKey: doc.ssh_keys.ed25519_private, publicKey: doc.ssh_keys.ed25519_public }, authorizedKey };
}

/** bootSshd starts sshd with the given host key and installs the daemon's key, as the provider would. */
async function bootSshd(port: number, hostKey: KeyPair, authorizedKey: string): Promise<TestSshd> {
  const sshd = await startSshd({ port, hostKey });
  cleanup.push(() => sshd.stop());
  // sshd reads AuthorizedKeysFile at each login, so replacing it after start is enough.
  writeFileSync(join(sshd.dir, 'authorized_keys'), `${authorizedKey}\n`, { mode: 0o600 });
  return sshd;
}

describe.skipIf(!!missing)('daemon over real SSH (sshd on 127.0.0.1 + smoke playbook)', () => {
  it('connects with its generated key, pins the cloud-init host key, and runs the playbook until Ready', async () => {
    const w = await startWorld();
    const { hostKey, authorizedKey } = await awaitCloudInit(w);
    const sshd = await bootSshd(w.sshPort, hostKey, authorizedKey);

    const st = await waitFor(() => {
      const s = w.rt.store.get(KEY);
      if (s && getCondition(s.status.conditions, STALLED)) throw new Error(`stalled: ${JSON.stringify(s.status.conditions)}`);
      return s && getCondition(s.status.conditions, READY)?.status === 'True' ? s : undefined;
    }, { timeoutMs: 45_000, intervalMs: 50, what: `${KEY} Ready=True` });

    expect(getCondition(st.status.conditions, READY)).toMatchObject({ status: 'True', reason: 'Available', message: 'running at 127.0.0.1' });
    expect(st.status.observed).toMatchObject({ ipv4: '127.0.0.1', hetznerStatus: 'running', playbookHash: await hashPlaybooks(dirname(SMOKE)) });
    // The pinned key is the one generated for user_data, and it is the key sshd presented.
    expect(st.internal.hostKey).toBe(hostKey.publicKey);
    expect(sameKey(st.internal.hostKey as string, sshd.hostKey.publicKey)).toBe(true);
    // The key sshd authorised (the one registered at Hetzner) is the daemon's generated identity from its vault.
    const vault = await Vault.open({ stateDir: w.stateDir, env: {} });
    expect(sameKey(vault.get('ssh-public-key')!, authorizedKey)).toBe(true);
    expect(w.servers()).toHaveLength(1);
    // The playbook really ran over the connection, with the spec's setup variables.
    const marker = readFileSync(join(w.work, 'smoke-ran'), 'utf8');
    expect(marker).toMatch(/^user=root host=\S+ tz=America\/Sao_Paulo$/m);
    expect(st.status.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Created', 'SetUp']));
  });

  it('stalls with HostKeyMismatch and runs nothing when sshd presents another host key', async () => {
    const w = await startWorld();
    const { hostKey, authorizedKey } = await awaitCloudInit(w);
    const impostor = generateEd25519KeyPair('impostor');
    await bootSshd(w.sshPort, impostor, authorizedKey);

    const st = await waitFor(() => {
      const s = w.rt.store.get(KEY);
      return s && getCondition(s.status.conditions, STALLED)?.status === 'True' ? s : undefined;
    }, { timeoutMs: 45_000, intervalMs: 50, what: `${KEY} Stalled=True` });

    expect(getCondition(st.status.conditions, STALLED)).toMatchObject({ status: 'True', reason: 'HostKeyMismatch' });
    expect(getCondition(st.status.conditions, READY)).toMatchObject({ status: 'False', reason: 'HostKeyMismatch' });
    expect(getCondition(st.status.conditions, STALLED)!.message).toContain('does not match pinned');
    // The pin is untouched: the impostor's key was not recorded.
    expect(st.internal.hostKey).toBe(hostKey.publicKey);
    expect(st.status.observed?.playbookHash).toBeUndefined();
    expect(st.internal.setupKey).toBeUndefined();
    // No command ran: the playbook's marker (and Ansible's remote scratch dir) never appeared.
    expect(existsSync(join(w.work, 'smoke-ran'))).toBe(false);
    expect(existsSync(join(w.work, '.ansible-remote-tmp'))).toBe(false);
  });
});
