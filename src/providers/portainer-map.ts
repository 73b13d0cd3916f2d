// Wire → domain mapping for the Portainer client: stacks, services, tasks, secrets, and Docker's multiplexed log stream.
import type { Secret, Service, ServiceMode, Stack, StackStatus, Task, TaskState, UpdateState, WireSecret, WireService, WireStack, WireTask } from './portainer-types.js';

/** Stack Status numbers; 3 Deploying and 4 Error are from a third-party code map of 2.45 (unverified). */
const STACK_STATUS: Record<number, StackStatus> = { 1: 'active', 2: 'inactive', 3: 'deploying', 4: 'error' };
const STACK_NAMESPACE = 'com.docker.stack.namespace';
const STACK_IMAGE = 'com.docker.stack.image';

export function toStack(w: WireStack): Stack {
  const status = STACK_STATUS[w.Status] ?? 'error';
  const last = (w.DeploymentStatus ?? []).at(-1);
  const message = STACK_STATUS[w.Status] ? last?.Message || undefined : `unknown stack status ${w.Status}`;
  const env: Record<string, string> = {};
  for (const p of w.Env ?? []) env[p.name] = p.value;
  return {
    id: w.Id, name: w.Name, status, ...(message ? { message } : {}), env,
    updatedAt: (w.UpdateDate || w.CreationDate) * 1000, createdAt: w.CreationDate * 1000,
    ...(w.UpdatedBy ? { updatedBy: w.UpdatedBy } : {}), swarmId: w.SwarmId, endpointId: w.EndpointId,
  };
}

/** splitImage separates `name:tag@sha256:…` into the written image and the pinned digest. */
export function splitImage(ref: string): { image: string; digest?: string } {
  const at = ref.indexOf('@');
  return at < 0 ? { image: ref } : { image: ref.slice(0, at), digest: ref.slice(at + 1) };
}

export function envRecord(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

const time = (s: string | undefined): number | undefined => { const t = s ? Date.parse(s) : NaN; return Number.isNaN(t) ? undefined : t; };

export function toService(w: WireService): Service {
  const labels = { ...(w.Spec.Labels ?? {}) };
  const pinned = splitImage(w.Spec.TaskTemplate?.ContainerSpec?.Image ?? '');
  const m = w.Spec.Mode ?? {};
  let mode: ServiceMode = 'replicated';
  if (m.Global) mode = 'global';
  else if (m.ReplicatedJob) mode = 'replicated-job';
  else if (m.GlobalJob) mode = 'global-job';
  const u = w.UpdateStatus;
  const startedAt = time(u?.StartedAt);
  const completedAt = time(u?.CompletedAt);
  return {
    id: w.ID, name: w.Spec.Name, ...(labels[STACK_NAMESPACE] ? { stack: labels[STACK_NAMESPACE] } : {}),
    image: labels[STACK_IMAGE] ?? pinned.image, ...(pinned.digest ? { digest: pinned.digest } : {}),
    mode, ...(mode === 'replicated' ? { replicas: m.Replicated?.Replicas ?? 1 } : {}),
    labels, env: envRecord(w.Spec.TaskTemplate?.ContainerSpec?.Env),
    running: w.ServiceStatus?.RunningTasks ?? 0, desired: w.ServiceStatus?.DesiredTasks ?? 0, completed: w.ServiceStatus?.CompletedTasks ?? 0,
    ...(u?.State ? { update: { state: u.State as UpdateState, message: u.Message ?? '', ...(startedAt ? { startedAt } : {}), ...(completedAt ? { completedAt } : {}) } } : {}),
    version: w.Version.Index,
  };
}

export function toTask(w: WireTask): Task {
  const hc = w.Spec?.ContainerSpec?.Healthcheck?.Test;
  const hasHealthcheck = Array.isArray(hc) && hc.length > 0 && hc[0] !== 'NONE';
  const state = w.Status.State as TaskState;
  return {
    id: w.ID, serviceId: w.ServiceID, ...(w.Slot !== undefined ? { slot: w.Slot } : {}), state, desiredState: w.DesiredState,
    ...(w.Status.Err ? { err: w.Status.Err } : {}), message: w.Status.Message ?? '',
    ...(w.Status.ContainerStatus?.ExitCode !== undefined && ['complete', 'failed', 'shutdown'].includes(state) ? { exitCode: w.Status.ContainerStatus.ExitCode } : {}),
    // A container with a healthcheck is reported `running` only once it is healthy.
    ...(hasHealthcheck ? { healthy: state === 'running' } : {}),
    image: splitImage(w.Spec?.ContainerSpec?.Image ?? '').image,
    updatedAt: time(w.Status.Timestamp) ?? time(w.UpdatedAt) ?? 0,
  };
}

export function toSecret(w: WireSecret): Secret {
  return { id: w.ID, name: w.Spec.Name, labels: { ...(w.Spec.Labels ?? {}) }, createdAt: time(w.CreatedAt) ?? 0 };
}

/** demux decodes Docker's multiplexed stream (8-byte headers) into lines; a TTY stream has no headers and is read as text. */
export function demux(raw: Buffer, multiplexed: boolean): string[] {
  let text = '';
  if (!multiplexed) text = raw.toString('utf8');
  else {
    const parts: Buffer[] = [];
    for (let i = 0; i + 8 <= raw.length;) {
      const len = raw.readUInt32BE(i + 4);
      parts.push(raw.subarray(i + 8, i + 8 + len));
      i += 8 + len;
    }
    text = Buffer.concat(parts).toString('utf8');
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
