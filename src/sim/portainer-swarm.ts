// Simulated Swarm engine: services, tasks, restarts, rolling updates and rollbacks, all derived from the sim clock by events.
import type { EffectiveUpdateConfig, InstanceRecord, PortainerWorld, ServiceRecord, TaskRecord, UpdateKind } from './portainer-state.js';
import { TERMINAL, dockerId, dockerTime, hex64, sha256 } from './portainer-state.js';
import { endOf, entryAt, planTask, runningAt, stopTask } from './portainer-timeline.js';

/** SwarmCtx is one simulated Portainer's engine plus the world's image behaviours and timing. */
export interface SwarmCtx { world: PortainerWorld; inst: InstanceRecord }

/** Event is one thing the engine must do at a sim time; settle runs them in time order. */
export interface SwarmEvent { at: number; prio: number; key: string; run(): void }

type Spec = Record<string, unknown>;
const NS = 1e6;
/** Swarm keeps five tasks per slot (task-history-retention-limit). */
const HISTORY = 5;

/** canonical renders JSON with sorted keys, so equal specs hash equally. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export function specKey(taskTemplate: unknown): string { return sha256(canonical(taskTemplate)).slice(0, 16); }

export type ServiceMode =
  | { kind: 'replicated'; replicas: number }
  | { kind: 'global' }
  | { kind: 'replicated-job'; maxConcurrent: number; total: number }
  | { kind: 'global-job' };

export function modeOf(spec: Spec): ServiceMode {
  const m = (spec.Mode ?? {}) as Record<string, Record<string, number> | undefined>;
  if (m.Global) return { kind: 'global' };
  if (m.GlobalJob) return { kind: 'global-job' };
  if (m.ReplicatedJob) {
    const maxConcurrent = m.ReplicatedJob.MaxConcurrent ?? 1;
    return { kind: 'replicated-job', maxConcurrent, total: m.ReplicatedJob.TotalCompletions ?? maxConcurrent };
  }
  return { kind: 'replicated', replicas: m.Replicated?.Replicas ?? 1 };
}

export const isJob = (spec: Spec): boolean => { const k = modeOf(spec).kind; return k === 'replicated-job' || k === 'global-job'; };

export function taskTemplate(spec: Spec): Spec { return (spec.TaskTemplate ?? {}) as Spec; }
export function containerSpec(spec: Spec): Spec { return (taskTemplate(spec).ContainerSpec ?? {}) as Spec; }
export function imageOf(spec: Spec): string { return String(containerSpec(spec).Image ?? ''); }

function restartPolicy(spec: Spec): { condition: string; delayMs: number; maxAttempts: number } {
  const rp = (taskTemplate(spec).RestartPolicy ?? {}) as { Condition?: string; Delay?: number; MaxAttempts?: number };
  // Swarm's defaults: restart on any exit after 5 s, forever; jobs restart only on failure.
  return { condition: rp.Condition ?? (isJob(spec) ? 'on-failure' : 'any'), delayMs: rp.Delay !== undefined ? rp.Delay / NS : 5000, maxAttempts: rp.MaxAttempts ?? 0 };
}

/** DEFAULT_UPDATE_CONFIG is what Swarm fills in: parallelism 1, no delay, pause on failure, 5 s monitor, ratio 0, stop-first. */
export const DEFAULT_UPDATE_CONFIG = { Parallelism: 1, FailureAction: 'pause', Monitor: 5000 * NS, MaxFailureRatio: 0, Order: 'stop-first' };

/** withDefaults fills UpdateConfig and RollbackConfig the way `docker service inspect` shows them. */
export function withDefaults(spec: Spec): Spec {
  const out = structuredClone(spec);
  for (const k of ['UpdateConfig', 'RollbackConfig']) out[k] = { ...DEFAULT_UPDATE_CONFIG, ...(out[k] as object | undefined) };
  return out;
}

