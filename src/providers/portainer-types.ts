// Portainer client types: the wire shapes it reads (Portainer's PascalCase, Docker's proxy) and the domain shapes it returns.

/** WireStack is a stack as `GET /api/stacks` returns it. */
export interface WireStack {
  Id: number;
  Name: string;
  Type: number;
  EndpointId: number;
  SwarmId: string;
  Env: Array<{ name: string; value: string }> | null;
  Status: number;
  DeploymentStatus?: Array<{ Status: number; Time: number; Message?: string }> | null;
  CreationDate: number;
  CreatedBy?: string;
  UpdateDate: number;
  UpdatedBy?: string;
}

export interface WireEndpoint { Id: number; Name: string; Type: number; URL: string; Status: number }

export interface WireService {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate?: { ContainerSpec?: { Image?: string; Env?: string[] } };
    Mode?: { Replicated?: { Replicas?: number }; Global?: object; ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number }; GlobalJob?: object };
  };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string; CompletedAt?: string };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number; CompletedTasks?: number };
}

export interface WireTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  UpdatedAt?: string;
  DesiredState: string;
  Status: { Timestamp?: string; State: string; Message?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
  Spec?: { ContainerSpec?: { Image?: string; Healthcheck?: { Test?: string[] } } };
}

export interface WireSecret { ID: string; CreatedAt: string; Spec: { Name: string; Labels?: Record<string, string> } }

export type StackStatus = 'active' | 'inactive' | 'deploying' | 'error';

export interface Stack {
  id: number;
  name: string;
  status: StackStatus;
  message?: string;
  env: Record<string, string>;
  updatedAt: number;
  createdAt: number;
  updatedBy?: string;
  swarmId: string;
  endpointId: number;
}

export type UpdateState = 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
export type ServiceMode = 'replicated' | 'global' | 'replicated-job' | 'global-job';

export interface Service {
  id: string;
  name: string;
  stack?: string;
  image: string;
  digest?: string;
  mode: ServiceMode;
  replicas?: number;
  labels: Record<string, string>;
  env: Record<string, string>;
  running: number;
  desired: number;
  completed: number;
  update?: { state: UpdateState; message: string; startedAt?: number; completedAt?: number };
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
  err?: string;
  message: string;
  exitCode?: number;
  healthy?: boolean;
  image: string;
  updatedAt: number;
}

export interface Environment { endpointId: number; swarmId: string }
export interface Secret { id: string; name: string; labels: Record<string, string>; createdAt: number }
export interface StackInput { name: string; file: string; env: Record<string, string> }
export interface StackUpdate { file: string; env: Record<string, string>; prune?: boolean; pullImages?: boolean }

export interface JobSpec {
  name: string;
  image: string;
  command?: string[];
  env?: Record<string, string>;
  secrets?: Array<{ name: string; target?: string }>;
  networks?: string[];
  labels?: Record<string, string>;
}

export interface JobHandle { serviceId: string; name: string }
export interface JobStatus { state: 'pending' | 'running' | 'complete' | 'failed'; exitCode?: number; err?: string; output?: string }
