// Task lifecycle on the sim clock: the states one Swarm task passes through, from the image behaviour and its healthcheck.
import type { ImageBehaviour, SwarmTiming, TaskRecord, TaskState, TimelineEntry } from './portainer-state.js';
import { TERMINAL } from './portainer-state.js';

/** Healthcheck is the engine's view of ContainerSpec.Healthcheck, in ms. */
export interface Healthcheck { intervalMs: number; retries: number; startPeriodMs: number; startIntervalMs: number }

const NS = 1e6;

/** healthcheckOf reads ContainerSpec.Healthcheck (nanosecond durations) with Docker's defaults; NONE or empty means none. */
export function healthcheckOf(containerSpec: Record<string, unknown>): Healthcheck | undefined {
  const hc = containerSpec.Healthcheck as { Test?: string[]; Interval?: number; Retries?: number; StartPeriod?: number; StartInterval?: number } | undefined;
  if (!hc || !Array.isArray(hc.Test) || hc.Test.length === 0 || hc.Test[0] === 'NONE') return undefined;
  return {
    intervalMs: hc.Interval ? hc.Interval / NS : 30_000,
    retries: hc.Retries ?? 3,
    startPeriodMs: hc.StartPeriod ? hc.StartPeriod / NS : 0,
    startIntervalMs: hc.StartInterval ? hc.StartInterval / NS : 5_000,
  };
}

/** probeOutcome runs the healthcheck schedule: first passing probe (healthy) or the probe that exhausts the retries. */
export function probeOutcome(hc: Healthcheck, readyAfterMs: number, alwaysFails: boolean): { healthyAfter?: number; unhealthyAfter?: number } {
  let t = 0;
  let fails = 0;
  for (let i = 0; i < 100_000; i++) {
    // During the start period Docker probes every start_interval; failures there do not count.
    t += t < hc.startPeriodMs ? hc.startIntervalMs : hc.intervalMs;
    if (!alwaysFails && t >= readyAfterMs) return { healthyAfter: t };
    if (t > hc.startPeriodMs) fails++;
    if (fails >= Math.max(1, hc.retries)) return { unhealthyAfter: t };
  }
  return {};
}

export interface TaskPlan { timeline: TimelineEntry[]; logs: TaskRecord['logs']; hasHealthcheck: boolean }

