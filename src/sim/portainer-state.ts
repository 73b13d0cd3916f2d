// Portainer simulator state: instances (one per simulated server), their swarm objects, image behaviours and timing.
import { createHash, randomBytes } from 'node:crypto';

/** Docker task states in swarmkit order (Portainer's taskStateOrdinal mirrors docker/cli). */
export const TASK_STATES = ['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running', 'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'] as const;
export type TaskState = (typeof TASK_STATES)[number];
/** Terminal states: everything after `running`. */
export const TERMINAL: ReadonlySet<TaskState> = new Set<TaskState>(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);

/** Stack Status values; Deploying 3 and Error 4 come from a third-party code map of 2.45 (unverified). */
export const STACK_ACTIVE = 1;
export const STACK_INACTIVE = 2;
export const STACK_DEPLOYING = 3;
export const STACK_ERROR = 4;

/** TimelineEntry is one state a task enters at a sim time; a task's state at t is the last entry at or before t. */
export interface TimelineEntry { at: number; state: TaskState; message: string; err?: string; exitCode?: number }

export interface TaskRecord {
  id: string;
  serviceId: string;
  slot: number;
  /** Creation order within the instance, for stable listings. */
  n: number;
  createdAt: number;
  /** Hash of the TaskTemplate this task runs: a task is dirty when it differs from its service's. */
  specKey: string;
  spec: Record<string, unknown>;
  desiredState: 'running' | 'shutdown' | 'complete' | 'remove';
  desiredAt: number;
  timeline: TimelineEntry[];
  containerId: string;
  /** When the task was asked to stop, if it was. */
  stopAt?: number;
  /** Set once the orchestrator reacted to this task ending (restart scheduled or declined). */
  handled?: boolean;
  /** Update run that created this task, for failure monitoring. */
  runId?: string;
  hasHealthcheck: boolean;
  /** Container output with the sim time each line was written; stream 1 is stdout, 2 stderr. */
  logs: Array<{ at: number; stream: 1 | 2; line: string }>;
  jobIteration?: number;
}

export type UpdateKind = 'update' | 'rollback';

/** EffectiveUpdateConfig is UpdateConfig/RollbackConfig with Swarm's defaults filled in, durations in ms. */
export interface EffectiveUpdateConfig {
  parallelism: number;
  delayMs: number;
  failureAction: 'pause' | 'continue' | 'rollback';
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

/** UpdateRun is a rolling update (or rollback) in progress. */
export interface UpdateRun {
  id: string;
  kind: UpdateKind;
  config: EffectiveUpdateConfig;
  /** Slots not yet started, in order. */
  pending: number[];
  /** Slots of the current batch: the new task, the old one it replaces, whether the old one was stopped already. */
  batch: Array<{ slot: number; newTask: string; oldTask?: string; oldStopped: boolean; startedAt?: number; done?: number }>;
  /** Tasks created by this run. */
  created: string[];
  failures: number;
  totalSlots: number;
  /** Time the next batch may start, when the current one finished. */
  nextBatchAt?: number;
}

export interface UpdateStatusRecord { State: string; StartedAt?: string; CompletedAt?: string; Message: string }

export interface ServiceRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  version: number;
  spec: Record<string, unknown>;
  previousSpec?: Record<string, unknown>;
  updateStatus?: UpdateStatusRecord;
  run?: UpdateRun;
  /** Restarts per slot since the spec last changed (for max_attempts). */
  restarts: Record<string, number>;
  /** The current task of each slot (newest); older ones are history or being replaced. */
  slotTasks: Record<string, string>;
  /** Failures of this service's tasks the updater already counted. */
  counted: string[];
  jobIteration: number;
  /** Job slots created so far (replicated-job TotalCompletions). */
  jobCreated?: number;
  /** Set when `docker service rm` or a stack removal took the service away; tasks linger until shut down. */
  removedAt?: number;
}

export interface StackDeployment {
  at: number;
  prune: boolean;
  repull: boolean;
  /** File to restore when the deploy fails (RollbackStackFile); absent for a create. */
  previousFile?: string;
  isCreate: boolean;
}

export interface StackRecord {
  id: number;
  name: string;
  endpointId: number;
  swarmId: string;
  env: Array<{ name: string; value: string }>;
  file: string;
  status: number;
  deploymentStatus: Array<{ Status: number; Time: number; Message: string }>;
  creationDate: number;
  createdBy: string;
  updateDate: number;
  updatedBy: string;
  option: { Prune: boolean } | null;
  deploy?: StackDeployment;
  /** What the last deploy logged: ignored options, unset variables. */
  warnings: string[];
}

export interface NetworkRecord {
  id: string;
  name: string;
  driver: string;
  scope: 'swarm' | 'local';
  attachable: boolean;
  internal: boolean;
  ingress: boolean;
  labels: Record<string, string>;
  created: number;
}