export function effectiveConfig(spec: Spec, which: 'UpdateConfig' | 'RollbackConfig'): EffectiveUpdateConfig {
  const c = { ...DEFAULT_UPDATE_CONFIG, ...(spec[which] as Record<string, unknown> | undefined) } as Record<string, unknown>;
  return {
    parallelism: Number(c.Parallelism ?? 1),
    delayMs: Number(c.Delay ?? 0) / NS,
    failureAction: (c.FailureAction || 'pause') as EffectiveUpdateConfig['failureAction'],
    monitorMs: Number(c.Monitor ?? 5000 * NS) / NS,
    maxFailureRatio: Number(c.MaxFailureRatio ?? 0),
    order: (c.Order || 'stop-first') as EffectiveUpdateConfig['order'],
  };
}

export function liveServices(inst: InstanceRecord): ServiceRecord[] {
  return Object.values(inst.services).filter((s) => s.removedAt === undefined).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
}

export function tasksOf(inst: InstanceRecord, serviceId: string): TaskRecord[] {
  return Object.values(inst.tasks).filter((t) => t.serviceId === serviceId).sort((a, b) => a.n - b.n);
}

/** stopMsOf is how long a container takes to stop: the image's own time, cut by the stop grace period (default 10 s). */
function stopMsOf(ctx: SwarmCtx, task: TaskRecord): number {
  const cs = (task.spec.ContainerSpec ?? {}) as { Image?: string; StopGracePeriod?: number };
  const grace = cs.StopGracePeriod !== undefined ? cs.StopGracePeriod / NS : 10_000;
  return Math.min(ctx.world.image(String(cs.Image ?? '')).stopMs ?? 0, grace);
}

function createTask(ctx: SwarmCtx, svc: ServiceRecord, slot: number, at: number, runId?: string): TaskRecord {
  const tt = taskTemplate(svc.spec);
  const cs = containerSpec(svc.spec);
  const image = String(cs.Image ?? '');
  const job = isJob(svc.spec);
  const plan = planTask(image, cs, ctx.world.image(image), ctx.world.timing, at, job);
  const task: TaskRecord = {
    id: dockerId(), serviceId: svc.id, slot, n: ++ctx.inst.seq.task, createdAt: at,
    specKey: specKey(tt), spec: structuredClone(tt), desiredState: job ? 'complete' : 'running', desiredAt: at,
    timeline: plan.timeline, containerId: hex64(), hasHealthcheck: plan.hasHealthcheck, logs: plan.logs,
    ...(runId ? { runId } : {}), ...(job ? { jobIteration: svc.jobIteration } : {}),
  };
  ctx.inst.tasks[task.id] = task;
  svc.slotTasks[String(slot)] = task.id;
  pruneHistory(ctx, svc, slot, at);
  return task;
}

function pruneHistory(ctx: SwarmCtx, svc: ServiceRecord, slot: number, at: number): void {
  const mine = Object.values(ctx.inst.tasks).filter((t) => t.serviceId === svc.id && t.slot === slot).sort((a, b) => b.n - a.n);
  for (const t of mine.slice(HISTORY)) if (endOf(t) && endOf(t)!.at <= at) delete ctx.inst.tasks[t.id];
}

/** reconcileSlots makes the slot set match the mode: new slots get tasks, surplus slots are stopped. */
function reconcileSlots(ctx: SwarmCtx, svc: ServiceRecord, at: number): void {
  const mode = modeOf(svc.spec);
  let wanted: number[];
  if (mode.kind === 'replicated') wanted = Array.from({ length: mode.replicas }, (_, i) => i + 1);
  else if (mode.kind === 'global' || mode.kind === 'global-job') wanted = [0];
  else {
    // A job starts as many tasks as it may run at once; completions start the next ones.
    if (svc.jobCreated === undefined) {
      svc.jobCreated = 0;
      const first = Math.min(mode.maxConcurrent, mode.total);
      for (let i = 1; i <= first; i++) { createTask(ctx, svc, i, at); svc.jobCreated++; }
    }
    return;
  }
  if ((mode.kind === 'global-job') && Object.keys(svc.slotTasks).length > 0) return;
  for (const slot of wanted) if (!svc.slotTasks[String(slot)]) createTask(ctx, svc, slot, at);
  for (const [slot, tid] of Object.entries(svc.slotTasks)) {
    if (wanted.includes(Number(slot))) continue;
    const t = ctx.inst.tasks[tid];
    if (t) stopTask(t, at, stopMsOf(ctx, t));
    delete svc.slotTasks[slot];
  }
}

