// Portainer simulator rendering: stacks and environments as Portainer shows them, services, tasks, networks and secrets as Docker does.
import type { InstanceRecord, NetworkRecord, SecretRecord, ServiceRecord, StackRecord, TaskRecord } from './portainer-state.js';
import { DOCKER_VERSION, dockerTime } from './portainer-state.js';
import { modeOf, serviceStatus, type SwarmCtx } from './portainer-swarm.js';
import { entryAt } from './portainer-timeline.js';
import { projectPath } from './portainer-deploy.js';

export const ENDPOINT_ID = 1;

export function renderStack(s: StackRecord): Record<string, unknown> {
  return {
    Id: s.id, Name: s.name, Type: 1, EndpointId: s.endpointId, SwarmId: s.swarmId, EntryPoint: 'docker-compose.yml',
    Env: s.env.map((p) => ({ name: p.name, value: p.value })),
    ResourceControl: {
      Id: s.id, ResourceId: `${s.endpointId}_${s.name}`, SubResourceIds: [], Type: 6, UserAccesses: [], TeamAccesses: [],
      Public: false, AdministratorsOnly: true, System: false,
    },
    Status: s.status, DeploymentStatus: s.deploymentStatus.map((d) => ({ ...d })), ProjectPath: projectPath(s),
    CreationDate: s.creationDate, CreatedBy: s.createdBy, UpdateDate: s.updateDate, UpdatedBy: s.updatedBy,
    AdditionalFiles: null, AutoUpdate: null, Option: s.option, GitConfig: null, FromAppTemplate: false, Namespace: '',
    IsComposeFormat: false,
  };
}

export function renderEndpoint(inst: InstanceRecord, now: number): Record<string, unknown> {
  return {
    Id: ENDPOINT_ID, Name: 'primary', Type: 2, URL: 'tcp://tasks.agent:9001', GroupId: 1, PublicURL: '', Status: 1,
    TLSConfig: { TLS: true, TLSSkipVerify: true },
    Snapshots: [{ Time: Math.floor(now / 1000), DockerVersion: DOCKER_VERSION, Swarm: true, TotalCPU: 2, TotalMemory: 4_000_000_000, RunningContainerCount: Object.keys(inst.tasks).length, ServiceCount: Object.keys(inst.services).length, StackCount: Object.keys(inst.stacks).length }],
    TagIds: [], UserAccessPolicies: {}, TeamAccessPolicies: {}, Agent: { Version: '2.45.0' },
  };
}

export function renderService(ctx: SwarmCtx, svc: ServiceRecord, now: number, withStatus: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ID: svc.id, Version: { Index: svc.version }, CreatedAt: dockerTime(svc.createdAt), UpdatedAt: dockerTime(svc.updatedAt),
    Spec: structuredClone(svc.spec),
    Endpoint: { Spec: { Mode: ((svc.spec.EndpointSpec as { Mode?: string } | undefined)?.Mode) ?? 'vip' }, VirtualIPs: [] },
  };
  if (svc.previousSpec) out.PreviousSpec = structuredClone(svc.previousSpec);
  // UpdateStatus is absent until the first update that rolled tasks.
  if (svc.updateStatus) out.UpdateStatus = { ...svc.updateStatus };
  if (withStatus) out.ServiceStatus = serviceStatus(ctx, svc, now);
  const kind = modeOf(svc.spec).kind;
  if (kind === 'replicated-job' || kind === 'global-job') out.JobStatus = { JobIteration: { Index: svc.jobIteration }, LastExecution: dockerTime(svc.updatedAt) };
  return out;
}

export function renderTask(ctx: SwarmCtx, t: TaskRecord, now: number): Record<string, unknown> {
  const e = entryAt(t, now);
  const svc = ctx.inst.services[t.serviceId];
  const global = svc ? ['global', 'global-job'].includes(modeOf(svc.spec).kind) : false;
  const started = ['starting', 'running', 'complete', 'failed', 'shutdown'].includes(e.state) && t.timeline.some((x) => x.state === 'starting' && x.at <= now);
  const status: Record<string, unknown> = { Timestamp: dockerTime(e.at), State: e.state, Message: e.message, PortStatus: {} };
  if (e.err) status.Err = e.err;
  if (started) status.ContainerStatus = { ContainerID: t.containerId, PID: e.state === 'running' || e.state === 'starting' ? 1000 + (t.n % 30000) : 0, ExitCode: e.exitCode ?? 0 };
  return {
    ID: t.id, Version: { Index: t.n + 1 }, CreatedAt: dockerTime(t.createdAt), UpdatedAt: dockerTime(Math.max(e.at, t.desiredAt)),
    Labels: {}, Spec: structuredClone(t.spec), ServiceID: t.serviceId, ...(global ? {} : { Slot: t.slot }), NodeID: ctx.inst.nodeId,
    Status: status, DesiredState: t.desiredState, ...(t.jobIteration !== undefined ? { JobIteration: { Index: t.jobIteration } } : {}),
    NetworksAttachments: [],
  };
}

export function renderNetwork(n: NetworkRecord): Record<string, unknown> {
  return {
    Name: n.name, Id: n.id, Created: dockerTime(n.created), Scope: n.scope, Driver: n.driver, EnableIPv4: true, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: n.driver === 'overlay' ? [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] : [] },
    Internal: n.internal, Attachable: n.attachable, Ingress: n.ingress, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: {}, Options: n.driver === 'overlay' ? { 'com.docker.network.driver.overlay.vxlanid_list': '4097' } : {}, Labels: { ...n.labels },
  };
}

/** renderSecret never includes the data: Docker does not return it. */
export function renderSecret(s: SecretRecord): Record<string, unknown> {
  return { ID: s.id, Version: { Index: s.version }, CreatedAt: dockerTime(s.createdAt), UpdatedAt: dockerTime(s.updatedAt), Spec: { Name: s.name, Labels: { ...s.labels } } };
}