export interface SecretRecord {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** sha256 of the data: the value itself is never kept nor returned. */
  digest: string;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface VolumeRecord { name: string; labels: Record<string, string>; createdAt: number }

export interface UserRecord { id: number; username: string; salt: string; passwordHash: string; role: number }

export interface ApiKeyRecord { id: number; userId: number; description: string; prefix: string; digest: string; dateCreated: number; lastUsed: number }

export interface InstanceRecord {
  id: number;
  /** Portainer's InstanceID (a UUID). */
  instanceId: string;
  startedAt: number;
  hostname: string;
  nodeId: string;
  nodeAddress: string;
  swarmId: string;
  swarmCreatedAt: number;
  jwtSecret: string;
  users: UserRecord[];
  apiKeys: ApiKeyRecord[];
  stacks: Record<string, StackRecord>;
  services: Record<string, ServiceRecord>;
  tasks: Record<string, TaskRecord>;
  networks: Record<string, NetworkRecord>;
  secrets: Record<string, SecretRecord>;
  volumes: Record<string, VolumeRecord>;
  seq: { stack: number; apiKey: number; user: number; version: number; task: number };
  /** Per-IP bans of the /api/auth limiter: ip → {hits within the window, banned until}. */
  authLimiter: Record<string, { tokens: number; last: number; bannedUntil: number }>;
}

/** ImageBehaviour is how a simulated image acts, set through control verbs; default: pulls, starts, stays healthy. */
export interface ImageBehaviour {
  /** The registry has no such image: tasks end `rejected` with `No such image`. */
  pullFails?: boolean;
  /** The container exits with code 1 this long after it started (crash loop under the restart policy). */
  crashAfterMs?: number;
  /** Healthchecks always fail: the task stays `starting`, then fails as unhealthy. */
  unhealthy?: boolean;
  /** Time from start until healthchecks pass (an app migrating at boot). */
  readyAfterMs?: number;
  /** One-shot jobs: exit code and output of the container. */
  exitCode?: number;
  output?: string;
  /** How long a job runs before it exits. */
  runMs?: number;
  /** Time the container takes to stop after SIGTERM. */
  stopMs?: number;
  /** Digest suffix; changing it moves the tag to a new digest. */
  digestSeed?: string;
}

/** SwarmTiming is how long the simulated engine takes for each step, in sim ms. */
export interface SwarmTiming {
  /** new → allocated → pending → assigned → accepted → preparing, each step. */
  scheduleStepMs: number;
  /** preparing → ready (image pull). */
  pullMs: number;
  /** starting → running for a container without a healthcheck. */
  startMs: number;
  /** Default run time of a one-shot job. */
  jobRunMs: number;
}

export const DEFAULT_TIMING: SwarmTiming = { scheduleStepMs: 10, pullMs: 1000, startMs: 500, jobRunMs: 1000 };

/** PortainerVersion is what /api/system/status reports. */
export const PORTAINER_VERSION = '2.45.0';
/** Docker Engine 29 API range: 1.44 is the minimum (portainer#12950 shows a pinned /v1.41/ failing). */
export const DOCKER_API_MIN = [1, 44] as const;
export const DOCKER_API_MAX = [1, 52] as const;
export const DOCKER_VERSION = '29.0.1';

/** dockerId is a 25-character lowercase base-36 id like swarmkit's. */
export function dockerId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(25);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export function hex64(): string { return randomBytes(32).toString('hex'); }

export function sha256(text: string): string { return createHash('sha256').update(text).digest('hex'); }

/** iso renders a sim time like Docker does (RFC 3339 with nanoseconds). */
export function dockerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** PortainerWorld holds every simulated Portainer plus world-wide image behaviours and timing. */
export class PortainerWorld {
  instances: Record<string, InstanceRecord> = {};
  images: Record<string, ImageBehaviour> = {};
  deployDelayMs: number;
  timing: SwarmTiming;
  readonly #defaults: { deployDelayMs: number; timing: SwarmTiming };

  constructor(deployDelayMs: number, timing: SwarmTiming) {
    this.#defaults = { deployDelayMs, timing: { ...timing } };
    this.deployDelayMs = deployDelayMs;
    this.timing = { ...timing };
  }

  instance(id: number): InstanceRecord | undefined { return this.instances[String(id)]; }

  /** image returns the behaviour of an image reference (tag or digest stripped forms are looked up too). */
  image(ref: string): ImageBehaviour {
    const bare = ref.split('@')[0]!;
    return this.images[bare] ?? this.images[withDefaultTag(bare)] ?? {};
  }

  snapshot(): unknown {
    return structuredClone({ instances: this.instances, images: this.images, deployDelayMs: this.deployDelayMs, timing: this.timing });
  }

  restore(raw: unknown): void {
    const s = structuredClone(raw ?? {}) as Partial<{ instances: Record<string, InstanceRecord>; images: Record<string, ImageBehaviour>; deployDelayMs: number; timing: SwarmTiming }>;
    this.reset();
    this.instances = s.instances ?? {};
    this.images = s.images ?? {};
    if (typeof s.deployDelayMs === 'number') this.deployDelayMs = s.deployDelayMs;
    if (s.timing) this.timing = { ...this.timing, ...s.timing };
  }

  reset(): void {
    this.instances = {};
    this.images = {};
    this.deployDelayMs = this.#defaults.deployDelayMs;
    this.timing = { ...this.#defaults.timing };
  }
}

/** withDefaultTag adds `:latest` to a reference without a tag, as Docker does. */
export function withDefaultTag(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}