/** createService registers a service and schedules its first tasks. */
export function createService(ctx: SwarmCtx, spec: Spec, at: number): ServiceRecord {
  const svc: ServiceRecord = {
    id: dockerId(), name: String(spec.Name ?? ''), createdAt: at, updatedAt: at, version: ++ctx.inst.seq.version,
    spec: withDefaults(spec), restarts: {}, slotTasks: {}, counted: [], jobIteration: 0,
  };
  ctx.inst.services[svc.id] = svc;
  reconcileSlots(ctx, svc, at);
  return svc;
}

/** updateService is `docker service update`: the old spec becomes PreviousSpec, UpdateStatus resets, dirty slots roll. */
export function updateService(ctx: SwarmCtx, svc: ServiceRecord, spec: Spec, at: number): void {
  svc.previousSpec = svc.spec;
  svc.spec = withDefaults(spec);
  svc.version = ++ctx.inst.seq.version;
  svc.updatedAt = at;
  // swarmkit resets the update status on every update; the updater sets it again when slots are dirty.
  svc.updateStatus = undefined;
  svc.run = undefined;
  svc.restarts = {};
  if (isJob(svc.spec)) {
    if (specKey(taskTemplate(svc.spec)) !== specKey(taskTemplate(svc.previousSpec))) {
      svc.jobIteration++;
      svc.jobCreated = undefined;
      for (const tid of Object.values(svc.slotTasks)) { const t = ctx.inst.tasks[tid]; if (t) stopTask(t, at, stopMsOf(ctx, t)); }
      svc.slotTasks = {};
      reconcileSlots(ctx, svc, at);
    }
    return;
  }
  reconcileSlots(ctx, svc, at);
  startRun(ctx, svc, 'update', at);
}

/** rollbackService is `docker service rollback`: PreviousSpec comes back under the rollback config. */
export function rollbackService(ctx: SwarmCtx, svc: ServiceRecord, at: number, message = 'manually requested rollback'): boolean {
  if (!svc.previousSpec) return false;
  const cur = svc.spec;
  svc.spec = svc.previousSpec;
  svc.previousSpec = cur;
  svc.version = ++ctx.inst.seq.version;
  svc.updatedAt = at;
  svc.updateStatus = { State: 'rollback_started', StartedAt: dockerTime(at), Message: message };
  svc.run = undefined;
  reconcileSlots(ctx, svc, at);
  startRun(ctx, svc, 'rollback', at);
  return true;
}

/** removeService is `docker service rm`: the service goes at once, its tasks stop and disappear once shut down. */
export function removeService(ctx: SwarmCtx, svc: ServiceRecord, at: number): void {
  svc.removedAt = at;
  svc.run = undefined;
  for (const t of tasksOf(ctx.inst, svc.id)) stopTask(t, at, stopMsOf(ctx, t), 'remove');
}

/** goneAt is when every task of these services has ended (for Portainer's waitOnTasks). */
export function goneAt(ctx: SwarmCtx, serviceIds: string[], at: number): number {
  let t = at;
  for (const task of Object.values(ctx.inst.tasks)) {
    if (!serviceIds.includes(task.serviceId)) continue;
    const end = endOf(task);
    t = Math.max(t, end?.at ?? Infinity);
  }
  return t;
}