/** planTask computes the whole life of a new task started at `at`, as long as nobody stops it. */
export function planTask(image: string, containerSpec: Record<string, unknown>, b: ImageBehaviour, timing: SwarmTiming, at: number, isJob: boolean): TaskPlan {
  const tl: TimelineEntry[] = [];
  const logs: TaskRecord['logs'] = [];
  const push = (t: number, state: TaskState, message: string, extra: Partial<TimelineEntry> = {}) => { tl.push({ at: t, state, message, ...extra }); };
  const step = timing.scheduleStepMs;
  let t = at;
  push(t, 'new', 'created');
  push(t += step, 'allocated', 'allocated');
  push(t += step, 'pending', 'pending task scheduling');
  push(t += step, 'assigned', 'scheduler assigned task to node');
  push(t += step, 'accepted', 'accepted');
  push(t += step, 'preparing', 'preparing');
  const bare = image.split('@')[0]!;
  if (b.pullFails) {
    push(t + timing.pullMs, 'rejected', 'preparing', { err: `No such image: ${bare}` });
    return { timeline: tl, logs, hasHealthcheck: false };
  }
  push(t += timing.pullMs, 'ready', 'prepared');
  const start = t + step;
  push(start, 'starting', 'starting');
  // An image with an exit code runs to completion like a job, whatever the service mode (restart_policy none one-shots).
  const oneShot = isJob || b.exitCode !== undefined;
  const hc = oneShot ? undefined : healthcheckOf(containerSpec);

  if (oneShot) {
    const running = start + timing.startMs;
    push(running, 'running', 'started');
    const end = running + (b.runMs ?? timing.jobRunMs);
    for (const line of (b.output ?? '').split('\n').filter((l) => l.length > 0)) logs.push({ at: running, stream: 1, line });
    const code = b.exitCode ?? 0;
    if (code === 0) push(end, 'complete', 'finished', { exitCode: 0 });
    else {
      if (!b.output) logs.push({ at: end, stream: 2, line: `exited with code ${code}` });
      push(end, 'failed', 'started', { err: `task: non-zero exit (${code})`, exitCode: code });
    }
    return { timeline: tl, logs, hasHealthcheck: false };
  }

  const crashAt = b.crashAfterMs === undefined ? undefined : start + b.crashAfterMs;
  let runningAt: number | undefined;
  let unhealthyAt: number | undefined;
  if (!hc) runningAt = start + timing.startMs;
  else {
    const out = probeOutcome(hc, b.readyAfterMs ?? 0, b.unhealthy === true);
    if (out.healthyAfter !== undefined) runningAt = start + out.healthyAfter;
    if (out.unhealthyAfter !== undefined) unhealthyAt = start + out.unhealthyAfter;
  }
  logs.push({ at: start, stream: 1, line: `${bare} starting` });
  if (crashAt !== undefined && (runningAt === undefined || crashAt < runningAt) && (unhealthyAt === undefined || crashAt < unhealthyAt)) {
    logs.push({ at: crashAt, stream: 2, line: `${bare}: fatal error, exiting with code 1` });
    push(crashAt, 'failed', 'starting', { err: 'task: non-zero exit (1)', exitCode: 1 });
    return { timeline: tl, logs, hasHealthcheck: hc !== undefined };
  }
  if (runningAt !== undefined) {
    push(runningAt, 'running', 'started');
    logs.push({ at: runningAt, stream: 1, line: `${bare} ready` });
    if (crashAt !== undefined) {
      logs.push({ at: crashAt, stream: 2, line: `${bare}: fatal error, exiting with code 1` });
      push(crashAt, 'failed', 'started', { err: 'task: non-zero exit (1)', exitCode: 1 });
    }
  } else if (unhealthyAt !== undefined) {
    logs.push({ at: unhealthyAt, stream: 2, line: `${bare}: healthcheck failed ${hc!.retries} times` });
    push(unhealthyAt, 'failed', 'starting', { err: 'task: non-zero exit (137): dockerexec: unhealthy container', exitCode: 137 });
  }
  return { timeline: tl, logs, hasHealthcheck: hc !== undefined };
}

/** entryAt is the task's state entry at `now`. */
export function entryAt(task: TaskRecord, now: number): TimelineEntry {
  let cur = task.timeline[0]!;
  for (const e of task.timeline) { if (e.at <= now) cur = e; else break; }
  return cur;
}

/** endOf is the terminal entry of the task's plan, if it has one. */
export function endOf(task: TaskRecord): TimelineEntry | undefined {
  const last = task.timeline[task.timeline.length - 1]!;
  return TERMINAL.has(last.state) ? last : undefined;
}

/** runningAt is when the task reached `running`, if it does. */
export function runningAt(task: TaskRecord): number | undefined {
  return task.timeline.find((e) => e.state === 'running')?.at;
}

/** stopTask asks a task to stop at `at`: a started container shuts down after `stopMs`, anything earlier at once. */
export function stopTask(task: TaskRecord, at: number, stopMs: number, desired: TaskRecord['desiredState'] = 'shutdown'): void {
  task.desiredState = desired;
  task.desiredAt = at;
  const cur = entryAt(task, at);
  if (TERMINAL.has(cur.state)) return;
  task.stopAt = at;
  task.timeline = task.timeline.filter((e) => e.at <= at);
  task.logs = task.logs.filter((l) => l.at <= at);
  const started = cur.state === 'starting' || cur.state === 'running';
  task.timeline.push({ at: started ? at + stopMs : at, state: 'shutdown', message: 'shutdown' });
}
