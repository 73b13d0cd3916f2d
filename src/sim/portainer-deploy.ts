// Stack deploy and removal as Portainer 2.45 runs them in-process (docker/cli v28 semantics): networks, secrets, services.
import { ComposeError, loadCompose, type ComposeProject, type ComposeService, type ComposeUpdateConfig } from './portainer-compose.js';
import type { NetworkRecord, StackRecord } from './portainer-state.js';
import { STACK_ACTIVE, STACK_DEPLOYING, STACK_ERROR, dockerId, sha256, withDefaultTag } from './portainer-state.js';
import { createService, goneAt, imageOf, liveServices, removeService, updateService, type SwarmCtx, type SwarmEvent } from './portainer-swarm.js';

export const NAMESPACE = 'com.docker.stack.namespace';
export const STACK_IMAGE = 'com.docker.stack.image';
const NS = 1e6;

/** normalizeStackName is Portainer's rule: lowercase, then drop every character outside [-_a-z0-9]. */
export function normalizeStackName(name: string): string {
  return name.toLowerCase().replace(/[^-_a-z0-9]+/g, '');
}

export function projectPath(stack: StackRecord): string { return `/data/compose/${stack.id}`; }

/** startDeploy marks the stack Deploying; the deploy itself runs `deployDelayMs` later on the sim clock (2.45 is async). */
export function startDeploy(ctx: SwarmCtx, stack: StackRecord, at: number, opts: { prune: boolean; repull: boolean; previousFile?: string; isCreate: boolean }): void {
  stack.status = STACK_DEPLOYING;
  stack.deploymentStatus.push({ Status: STACK_DEPLOYING, Time: Math.floor(at / 1000), Message: '' });
  stack.deploy = { at: at + ctx.world.deployDelayMs, prune: opts.prune, repull: opts.repull, isCreate: opts.isCreate, ...(opts.previousFile !== undefined ? { previousFile: opts.previousFile } : {}) };
}

/** deployEvents turns pending stack deploys into engine events, so they run in time order with everything else. */
export function deployEvents(ctx: SwarmCtx): SwarmEvent[] {
  const out: SwarmEvent[] = [];
  for (const stack of Object.values(ctx.inst.stacks)) {
    const d = stack.deploy;
    if (!d) continue;
    out.push({ at: d.at, prio: 0, key: `stack:${String(stack.id).padStart(8, '0')}`, run: () => finishDeploy(ctx, stack, d.at) });
  }
  return out;
}

function finishDeploy(ctx: SwarmCtx, stack: StackRecord, at: number): void {
  const d = stack.deploy!;
  stack.deploy = undefined;
  try {
    const env = Object.fromEntries(stack.env.map((p) => [p.name, p.value]));
    const project = loadCompose(stack.file, env, projectPath(stack));
    stack.warnings = [...project.warnings];
    apply(ctx, stack, project, at, d.prune, d.repull);
    stack.status = STACK_ACTIVE;
    stack.deploymentStatus.push({ Status: STACK_ACTIVE, Time: Math.floor(at / 1000), Message: '' });
  } catch (err) {
    if (!(err instanceof ComposeError)) throw err;
    stack.status = STACK_ERROR;
    stack.deploymentStatus.push({ Status: STACK_ERROR, Time: Math.floor(at / 1000), Message: err.message });
    // RollbackStackFile: a failed update puts the previous file back on disk.
    if (d.previousFile !== undefined) stack.file = d.previousFile;
  }
}

/** USER_DEFINED tells networks Docker always has locally, which docker/cli never inspects. */
const PREDEFINED = new Set(['bridge', 'host', 'none', 'default']);

function findNetwork(ctx: SwarmCtx, name: string): NetworkRecord | undefined {
  return Object.values(ctx.inst.networks).find((n) => n.name === name || n.id === name);
}