/** liveInSlot lists the tasks of a slot still meant to run at `at` (start-first leaves two during an update). */
function liveInSlot(ctx: SwarmCtx, svc: ServiceRecord, slot: number, at: number): TaskRecord[] {
  return Object.values(ctx.inst.tasks).filter((t) => t.serviceId === svc.id && t.slot === slot && t.desiredState === 'running' && !TERMINAL.has(entryAt(t, at).state));
}

function startRun(ctx: SwarmCtx, svc: ServiceRecord, kind: UpdateKind, at: number): void {
  const key = specKey(taskTemplate(svc.spec));
  // swarmkit's isSlotDirty: the current task differs from the spec, or the slot holds more than one live task.
  const dirty = Object.entries(svc.slotTasks)
    .filter(([slot, tid]) => ctx.inst.tasks[tid]?.specKey !== key || liveInSlot(ctx, svc, Number(slot), at).length > 1)
    .map(([s]) => Number(s)).sort((a, b) => a - b);
  if (dirty.length === 0) {
    if (svc.updateStatus?.State === 'updating' || svc.updateStatus?.State === 'rollback_started') completeRun(svc, kind, at);
    svc.run = undefined;
    return;
  }
  if (kind === 'update') svc.updateStatus = { State: 'updating', StartedAt: dockerTime(at), Message: 'update in progress' };
  svc.run = {
    id: dockerId(), kind, config: effectiveConfig(svc.spec, kind === 'rollback' ? 'RollbackConfig' : 'UpdateConfig'),
    pending: dirty, batch: [], created: [], failures: 0, totalSlots: dirty.length, nextBatchAt: at,
  };
}

function completeRun(svc: ServiceRecord, kind: UpdateKind, at: number): void {
  svc.updateStatus = {
    State: kind === 'rollback' ? 'rollback_completed' : 'completed',
    StartedAt: svc.updateStatus?.StartedAt ?? dockerTime(at), CompletedAt: dockerTime(at),
    Message: kind === 'rollback' ? 'rollback completed' : 'update completed',
  };
  svc.run = undefined;
}

function startBatch(ctx: SwarmCtx, svc: ServiceRecord, at: number): void {
  const run = svc.run!;
  const n = run.config.parallelism === 0 ? run.pending.length : run.config.parallelism;
  const slots = run.pending.splice(0, n);
  run.nextBatchAt = undefined;
  const key = specKey(taskTemplate(svc.spec));
  run.batch = slots.map((slot) => {
    // useExistingTask: a live task already matching the spec (the old one a start-first update kept) is kept, the rest stop.
    const live = liveInSlot(ctx, svc, slot, at);
    const clean = live.filter((t) => t.specKey === key).sort((a, b) => b.n - a.n)[0];
    if (clean) {
      for (const t of live) if (t !== clean) stopTask(t, at, stopMsOf(ctx, t));
      svc.slotTasks[String(slot)] = clean.id;
      run.created.push(clean.id);
      return { slot, newTask: clean.id, oldStopped: true, startedAt: at };
    }
    const old = svc.slotTasks[String(slot)] ? ctx.inst.tasks[svc.slotTasks[String(slot)]!] : undefined;
    if (run.config.order === 'stop-first') {
      if (old) stopTask(old, at, stopMsOf(ctx, old));
      return { slot, newTask: '', oldTask: old?.id, oldStopped: true, startedAt: at };
    }
    const nt = createTask(ctx, svc, slot, at, run.id);
    run.created.push(nt.id);
    return { slot, newTask: nt.id, oldTask: old?.id, oldStopped: false, startedAt: at };
  });
}

