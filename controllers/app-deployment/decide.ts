// The AppDeployment kind's one decision: desired render × observed stack, services and rollout record → the next step.
// Reconcile executes it and plan prints it; there is no second decision tree.

/** StackSeen is what one stack list shows of the app's stack. */
export interface StackSeen {
  id: number;
  status: 'active' | 'inactive' | 'deploying' | 'error';
  message?: string;
  env: Readonly<Record<string, string>>;
  updatedAt: number;
}

/** ServiceSeen is what one service list shows of one of the stack's services. */
export interface ServiceSeen {
  name: string;
  image: string;
  running: number;
  desired: number;
  update?: { state: string; message?: string };
  /** Task errors of this service's failed or rejected tasks, newest first (e.g. an image pull error). */
  taskErrors: string[];
  /** Running tasks whose healthcheck has not passed yet. */
  starting: number;
}

/** Rollout is the persisted record of a deploy this daemon started and is following. */
export interface Rollout {
  hash: string;
  /** Wall time the deploy started (display, and seeding after a restart). */
  startedAt: number;
  /** A rollback redeploys the last good render after `failedHash` failed. */
  rollbackOf?: { hash: string; reason: string };
}

/** Render is the desired stack as the renderer produced it. */
export interface RenderSeen {
  hash: string;
  file: string;
  env: Readonly<Record<string, string>>;
  /** `<stack>_<svc>` names the file defines. */
  services: readonly string[];
  /** The image each service should run, by service name. */
  images?: Readonly<Record<string, string>>;
}

/** Memory is what the object's internal state remembers between passes (never a secret value). */
export interface Memory {
  stackId?: number;
  /** Hash of the render last deployed and converged. */
  deployedHash?: string;
  /** Hash of the last converged render that can be redeployed as a unit. */
  lastGoodHash?: string;
  rollout?: Rollout;
  /** A render that failed and was rolled back: not retried until the spec changes or a retry is asked for. */
  failed?: { hash: string; reason: string; message: string };
  /** The stack's UpdateDate after our own last write: a newer one means someone else changed it. */
  updatedAt?: number;
}

export type AppStep =
  | { type: 'create' }
  | { type: 'recreate'; why: string }
  | { type: 'update'; why: 'spec' | 'drift-env' | 'suspect-file'; changedEnv: string[] }
  | { type: 'wait-deploy' }
  | { type: 'follow'; rollout: Rollout }
  | { type: 'converged'; rollout: Rollout }
  | { type: 'rollback'; failed: { hash: string; reason: string; message: string } }
  | { type: 'rolled-back'; failed: { hash: string; reason: string; message: string } }
  | { type: 'none' };

/** converge summarises the services of a rollout: done, failed (with why), or still going. */
export function converge(want: readonly string[], services: readonly ServiceSeen[], images: Readonly<Record<string, string>> = {}): { state: 'done' | 'going' | 'failed'; reason: string; message: string } {
  const byName = new Map(services.map((s) => [s.name, s]));
  const failed = services.filter((s) => s.update?.state === 'rollback_completed' || s.update?.state === 'paused' || s.update?.state === 'rollback_paused');
  if (failed.length) {
    const detail = failed.map((s) => `${s.name}: ${s.update!.state}${s.update!.message ? ` (${s.update!.message})` : ''}${s.taskErrors[0] ? `; task error: ${s.taskErrors[0]}` : ''}`).join('; ');
    return { state: 'failed', reason: 'UpdateFailed', message: detail };
  }
  const missing = want.filter((n) => !byName.has(n));
  if (missing.length) return { state: 'going', reason: 'WaitingForTasks', message: `services not created yet: ${missing.join(', ')}` };
  const stale = want.map((n) => byName.get(n)!).filter((s) => images[s.name] !== undefined && s.image.split('@')[0] !== images[s.name]);
  if (stale.length) return { state: 'going', reason: 'WaitingForTasks', message: stale.map((s) => `${s.name} still runs ${s.image}`).join('; ') };
  const pending = want.map((n) => byName.get(n)!).filter((s) => s.running < s.desired || s.starting > 0 || (s.update && s.update.state !== 'completed'));
  if (pending.length) {
    const detail = pending.map((s) => `${s.name} ${s.running}/${s.desired} running${s.starting ? `, ${s.starting} starting` : ''}${s.update && s.update.state !== 'completed' ? `, update ${s.update.state}` : ''}${s.taskErrors[0] ? `, last task error: ${s.taskErrors[0]}` : ''}`).join('; ');
    return { state: 'going', reason: 'WaitingForTasks', message: detail };
  }
  return { state: 'done', reason: 'Converged', message: '' };
}