function apply(ctx: SwarmCtx, stack: StackRecord, p: ComposeProject, at: number, prune: boolean, repull: boolean): void {
  const ns = stack.name;
  // Everything is checked before anything changes, as docker/cli converts the whole file first.
  const netNames = new Map<string, string>();
  const used = new Set(p.services.flatMap((s) => (s.networks.length ? s.networks.map((n) => n.key) : ['default'])));
  for (const key of [...used].sort()) {
    const def = p.networks[key];
    if (def?.external) {
      const name = def.name ?? key;
      netNames.set(key, name);
      if (PREDEFINED.has(name)) continue;
      const net = findNetwork(ctx, name);
      if (!net) throw new ComposeError(`network "${name}" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`);
      if (net.scope !== 'swarm') throw new ComposeError(`network "${name}" is declared as external, but it is not in the right scope: "${net.scope}" instead of "swarm"`);
    } else netNames.set(key, def?.name ?? `${ns}_${key}`);
  }
  const secretIds = new Map<string, { id: string; name: string }>();
  for (const s of p.services) {
    for (const ref of s.secrets) {
      const def = p.secrets[ref.source]!;
      const name = def.name ?? (def.external ? ref.source : `${ns}_${ref.source}`);
      const found = Object.values(ctx.inst.secrets).find((x) => x.name === name);
      if (!found) throw new ComposeError(`service ${s.name}: secret not found: ${name}`);
      secretIds.set(ref.source, { id: found.id, name });
    }
    if (!s.image) throw new ComposeError(`Error response from daemon: rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided`);
  }

  // Prune runs before the deploy: services of this stack no longer in the file go first.
  const wanted = new Set(p.services.map((s) => `${ns}_${s.name}`));
  const existing = liveServices(ctx.inst).filter((s) => s.spec.Labels && (s.spec.Labels as Record<string, string>)[NAMESPACE] === ns);
  if (prune) for (const svc of existing) if (!wanted.has(svc.name)) removeService(ctx, svc, at);

  for (const [key, name] of netNames) {
    const def = p.networks[key];
    if (def?.external || findNetwork(ctx, name)) continue;
    const id = dockerId();
    ctx.inst.networks[id] = {
      id, name, driver: def?.driver ?? 'overlay', scope: 'swarm', attachable: def?.attachable ?? false, internal: def?.internal ?? false,
      ingress: false, labels: { ...(def?.labels ?? {}), [NAMESPACE]: ns }, created: at,
    };
  }
  for (const s of p.services) {
    for (const v of s.volumes) {
      if (v.type !== 'volume' || !v.source) continue;
      const def = p.volumes[v.source]!;
      const name = def.external ? (def.name ?? v.source) : (def.name ?? `${ns}_${v.source}`);
      if (!ctx.inst.volumes[name]) ctx.inst.volumes[name] = { name, labels: def.external ? {} : { ...def.labels, [NAMESPACE]: ns }, createdAt: at };
    }
  }

  for (const s of p.services) {
    const name = `${ns}_${s.name}`;
    const current = existing.find((x) => x.name === name && x.removedAt === undefined);
    const image = resolveImage(ctx, s.image!, current ? { pinned: imageOf(current.spec), label: (current.spec.Labels as Record<string, string>)[STACK_IMAGE] } : undefined, repull);
    const spec = serviceSpec(ns, s, p, image, netNames, secretIds, ctx);
    if (current) updateService(ctx, current, spec, at);
    else createService(ctx, spec, at);
  }
}

/** resolveImage pins `image@sha256:…` as a registry lookup would; without a repull an unchanged image keeps its running digest. */
function resolveImage(ctx: SwarmCtx, image: string, current: { pinned: string; label: string | undefined } | undefined, repull: boolean): string {
  if (current && !repull && current.label === image) return current.pinned;
  if (current && !repull) return image;
  const b = ctx.world.image(image);
  // An image the registry does not have cannot be pinned; every node then tries on its own.
  if (b.pullFails) return image;
  return `${image}@sha256:${sha256(withDefaultTag(image) + (b.digestSeed ?? ''))}`;
}

function updateConfigSpec(c: ComposeUpdateConfig | undefined): Record<string, unknown> | undefined {
  if (!c) return undefined;
  const out: Record<string, unknown> = { Parallelism: c.parallelism ?? 1 };
  if (c.delayMs !== undefined) out.Delay = c.delayMs * NS;
  if (c.failureAction) out.FailureAction = c.failureAction;
  if (c.monitorMs !== undefined) out.Monitor = c.monitorMs * NS;
  if (c.maxFailureRatio !== undefined) out.MaxFailureRatio = c.maxFailureRatio;
  if (c.order) out.Order = c.order;
  return out;
}

