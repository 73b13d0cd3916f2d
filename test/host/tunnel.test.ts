// The Portainer client through a real ssh2 tunnel: a real sshd on loopback with a pinned host key, the Portainer simulator behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPinned, type SshConnection } from '../../src/host/ssh.js';
import { TunnelAgent } from '../../src/host/tunnel.js';
import { generateEd25519KeyPair } from '../../src/host/keys.js';
import { PortainerClient } from '../../src/providers/portainer.js';
import { SimClock, SimServer } from '../../src/sim/framework.js';
import { createPortainerSim } from '../../src/sim/portainer.js';
import { errorCode } from '../../src/engine/errors.js';
import { hostToolsMissing, startSshd, type TestSshd } from '../helpers/sshd.js';

const missing = hostToolsMissing();
if (missing) console.warn(`test/host/tunnel.test.ts ${missing}`);

const ADMIN_PW = 'tunnel-admin-password-0123';
let sshd: TestSshd;
let sim: SimServer;
let simPort = 0;
const agents: TunnelAgent[] = [];

beforeAll(async () => {
  if (missing) return;
  sshd = await startSshd();
  const clock = new SimClock();
  const portainer = createPortainerSim({ clock });
  sim = new SimServer({ services: [portainer], clock });
  await sim.listen();
  simPort = Number(new URL(sim.baseUrl('portainer')).port);
  portainer.addInstance(7, { adminPassword: ADMIN_PW, nodeAddress: '127.0.0.1', traefikPublic: true });
});

afterAll(async () => {
  for (const a of agents) a.destroy();
  await sim?.close();
  await sshd?.stop();
});

/** agent tunnels to the simulator's port on the sshd host's loopback, pinning the given host key. */
let lastSession: SshConnection | undefined;
function agent(hostKey = sshd.hostKey.publicKey): TunnelAgent {
  const a = new TunnelAgent({
    targetPort: simPort,
    connect: async () => (lastSession = await connectPinned({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: sshd.clientKey.privateKey, expectedHostKey: hostKey, timeoutMs: 5000 })),
  });
  agents.push(a);
  return a;
}

describe.skipIf(!!missing)('Portainer through an SSH tunnel', () => {
  it('bootstraps a token and lists stacks over one reused SSH session', async () => {
    const a = agent();
    const anon = new PortainerClient({ baseUrl: `http://127.0.0.1:${simPort}/portainer/7`, agent: a });
    expect(await anon.adminInitialised()).toBe(true);
    const { jwt, userId } = await anon.login('admin', ADMIN_PW);
    const token = await anon.createToken(jwt, userId, ADMIN_PW, 'tunnel test');
    const c = anon.withApiKey(token);
    const env = await c.environment();
    expect(env.endpointId).toBe(1);
    await Promise.all([c.listStacks(), c.listServices(), c.listTasks()]);
    expect(await c.listStacks()).toEqual([]);
    expect(a.sessions).toBe(1);
  });

  it('opens a new session when the old one drops', async () => {
    const a = agent();
    const c = new PortainerClient({ baseUrl: `http://127.0.0.1:${simPort}/portainer/7`, agent: a });
    await c.systemStatus();
    expect(a.sessions).toBe(1);
    // The SSH connection drops under the pool: the next request reconnects instead of failing forever.
    lastSession!.client.destroy();
    await new Promise((r) => setImmediate(r));
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) ok = await c.systemStatus().then(() => true, () => false);
    expect(ok).toBe(true);
    expect(a.sessions).toBe(2);
  });

  it('refuses a server whose host key is not the pinned one, before any request', async () => {
    const a = agent(generateEd25519KeyPair('other').publicKey);
    const c = new PortainerClient({ baseUrl: `http://127.0.0.1:${simPort}/portainer/7`, agent: a, maxRetries: 0 });
    const err = await c.systemStatus().then(() => undefined, (e: unknown) => e);
    expect(String((err as Error)?.message ?? err)).toMatch(/host key .* does not match pinned/);
    // Not a network blip to retry: the server's identity is wrong, which stalls until a person looks.
    expect(errorCode(err)).toBe('Unauthorized');
    expect(a.sessions).toBe(0);
  });
});