/** envChanges lists the keys whose values differ (values never leave this function). */
export function envChanges(want: Readonly<Record<string, string>>, seen: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(want), ...Object.keys(seen)]);
  return [...keys].filter((k) => want[k] !== seen[k]).sort();
}

export interface DecideInput {
  render: RenderSeen;
  /** The render a rollback redeploys (the last good one): its services are what a rollback rollout waits for. */
  lastGood?: RenderSeen;
  stack: StackSeen | undefined;
  services: readonly ServiceSeen[];
  memory: Memory;
  /** Elapsed monotonic time since the rollout started (ms). */
  rolloutElapsedMs: number;
  deadlineMs: number;
  /** A `livchat.ai/retry` annotation for the current generation. */
  retryAsked: boolean;
}

/** decide picks the one next step. */
export function decide(i: DecideInput): AppStep {
  const { render, stack, memory: m } = i;
  if (!stack) return m.stackId !== undefined ? { type: 'recreate', why: `stack ${m.stackId} disappeared from Portainer` } : { type: 'create' };
  if (stack.status === 'deploying') return { type: 'wait-deploy' };
  if (m.rollout) {
    if (stack.status === 'error') {
      const failed = { hash: m.rollout.hash, reason: 'DeployFailed', message: stack.message ?? 'Portainer reported the deployment failed' };
      return m.rollout.rollbackOf ? { type: 'rolled-back', failed: { ...failed, reason: 'RollbackFailed' } } : { type: 'rollback', failed };
    }
    const target = m.rollout.rollbackOf && i.lastGood ? i.lastGood : render;
    const c = converge(target.services, i.services, target.images ?? {});
    if (c.state === 'done') return { type: 'converged', rollout: m.rollout };
    if (c.state === 'failed' || i.rolloutElapsedMs > i.deadlineMs) {
      const message = c.state === 'failed' ? c.message : `not converged within ${Math.round(i.deadlineMs / 60_000)} min: ${c.message}`;
      const failed = { hash: m.rollout.hash, reason: c.state === 'failed' ? c.reason : 'DeadlineExceeded', message };
      if (m.rollout.rollbackOf) return { type: 'rolled-back', failed: { ...failed, reason: 'RollbackFailed' } };
      return { type: 'rollback', failed };
    }
    return { type: 'follow', rollout: m.rollout };
  }
  const retrying = m.failed?.hash === render.hash && i.retryAsked;
  if (m.failed?.hash === render.hash && !retrying) return { type: 'rolled-back', failed: m.failed };
  const changedEnv = envChanges(render.env, stack.env);
  if (m.deployedHash !== render.hash) return { type: 'update', why: 'spec', changedEnv };
  if (changedEnv.length) return { type: 'update', why: 'drift-env', changedEnv };
  if (m.updatedAt !== undefined && stack.updatedAt !== m.updatedAt) return { type: 'update', why: 'suspect-file', changedEnv };
  const missing = render.services.filter((n) => !i.services.some((s) => s.name === n));
  if (missing.length) return { type: 'update', why: 'spec', changedEnv };
  return { type: 'none' };
}
