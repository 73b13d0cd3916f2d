// AppPlatform: the AppDeployment controller's only I/O, one server's Portainer in domain words (the Portainer client satisfies it).
//
// Failures are DomainErrors with the closed codes: Locked (a deploy is in progress: wait), Conflict (a name is taken),
// NotFound, Unauthorized, Invalid, RateLimited, Unavailable. Steady observation of a server is listStacks + listServices
// + listTasks: three requests however many apps it runs. Everything else is called only when acting.

/** StackStatus: Portainer 2.45 deploys asynchronously, so a stack is `deploying` until it turns `active` or `error`. */
export type StackStatus = 'active' | 'inactive' | 'deploying' | 'error';

export interface Stack {
  id: number;
  name: string;
  status: StackStatus;
  /** The Docker error of the last failed deploy (for `error`), or the last deployment message. */
  message?: string;
  /** The stack's Env as Portainer holds it; values may be secrets: mask before logging. */
  env: Record<string, string>;
  /** Last update (or creation) in epoch ms: a newer time than ours suggests the file changed outside livchat. */
  updatedAt: number;
  createdAt: number;
  /** Who last changed it, as Portainer records it. */
  updatedBy?: string;
  swarmId: string;
  endpointId: number;
}

/** UpdateState mirrors Swarm's UpdateStatus.State; `rollback_completed` and `paused` mean the update failed. */
export type UpdateState = 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

export type ServiceMode = 'replicated' | 'global' | 'replicated-job' | 'global-job';

export interface Service {
  id: string;
  /** `<stack>_<service>`. */
  name: string;
  /** The stack namespace label, when the service belongs to one. */
  stack?: string;
  /** The image as written (tag), without the digest Swarm pinned. */
  image: string;
  /** The pinned digest (`sha256:…`), when the image was resolved. */
  digest?: string;
  mode: ServiceMode;
  /** Replicas for replicated services; undefined for global ones. */
  replicas?: number;
  /** Service labels (`deploy.labels`). */
  labels: Record<string, string>;
  /** Container environment; values may be secrets. */
  env: Record<string, string>;
  running: number;
  desired: number;
  /** Completed tasks (jobs only). */
  completed: number;
  /** Absent until the service was first updated with a task change. */
  update?: { state: UpdateState; message: string; startedAt?: number; completedAt?: number };
  /** Swarm's version of the service object. */
  version: number;
}

export type TaskState =
  | 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting' | 'running'
  | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

export interface Task {
  id: string;
  serviceId: string;
  slot?: number;
  state: TaskState;
  desiredState: string;
  /** Swarm's error, e.g. `No such image: x:y` for a rejected task. */
  err?: string;
  message: string;
  exitCode?: number;
  /** True while running with a passing healthcheck; undefined when the task has no healthcheck. */
  healthy?: boolean;
  image: string;
  /** Epoch ms of the last state change. */
  updatedAt: number;
}

export interface Environment { endpointId: number; swarmId: string }

export interface Secret { id: string; name: string; labels: Record<string, string>; createdAt: number }

export interface StackInput {
  name: string;
  file: string;
  /** The whole Env: Portainer's PUT replaces it, so every update sends all of it. */
  env: Record<string, string>;
}

export interface StackUpdate {
  file: string;
  env: Record<string, string>;
  /** Remove services no longer in the file; default true. */
  prune?: boolean;
  /** Re-resolve image digests (RepullImageAndRedeploy); default false keeps running digests for unchanged images. */
  pullImages?: boolean;
}

export interface JobSpec {
  /** A unique service name, e.g. `<stack>_migrate_<hash>`. */
  name: string;
  image: string;
  command?: string[];
  env?: Record<string, string>;
  /** Docker secrets by name, mounted at /run/secrets/<target>. */
  secrets?: Array<{ name: string; target?: string }>;
  /** Network names; the stack's overlay must be attachable. */
  networks?: string[];
  labels?: Record<string, string>;
}

export interface JobHandle { serviceId: string; name: string }

export interface JobStatus {
  state: 'pending' | 'running' | 'complete' | 'failed';
  exitCode?: number;
  err?: string;
  /** The job's output, once it ended. */
  output?: string;
}

/** AppPlatform is one server's Portainer: bootstrap, observation, and the actions the AppDeployment controller takes. */
export interface AppPlatform {
  /** adminInitialised tells whether the admin exists (it does when the password was handed over as a file). */
  adminInitialised(): Promise<boolean>;
  /** login returns a JWT and the user id inside it (needed to create a token). */
  login(username: string, password: string): Promise<{ jwt: string; userId: number }>;
  /** createToken makes an API key; Portainer demands the JWT and the current password. The raw key is shown once. */
  createToken(jwt: string, userId: number, password: string, description: string): Promise<string>;
  /** environment finds the swarm environment and its cluster (Swarm) id. */
  environment(): Promise<Environment>;

  listStacks(): Promise<Stack[]>;
  /** listServices returns every livchat-labelled service with its status and update state, in one request. */
  listServices(): Promise<Service[]>;
  /** listTasks returns every task of the swarm (history included), in one request. */
  listTasks(): Promise<Task[]>;

  stackFile(id: number): Promise<string>;
  createStack(input: StackInput): Promise<Stack>;
  updateStack(id: number, update: StackUpdate): Promise<Stack>;
  /** deleteStack returns once the stack's tasks are gone (volumes stay). */
  deleteStack(id: number): Promise<void>;

  listSecrets(): Promise<Secret[]>;
  createSecret(name: string, value: string, labels: Record<string, string>): Promise<Secret>;
  deleteSecret(id: string): Promise<void>;

  /** serviceLogs returns the last `tail` lines of a service's output, stdout and stderr merged. */
  serviceLogs(serviceId: string, tail: number): Promise<string[]>;
  runJob(spec: JobSpec): Promise<JobHandle>;
  jobStatus(handle: JobHandle): Promise<JobStatus>;
  removeJob(handle: JobHandle): Promise<void>;
}

// Compile-time proof that the Portainer client satisfies this port (a type-only import: no runtime dependency).
type Satisfies<T extends AppPlatform> = T;
export type PortainerClientSatisfiesPort = Satisfies<import('../../src/providers/portainer.js').PortainerClient>;
