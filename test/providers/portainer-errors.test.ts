// Portainer failure classification and wire mapping: every status to its closed code, secrets scrubbed, logs demultiplexed.
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/engine/errors.js';
import { classifyPortainer, parseRetryAfter } from '../../src/providers/portainer-errors.js';
import { demux, splitImage, toService, toStack, toTask } from '../../src/providers/portainer-map.js';

const f = (status: number, message: string, extra: Record<string, unknown> = {}) =>
  classifyPortainer({ op: 'op', method: 'GET', path: '/api/stacks', status, message, ...extra });

describe('classifyPortainer', () => {
  it('maps each status to the closed code set', () => {
    expect(f(409, 'Stack deployment is already in progress').code).toBe('Locked');
    expect(f(409, "A stack with the normalized name 'a' already exists").code).toBe('Conflict');
    expect(f(404, 'Unable to find a stack').code).toBe('NotFound');
    expect(f(401, 'Invalid JWT token').code).toBe('Unauthorized');
    expect(f(403, 'Access denied to resource').code).toBe('Unauthorized');
    expect(f(422, 'Invalid credentials').code).toBe('Invalid');
    expect(f(400, 'Invalid request payload', { details: 'Invalid stack name' }).code).toBe('Invalid');
    expect(f(429, 'slow down', { retryAfterMs: 7000 })).toMatchObject({ code: 'RateLimited', retryAfterMs: 7000 });
    expect(f(500, 'boom').code).toBe('Unavailable');
    expect(f(502, '502 Bad Gateway').code).toBe('Unavailable');
    expect(f(0, 'ECONNREFUSED').code).toBe('Unavailable');
    const ban = classifyPortainer({ op: 'auth.login', method: 'POST', path: '/api/auth', status: 403, message: 'Access denied' });
    expect(ban).toMatchObject({ code: 'RateLimited', retryAfterMs: 3_600_000 });
    const locked = f(303, 'Administrator initialization timeout', { redirectReason: 'AdminInitTimeout' });
    expect(locked).toMatchObject({ code: 'Unavailable', detail: { code: 'AdminInitTimeout' } });
    expect(locked.message).toContain('until it is restarted');
  });

  it('keeps Portainer\'s words in the detail and the token scope on auth failures', () => {
    const e = f(400, 'Invalid request payload', { details: 'Invalid Swarm ID' });
    expect(e).toBeInstanceOf(DomainError);
    expect(e.message).toBe('portainer op: Invalid request payload (Invalid Swarm ID) (HTTP 400)');
    expect(e.detail).toEqual({ provider: 'portainer', status: 400, code: 'http_400', message: 'Invalid request payload', details: { details: 'Invalid Swarm ID', method: 'GET', path: '/api/stacks' } });
    expect(f(401, 'x').scope).toBe('portainer-token');
    expect(f(404, 'x').scope).toBeUndefined();
  });

  it('scrubs given secrets and API-key shapes from every field', () => {
    const key = 'ptr_AAAABBBBCCCCDDDDEEEEFFFF0000';
    const e = classifyPortainer({ op: 'op', method: 'PUT', path: '/api/stacks/1', status: 500, message: `echo of hunter2-password and ${key}`, details: 'hunter2-password' }, 'hunter2-password');
    const dump = `${e.message} ${JSON.stringify(e.detail)}`;
    expect(dump).not.toContain('hunter2-password');
    expect(dump).not.toContain(key);
  });

  it('reads retry-after as seconds or a date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});

describe('wire mapping', () => {
  it('maps a stack, with the deploy error and env as a record', () => {
    const s = toStack({ Id: 3, Name: 'a', Type: 1, EndpointId: 1, SwarmId: 'sw', Env: [{ name: 'K', value: 'v' }], Status: 4, DeploymentStatus: [{ Status: 3, Time: 1 }, { Status: 4, Time: 2, Message: 'network "x" is declared as external, but could not be found' }], CreationDate: 100, UpdateDate: 0 });
    expect(s).toEqual({ id: 3, name: 'a', status: 'error', message: 'network "x" is declared as external, but could not be found', env: { K: 'v' }, updatedAt: 100_000, createdAt: 100_000, swarmId: 'sw', endpointId: 1 });
    expect(toStack({ Id: 1, Name: 'b', Type: 1, EndpointId: 1, SwarmId: 's', Env: null, Status: 3, CreationDate: 1, UpdateDate: 5 })).toMatchObject({ status: 'deploying', env: {}, updatedAt: 5000 });
  });

  it('maps a service with its pinned digest, status and update state', () => {
    const svc = toService({
      ID: 'id1', Version: { Index: 12 }, CreatedAt: '', UpdatedAt: '',
      Spec: { Name: 'a_web', Labels: { 'com.docker.stack.namespace': 'a', 'com.docker.stack.image': 'nginx:1.27' }, TaskTemplate: { ContainerSpec: { Image: 'nginx:1.27@sha256:abc', Env: ['A=1', 'B=x=y'] } }, Mode: { Replicated: { Replicas: 2 } } },
      UpdateStatus: { State: 'rollback_completed', Message: 'rollback completed', StartedAt: '2026-01-01T00:00:00.000000000Z' },
      ServiceStatus: { RunningTasks: 2, DesiredTasks: 2, CompletedTasks: 0 },
    });
    expect(svc).toEqual({
      id: 'id1', name: 'a_web', stack: 'a', image: 'nginx:1.27', digest: 'sha256:abc', mode: 'replicated', replicas: 2,
      labels: { 'com.docker.stack.namespace': 'a', 'com.docker.stack.image': 'nginx:1.27' }, env: { A: '1', B: 'x=y' },
      running: 2, desired: 2, completed: 0, update: { state: 'rollback_completed', message: 'rollback completed', startedAt: Date.UTC(2026, 0, 1) }, version: 12,
    });
    expect(splitImage('x:1')).toEqual({ image: 'x:1' });
  });

  it('maps tasks: health only with a healthcheck, exit codes only once ended', () => {
    const base = { ID: 't', ServiceID: 's', Slot: 1, DesiredState: 'running', Status: { Timestamp: '2026-01-01T00:00:01Z', State: 'starting', ContainerStatus: { ExitCode: 0 } } };
    expect(toTask({ ...base, Spec: { ContainerSpec: { Image: 'a:1@sha256:x', Healthcheck: { Test: ['CMD', 'true'] } } } })).toMatchObject({ state: 'starting', healthy: false, image: 'a:1', updatedAt: Date.UTC(2026, 0, 1, 0, 0, 1) });
    expect(toTask({ ...base, Spec: { ContainerSpec: { Image: 'a:1' } } }).healthy).toBeUndefined();
    expect(toTask({ ...base, Status: { State: 'failed', Err: 'task: non-zero exit (2)', ContainerStatus: { ExitCode: 2 } } })).toMatchObject({ exitCode: 2, err: 'task: non-zero exit (2)' });
  });

  it('demultiplexes Docker log frames and reads a TTY stream as text', () => {
    const frame = (stream: number, text: string) => { const b = Buffer.from(text); const h = Buffer.alloc(8); h[0] = stream; h.writeUInt32BE(b.length, 4); return Buffer.concat([h, b]); };
    const raw = Buffer.concat([frame(1, 'one\n'), frame(2, 'tw'), frame(2, 'o\n'), frame(1, 'é\n')]);
    expect(demux(raw, true)).toEqual(['one', 'two', 'é']);
    expect(demux(Buffer.from('a\nb\n'), false)).toEqual(['a', 'b']);
  });
});