function failTask(ctx: SwarmCtx, svc: ServiceRecord, tid: string, at: number): void {
  const run = svc.run!;
  svc.counted.push(tid);
  run.failures++;
  const entry = run.batch.find((e) => e.newTask === tid);
  const tolerated = run.failures / Math.max(1, run.totalSlots) <= run.config.maxFailureRatio;
  const action = tolerated ? 'continue' : run.config.failureAction;
  if (action === 'continue') {
    if (entry && entry.done === undefined) entry.done = at;
    return;
  }
  if (action === 'rollback' && run.kind === 'update' && svc.previousSpec) {
    rollbackService(ctx, svc, at, `update rolled back due to failure or early termination of task ${tid}`);
    return;
  }
  // A failing rollback is never rolled back again: it pauses.
  svc.updateStatus = {
    State: run.kind === 'rollback' ? 'rollback_paused' : 'paused',
    StartedAt: svc.updateStatus?.StartedAt ?? dockerTime(at),
    Message: `${run.kind === 'rollback' ? 'rollback' : 'update'} paused due to failure or early termination of task ${tid}`,
  };
  svc.run = undefined;
}

function runEvents(ctx: SwarmCtx, svc: ServiceRecord, out: SwarmEvent[]): void {
  const run = svc.run;
  if (!run) return;
  const tasks = ctx.inst.tasks;
  for (const tid of run.created) {
    const t = tasks[tid];
    if (!t || svc.counted.includes(tid)) continue;
    const end = endOf(t);
    if (!end) continue;
    const failed = end.state === 'failed' || end.state === 'rejected' || (end.state === 'shutdown' && t.stopAt === undefined);
    const r = runningAt(t);
    if (!failed || (r !== undefined && end.at > r + run.config.monitorMs)) continue;
    out.push({ at: end.at, prio: 1, key: `${svc.id}:fail:${tid}`, run: () => failTask(ctx, svc, tid, end.at) });
  }
  if (run.batch.length === 0) {
    if (run.nextBatchAt !== undefined) { const at = run.nextBatchAt; out.push({ at, prio: 4, key: `${svc.id}:batch`, run: () => startBatch(ctx, svc, at) }); }
    return;
  }
  for (const e of run.batch) {
    if (!e.newTask) {
      const old = e.oldTask ? tasks[e.oldTask] : undefined;
      const at = Math.max(e.startedAt ?? 0, old ? (endOf(old)?.at ?? Infinity) : 0);
      if (Number.isFinite(at)) out.push({ at, prio: 3, key: `${svc.id}:create:${e.slot}`, run: () => { const nt = createTask(ctx, svc, e.slot, at, run.id); e.newTask = nt.id; run.created.push(nt.id); } });
    } else if (e.done === undefined) {
      const r = runningAt(tasks[e.newTask]!);
      if (r !== undefined) {
        out.push({ at: r, prio: 2, key: `${svc.id}:running:${e.slot}`, run: () => {
          e.done = r;
          const old = e.oldTask ? tasks[e.oldTask] : undefined;
          if (!e.oldStopped && old) stopTask(old, r, stopMsOf(ctx, old));
          e.oldStopped = true;
        } });
      }
    }
  }
  if (run.batch.every((e) => e.done !== undefined)) {
    const maxDone = Math.max(...run.batch.map((e) => e.done!));
    if (run.pending.length > 0) {
      const at = maxDone + run.config.delayMs;
      out.push({ at, prio: 4, key: `${svc.id}:batch`, run: () => startBatch(ctx, svc, at) });
    } else {
      // Done once the monitor window of every new task has passed without a failure.
      let at = maxDone;
      for (const tid of run.created) { const r = tasks[tid] ? runningAt(tasks[tid]!) : undefined; if (r !== undefined) at = Math.max(at, r + run.config.monitorMs); }
      out.push({ at, prio: 5, key: `${svc.id}:complete`, run: () => completeRun(svc, run.kind, at) });
    }
  }
}

