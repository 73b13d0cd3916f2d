// The instance lease against the Hetzner simulator: a second installation with the same name is refused, refreshes are frugal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/clock.js';
import { HetznerClient } from '../../src/providers/hetzner.js';
import { InstanceLease, LEASE_HOLDER_LABEL, LEASE_INTERVAL_MS, LEASE_TTL_MS, LeaseConflictError, leaseKeyName } from '../../src/daemon/lease.js';
import { startSimCloud } from '../../src/sim/cloud.js';
import { runCli } from '../../src/cli/program.js';
import { cli, memoryIO, tempDir } from '../helpers/cli.js';
import { waitFor } from '../helpers/daemon.js';

type Sim = Awaited<ReturnType<typeof startSimCloud>>;
let sim: Sim;
beforeAll(async () => { sim = await startSimCloud({ zones: ['example.com'] }); });
afterAll(async () => { await sim.server.close(); });

const count = (route: string): number => sim.server.requests().byRoute[route] ?? 0;
const lease = (clock: ManualClock, instance: string, holder: string) => new InstanceLease({
  port: new HetznerClient({ token: 'lease-test-token', endpoint: sim.urls.hetzner, clock, random: () => 0.5 }), instance, holder, clock,
});
const leaseKey = (instance: string) => [...sim.hetzner.state.sshKeys.values()].find((k) => k.name === leaseKeyName(instance));

describe('InstanceLease', () => {
  it('refuses a second holder while the first heartbeats, and refreshes with one read and one write per interval', async () => {
    const clock = new ManualClock();
    const a = lease(clock, 'shared', 'aaaaaaaaaaaaaaaa');
    await a.acquire();
    expect(leaseKey('shared')?.labels).toMatchObject({ 'managed-by': 'livchat', [LEASE_HOLDER_LABEL]: 'aaaaaaaaaaaaaaaa' });
    const b = lease(clock, 'shared', 'bbbbbbbbbbbbbbbb');
    await expect(b.acquire()).rejects.toBeInstanceOf(LeaseConflictError);
    await expect(b.acquire()).rejects.toThrow(/instance "shared" is in use by another installation/);

    let lost: Error | undefined;
    a.start((err) => { lost = err; });
    const [gets, puts, posts] = [count('GET /v1/ssh_keys'), count('PUT /v1/ssh_keys/{id}'), count('POST /v1/ssh_keys')];
    for (let i = 1; i <= 3; i++) {
      clock.advance(LEASE_INTERVAL_MS);
      // The next refresh is armed once this one has finished (after the simulator counted its PUT).
      await waitFor(() => count('PUT /v1/ssh_keys/{id}') === puts + i && clock.pending === 1, { timeoutMs: 5000, what: `refresh ${i}` });
    }
    expect(count('GET /v1/ssh_keys')).toBe(gets + 3);
    expect(count('POST /v1/ssh_keys')).toBe(posts);
    // Still refused: the heartbeat is fresh although more than a TTL passed since the first acquire.
    await expect(b.acquire()).rejects.toBeInstanceOf(LeaseConflictError);
    expect(lost).toBeUndefined();
    await a.release();
    // A clean stop frees the name at once.
    await b.acquire();
    await b.release();
  });

  it('lets a new holder take over a vanished one after the TTL, and the old one learns it lost the lease', async () => {
    const clock = new ManualClock();
    const a = lease(clock, 'vanish', 'aaaaaaaaaaaaaaaa');
    await a.acquire();
    const b = lease(clock, 'vanish', 'bbbbbbbbbbbbbbbb');
    clock.advance(LEASE_TTL_MS - 1000);
    await expect(b.acquire()).rejects.toBeInstanceOf(LeaseConflictError);
    clock.advance(2000);
    await b.acquire();
    expect(leaseKey('vanish')?.labels[LEASE_HOLDER_LABEL]).toBe('bbbbbbbbbbbbbbbb');
    let lost: Error | undefined;
    a.start((err) => { lost = err; });
    clock.advance(LEASE_INTERVAL_MS);
    await waitFor(() => lost, { timeoutMs: 5000, what: 'the old holder noticing' });
    expect(lost!.message).toContain('taken over by another installation');
    await b.release();
  });
});

describe('two state dirs with one --instance', () => {
  it('the second apply is refused with exit 1 while the first daemon runs, and works after it stops', async () => {
    const desired = tempDir('lc-lease-desired-');
    const [stateA, stateB] = [tempDir('lc-lease-a-'), tempDir('lc-lease-b-')];
    const io = memoryIO({ cwd: desired });
    const exit = runCli(['--state-dir', stateA, '--instance', 'twin', '--log-format', 'json', 'run', desired, '--sim', sim.urls.url, '--listen', '127.0.0.1:0'], io);
    await waitFor(() => /livchat daemon:/.test(io.out()), { timeoutMs: 20_000, what: 'first daemon' });
    await waitFor(() => leaseKey('twin')?.labels[LEASE_HOLDER_LABEL] !== undefined, { timeoutMs: 20_000, what: 'lease taken' });
    const second = await cli(['--state-dir', stateB, '--instance', 'twin', '--log-level', 'silent', 'apply', desired, '--sim', sim.urls.url, '--timeout', '20s']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('instance "twin" is in use by another installation');
    io.signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    const again = await cli(['--state-dir', stateB, '--instance', 'twin', '--log-level', 'silent', 'apply', desired, '--sim', sim.urls.url, '--timeout', '20s']);
    expect(again.code).toBe(0);
  });
});