/** serviceSpec converts one compose service into a Docker ServiceSpec, as docker/cli's convert package does. */
function serviceSpec(ns: string, s: ComposeService, p: ComposeProject, image: string, nets: Map<string, string>, secrets: Map<string, { id: string; name: string }>, ctx: SwarmCtx): Record<string, unknown> {
  const cs: Record<string, unknown> = {
    Image: image,
    Labels: { ...s.labels, [NAMESPACE]: ns },
    Isolation: 'default',
  };
  if (s.entrypoint) cs.Command = s.entrypoint;
  if (s.command) cs.Args = s.command;
  if (s.hostname) cs.Hostname = s.hostname;
  if (s.user) cs.User = s.user;
  if (s.workingDir) cs.Dir = s.workingDir;
  const env = Object.entries(s.environment).map(([k, v]) => `${k}=${v}`).sort();
  if (env.length) cs.Env = env;
  if (s.healthcheck === 'disabled') cs.Healthcheck = { Test: ['NONE'] };
  else if (s.healthcheck) {
    cs.Healthcheck = {
      Test: s.healthcheck.test, Interval: s.healthcheck.intervalMs * NS, Timeout: s.healthcheck.timeoutMs * NS,
      Retries: s.healthcheck.retries, StartPeriod: s.healthcheck.startPeriodMs * NS, StartInterval: s.healthcheck.startIntervalMs * NS,
    };
  }
  if (s.stopGracePeriodMs !== undefined) cs.StopGracePeriod = s.stopGracePeriodMs * NS;
  if (s.secrets.length) {
    cs.Secrets = s.secrets.map((r) => ({ File: { Name: r.target, UID: r.uid, GID: r.gid, Mode: r.mode }, SecretID: secrets.get(r.source)!.id, SecretName: secrets.get(r.source)!.name }));
  }
  const mounts = s.volumes.map((v) => {
    if (v.type === 'volume' && v.source) {
      const def = p.volumes[v.source]!;
      const source = def.external ? (def.name ?? v.source) : (def.name ?? `${ns}_${v.source}`);
      return { Type: 'volume', Source: source, Target: v.target, ReadOnly: v.readOnly, VolumeOptions: { Labels: { [NAMESPACE]: ns } } };
    }
    return { Type: v.type, ...(v.source ? { Source: v.source } : {}), Target: v.target, ReadOnly: v.readOnly };
  });
  if (mounts.length) cs.Mounts = mounts;

  const tt: Record<string, unknown> = { ContainerSpec: cs, ForceUpdate: 0, Runtime: 'container' };
  const res: Record<string, unknown> = {};
  const limits = s.deploy.limits;
  if (limits) res.Limits = { ...(limits.nanoCpus !== undefined ? { NanoCPUs: limits.nanoCpus } : {}), ...(limits.memoryBytes !== undefined ? { MemoryBytes: limits.memoryBytes } : {}), ...(limits.pids !== undefined ? { Pids: limits.pids } : {}) };
  const resv = s.deploy.reservations;
  if (resv) res.Reservations = { ...(resv.nanoCpus !== undefined ? { NanoCPUs: resv.nanoCpus } : {}), ...(resv.memoryBytes !== undefined ? { MemoryBytes: resv.memoryBytes } : {}) };
  if (Object.keys(res).length) tt.Resources = res;
  const rp = s.deploy.restartPolicy;
  if (rp) {
    tt.RestartPolicy = {
      ...(rp.condition ? { Condition: rp.condition } : {}), ...(rp.delayMs !== undefined ? { Delay: rp.delayMs * NS } : {}),
      ...(rp.maxAttempts !== undefined ? { MaxAttempts: rp.maxAttempts } : {}), ...(rp.windowMs !== undefined ? { Window: rp.windowMs * NS } : {}),
    };
  }
  if (s.deploy.constraints) tt.Placement = { Constraints: s.deploy.constraints };
  const keys = s.networks.length ? s.networks : [{ key: 'default', aliases: [] }];
  tt.Networks = keys.map((n) => {
    const name = nets.get(n.key)!;
    const net = findNetwork(ctx, name);
    return { Target: net?.id ?? name, Aliases: [s.name, ...n.aliases] };
  }).sort((a, b) => a.Target.localeCompare(b.Target));

  let mode: Record<string, unknown>;
  switch (s.deploy.mode) {
    case 'global': mode = { Global: {} }; break;
    case 'global-job': mode = { GlobalJob: {} }; break;
    case 'replicated-job': mode = { ReplicatedJob: { MaxConcurrent: s.deploy.replicas ?? 1, TotalCompletions: s.deploy.replicas ?? 1 } }; break;
    default: mode = { Replicated: { Replicas: s.deploy.replicas ?? 1 } };
  }
  const spec: Record<string, unknown> = {
    Name: `${ns}_${s.name}`,
    Labels: { ...s.deploy.labels, [NAMESPACE]: ns, [STACK_IMAGE]: s.image! },
    TaskTemplate: tt,
    Mode: mode,
    EndpointSpec: {
      Mode: s.deploy.endpointMode ?? 'vip',
      ...(s.ports.length ? { Ports: s.ports.map((x) => ({ Protocol: x.protocol, TargetPort: x.target, ...(x.published !== undefined ? { PublishedPort: x.published } : {}), PublishMode: x.mode })) } : {}),
    },
  };
  const uc = updateConfigSpec(s.deploy.updateConfig);
  if (uc) spec.UpdateConfig = uc;
  const rc = updateConfigSpec(s.deploy.rollbackConfig);
  if (rc) spec.RollbackConfig = rc;
  return spec;
}

/** removeStack is `docker stack rm`: services, networks and secrets of the namespace go; volumes stay. Returns when the tasks are gone. */
export function removeStack(ctx: SwarmCtx, name: string, at: number): number {
  const services = liveServices(ctx.inst).filter((s) => (s.spec.Labels as Record<string, string> | undefined)?.[NAMESPACE] === name);
  for (const svc of services) removeService(ctx, svc, at);
  for (const n of Object.values(ctx.inst.networks)) if (n.labels[NAMESPACE] === name) delete ctx.inst.networks[n.id];
  for (const s of Object.values(ctx.inst.secrets)) if (s.labels[NAMESPACE] === name) delete ctx.inst.secrets[s.id];
  const ids = Object.values(ctx.inst.services).filter((s) => (s.spec.Labels as Record<string, string> | undefined)?.[NAMESPACE] === name).map((s) => s.id);
  return goneAt(ctx, ids, at);
}