function restartEvents(ctx: SwarmCtx, svc: ServiceRecord, out: SwarmEvent[]): void {
  const policy = restartPolicy(svc.spec);
  const mode = modeOf(svc.spec);
  for (const [slotKey, tid] of Object.entries(svc.slotTasks)) {
    const t = ctx.inst.tasks[tid];
    if (!t || t.handled) continue;
    const end = endOf(t);
    if (!end) continue;
    const slot = Number(slotKey);
    const mark = () => { t.handled = true; };
    if (t.stopAt !== undefined) { out.push({ at: end.at, prio: 6, key: `${t.id}:stopped`, run: mark }); continue; }
    if (end.state === 'complete' && mode.kind === 'replicated-job') {
      out.push({ at: end.at, prio: 6, key: `${t.id}:done`, run: () => {
        mark();
        if ((svc.jobCreated ?? 0) < mode.total) { svc.jobCreated = (svc.jobCreated ?? 0) + 1; createTask(ctx, svc, svc.jobCreated, end.at); }
      } });
      continue;
    }
    const wants = policy.condition === 'any' ? !(isJob(svc.spec) && end.state === 'complete') : policy.condition === 'on-failure' ? end.state !== 'complete' : false;
    const allowed = policy.maxAttempts === 0 || (svc.restarts[slotKey] ?? 0) < policy.maxAttempts;
    if (!wants || !allowed) { out.push({ at: end.at, prio: 6, key: `${t.id}:final`, run: mark }); continue; }
    const at = end.at + policy.delayMs;
    out.push({ at, prio: 6, key: `${t.id}:restart`, run: () => {
      mark();
      t.desiredState = 'shutdown';
      t.desiredAt = at;
      svc.restarts[slotKey] = (svc.restarts[slotKey] ?? 0) + 1;
      createTask(ctx, svc, slot, at);
    } });
  }
}

/** settle runs every engine event due by `now` in time order; `extra` adds events from outside (stack deploys). */
export function settle(ctx: SwarmCtx, now: number, extra: () => SwarmEvent[] = () => []): void {
  for (let i = 0; ; i++) {
    if (i > 200_000) throw new Error('portainer simulator: too many events while settling');
    const events: SwarmEvent[] = [...extra()];
    for (const svc of liveServices(ctx.inst)) { runEvents(ctx, svc, events); restartEvents(ctx, svc, events); }
    let next: SwarmEvent | undefined;
    for (const e of events) {
      if (e.at > now) continue;
      if (!next || e.at < next.at || (e.at === next.at && (e.prio < next.prio || (e.prio === next.prio && e.key < next.key)))) next = e;
    }
    if (!next) break;
    next.run();
  }
  gc(ctx, now);
}

/** gc forgets tasks of removed services once they ended, and the services once they have no tasks. */
function gc(ctx: SwarmCtx, now: number): void {
  for (const t of Object.values(ctx.inst.tasks)) {
    if (t.desiredState !== 'remove') continue;
    const end = endOf(t);
    if (end && end.at <= now) delete ctx.inst.tasks[t.id];
  }
  for (const svc of Object.values(ctx.inst.services)) {
    if (svc.removedAt !== undefined && !Object.values(ctx.inst.tasks).some((t) => t.serviceId === svc.id)) delete ctx.inst.services[svc.id];
  }
}

/** serviceStatus is `ServiceStatus` of `GET /services?status=true`. */
export function serviceStatus(ctx: SwarmCtx, svc: ServiceRecord, now: number): { RunningTasks: number; DesiredTasks: number; CompletedTasks: number } {
  const tasks = tasksOf(ctx.inst, svc.id);
  const running = tasks.filter((t) => t.desiredState === 'running' && entryAt(t, now).state === 'running').length;
  const completed = tasks.filter((t) => t.jobIteration === svc.jobIteration && entryAt(t, now).state === 'complete').length;
  const mode = modeOf(svc.spec);
  let desired: number;
  if (mode.kind === 'replicated') desired = mode.replicas;
  else if (mode.kind === 'global') desired = 1;
  else if (mode.kind === 'replicated-job') desired = Math.max(0, Math.min(mode.maxConcurrent, mode.total - completed));
  else desired = completed > 0 ? 0 : 1;
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}
