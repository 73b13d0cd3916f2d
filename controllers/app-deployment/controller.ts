// AppDeployment controller: render the template, keep the stack in Portainer equal to it, follow rollouts, roll back as a unit, check from outside.
import type { PlanContext, PlanItem, ReconcileContext, ReconcileResult, Reconciler } from '../../src/engine/reconciler.js';
import { TerminalError, WaitError, hasCode } from '../../src/engine/errors.js';
import { ANNOTATION_ADOPT, objectKey, type Resource } from '../../src/engine/types.js';
import { derivedName } from '../../src/engine/child-names.js';
import type { Clock } from '../../src/engine/clock.js';
import { ServerViews } from './server-view.js';
import { decide, envChanges, type AppStep, type Memory, type RenderSeen, type ServiceSeen, type StackSeen } from './decide.js';
import { readiness } from './readiness.js';
import { ANNOTATION_ROTATE_SECRET, resolveSecrets, type SecretVault } from './secrets.js';
import type { AppProbe } from './probe.js';
import type { AppPlatform, Stack as PlatformStack, Service as PlatformService, Task as PlatformTask } from './port.js';
import { appHosts, prepare, type AppServer, type Prepared } from './prepare.js';
import { planFor } from './plan.js';
import { APP_REASONS } from './reasons.js';
import type { AppTemplate } from './template.js';

export type { AppServer } from './prepare.js';

export interface AppDeploymentDeps {
  /** platform returns the Portainer port of one server (one client and SSH tunnel per server, reused). */
  platform(server: AppServer): AppPlatform;
  probe: AppProbe;
  vault: SecretVault;
  clock: Clock;
  /** @default 600000 */
  resyncMs?: number;
  /** Poll interval while a deploy or rollout runs. @default 2000 */
  pollMs?: number;
  /** Template lookup; the built-in catalog by default. */
  templates?: (name: string) => AppTemplate | undefined;
}

export const ANNOTATION_RETRY = 'livchat.ai/retry';
/** The stack env entry that marks who owns a stack: `<instance>/<name>`, matched exactly. */
export const OWNER_ENV = 'LIVCHAT_OWNER';
/** The Docker secret label that marks which app created it, matched exactly on deletion. */
const SECRET_OWNER_LABEL = 'livchat.ai/owner';
/** After this many failed issuances for a host the TLS router is withdrawn for CERT_BACKOFF_MS (Let's Encrypt allows 5 per hour). */
const CERT_FAILURES_BEFORE_BACKOFF = 2;
const CERT_BACKOFF_MS = 3_600_000;
/** How long Traefik gets to obtain a certificate before the attempt counts as failed. */
const CERT_ATTEMPT_MS = 120_000;
/** Readiness steps that move within seconds; the outside checks (DNS, certificates) are polled more slowly. */
const FAST_POLL: ReadonlySet<string> = new Set(['WaitingForTasks']);

interface AppMemory extends Memory {
  /** The spec of the last converged render: a rollback renders it again (with the same vaulted secrets). */
  lastGoodSpec?: Record<string, unknown>;
  /** Hosts whose DNS answered with the server's address: their TLS routers are deployed. */
  tlsHosts?: string[];
  cert?: { failures: number; since: number; retryAt?: number };
  rotated?: Record<string, number>;
}

/** createAppDeploymentController builds the AppDeployment reconciler. */
export function createAppDeploymentController(deps: AppDeploymentDeps): Reconciler {
  const resyncMs = deps.resyncMs ?? 600_000;
  const pollMs = deps.pollMs ?? 2000;
  const views = new ServerViews<PlatformStack, PlatformService, PlatformTask>(deps.clock, resyncMs / 2);
  // Monotonic start of each rollout this process follows, so a wall-clock step cannot bend the deadline.
  const rolloutSeen = new Map<string, number>();

  function serverOf(ctx: ReconcileContext | PlanContext, name: string): AppServer {
    const dep = ctx.depend('Server', name);
    const o = dep.observed;
    const infra = o?.infrastructure;
    const spec = dep.object?.spec as { dns?: { zone: string; name: string } } | undefined;
    if (!dep.exists) throw new WaitError('WaitingForServer', `Server ${name} does not exist`, resyncMs, [objectKey('Server', name)]);
    if (!spec?.dns) throw new TerminalError('InfrastructureMissing', `Server ${name} has no spec.dns, so apps on it cannot have a name`);
    if (!o?.id || !o.ipv4 || !infra?.ready || infra.endpointId === undefined) {
      throw new WaitError('WaitingForServer', `Server ${name} and its infrastructure are not Ready yet${infra && !infra.ready ? ` (${infra.waitingOn ?? 'infrastructure'})` : ''}`, resyncMs, [objectKey('Server', name)]);
    }
    const dnsName = spec.dns.name === '@' ? spec.dns.zone : `${spec.dns.name}.${spec.dns.zone}`;
    return { name, id: o.id, ipv4: o.ipv4, endpointId: infra.endpointId, dnsName, zone: spec.dns.zone };
  }

  function lists(p: AppPlatform) {
    return { stacks: () => p.listStacks(), services: () => p.listServices(), tasks: () => p.listTasks() };
  }

  /** seen maps the platform's lists to what decide() reads for one stack. */
  function seen(stackName: string, v: { stacks: PlatformStack[]; services: PlatformService[]; tasks: PlatformTask[] }): { stack: PlatformStack | undefined; services: ServiceSeen[] } {
    const stack = v.stacks.find((s) => s.name === stackName);
    const services = v.services.filter((s) => s.stack === stackName).map((s): ServiceSeen => {
      const tasks = v.tasks.filter((t) => t.serviceId === s.id);
      // Failed and rejected tasks stay in the history: their errors (newest first) say why an update does not converge.
      const errors = tasks.filter((t) => t.state === 'failed' || t.state === 'rejected').sort((a, b) => b.updatedAt - a.updatedAt).map((t) => t.err ?? t.message ?? t.state);
      const starting = tasks.filter((t) => t.desiredState === 'running' && (t.state === 'starting' || (t.state === 'running' && t.healthy === false))).length;
      // Only tasks of the service's current image count: during an update the old ones still run.
      const current = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running' && t.image.split('@')[0] === s.image.split('@')[0]).length;
      return { name: s.name, image: s.image, running: Math.min(s.running, current), desired: s.desired, ...(s.update ? { update: { state: s.update.state, message: s.update.message } } : {}), taskErrors: errors, starting };
    });
    return { stack, services };
  }

  const stackSeen = (s: PlatformStack): StackSeen => ({ id: s.id, status: s.status, ...(s.message ? { message: s.message } : {}), env: s.env, updatedAt: s.updatedAt });

  function elapsed(key: string, startedAt: number): number {
    const mono = deps.clock.monotonic();
    let seenAt = rolloutSeen.get(key);
    if (seenAt === undefined) {
      // After a restart the persisted wall time seeds the measurement once; from then on the monotonic clock runs it.
      seenAt = mono - Math.max(0, deps.clock.now() - startedAt);
      rolloutSeen.set(key, seenAt);
    }
    return mono - seenAt;
  }

  /** ownedStack refuses a stack with our name that another owner (or nobody) marked, unless adoption was asked for. */
  function checkOwner(ctx: ReconcileContext, stack: PlatformStack | undefined, mem: AppMemory): void {
    if (!stack) return;
    const owner = stack.env[OWNER_ENV];
    const me = `${ctx.instance}/${ctx.name}`;
    if (owner === me || (owner === undefined && mem.stackId === stack.id)) return;
    if (owner === undefined && ctx.object.metadata.annotations?.[ANNOTATION_ADOPT] === 'true') return;
    throw new TerminalError('Conflict', `a Portainer stack named ${stack.name} already exists on this server and is ${owner ? `owned by ${owner}` : 'not managed by livchat'}; ${owner ? 'rename this app' : 'annotate livchat.ai/adopt: "true" to take it over'}`);
  }

  async function reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    const mem = ctx.internal as AppMemory;
    const spec = ctx.object.spec as Record<string, unknown>;
    const serverName = String(spec.server);
    if (!ctx.desired) return remove(ctx, serverName, mem);
    const server = serverOf(ctx, serverName);
    const platform = deps.platform(server);
    const prep = prepareFor(ctx, spec, server, mem);
    ctx.own(prep.children);
    let view = await views.get(server.name, lists(platform), { fresh: mem.rollout !== undefined });
    let { stack, services } = seen(prep.stackName, view);
    checkOwner(ctx, stack, mem);
    const render = renderSeen(prep, ctx);
    // While a rollback runs, or after one, the stack runs the last good render: that is what convergence and readiness check.
    const onLastGood = (mem.rollout?.rollbackOf !== undefined || mem.failed?.hash === prep.render.hash) && mem.lastGoodSpec !== undefined;
    const good = onLastGood ? prepareFor(ctx, mem.lastGoodSpec!, server, mem, mem.lastGoodSpec) : undefined;
    const step = decide({
      render, ...(good ? { lastGood: renderSeen(good, ctx) } : {}), stack: stack ? stackSeen(stack) : undefined, services, memory: mem,
      rolloutElapsedMs: mem.rollout ? elapsed(ctx.key, mem.rollout.startedAt) : 0,
      deadlineMs: prep.deadlineMs, retryAsked: ctx.object.metadata.annotations?.[ANNOTATION_RETRY] === String(ctx.generation),
    });
    const result = await act(ctx, step, { prep, platform, server, stack, mem, render });
    if (result) return result;
    view = await views.get(server.name, lists(platform));
    ({ stack, services } = seen(prep.stackName, view));
    return observeReady(ctx, prep, good ?? prep, server, mem, services);
  }

  function prepareFor(ctx: ReconcileContext, spec: Record<string, unknown>, server: AppServer, mem: AppMemory, fromSpec?: Record<string, unknown>): Prepared {
    const rotate = ctx.object.metadata.annotations?.[ANNOTATION_ROTATE_SECRET];
    return prepare({
      name: ctx.name, instance: ctx.instance, spec: fromSpec ?? spec, server, tlsHosts: new Set(mem.tlsHosts ?? []), ...(deps.templates ? { templates: deps.templates } : {}),
      certBlocked: mem.cert?.retryAt !== undefined && deps.clock.now() < mem.cert.retryAt,
      secrets: (names) => {
        const r = resolveSecrets(deps.vault, server.name, ctx.name, names, { name: rotate, generation: ctx.generation, done: mem.rotated ?? {} });
        for (const n of r.created) ctx.event('Normal', 'SecretGenerated', `generated secret ${n} (kept in the vault)`);
        if (r.rotated.length) {
          ctx.event('Normal', 'SecretRotated', `rotated secret ${r.rotated.join(', ')} as annotated`);
          ctx.persist({ rotated: { ...(mem.rotated ?? {}), ...Object.fromEntries(r.rotated.map((n) => [n, ctx.generation])) } });
        }
        return r;
      },
    });
  }

  function renderSeen(prep: Prepared, ctx: ReconcileContext): RenderSeen {
    return { hash: prep.render.hash, file: prep.render.file, env: { ...prep.render.envMap, [OWNER_ENV]: `${ctx.instance}/${ctx.name}` }, services: prep.render.serviceNames, images: Object.fromEntries(prep.render.services.map((x) => [x.name, x.image])) };
  }

  interface ActInput { prep: Prepared; platform: AppPlatform; server: AppServer; stack: PlatformStack | undefined; mem: AppMemory; render: RenderSeen }

  /** act executes one step; it returns a result when the pass ends here, undefined to go on to the readiness checks. */
  async function act(ctx: ReconcileContext, step: AppStep, a: ActInput): Promise<ReconcileResult | undefined> {
    const { platform, server, render, prep } = a;
    const envList = { ...render.env };
    const startRollout = (hash: string, extra: Partial<AppMemory> = {}): void => {
      const startedAt = deps.clock.now();
      rolloutSeen.set(ctx.key, deps.clock.monotonic());
      ctx.persist({ rollout: { hash, startedAt, ...(extra.rollout?.rollbackOf ? { rollbackOf: extra.rollout.rollbackOf } : {}) }, ...extra, ...(extra.rollout ? {} : {}) });
    };
    switch (step.type) {
      case 'create':
      case 'recreate': {
        if (step.type === 'recreate') ctx.event('Warning', 'StackMissing', `${step.why}; creating it again`);
        await ensureDockerSecrets(ctx, platform, prep);
        ctx.progress('Deploying', `creating stack ${prep.stackName}`);
        // The mark comes first: after a crash the next pass finds the stack by name and follows it instead of creating another.
        startRollout(render.hash);
        const created = await platform.createStack({ name: prep.stackName, file: render.file, env: envList });
        views.touched(server.name);
        ctx.persist({ stackId: created.id, updatedAt: created.updatedAt });
        ctx.event('Normal', 'Deploying', `created stack ${prep.stackName} (${prep.render.hash.slice(0, 12)})`);
        return waiting(ctx, 'Deploying', 'Portainer is deploying the stack');
      }
      case 'update': {
        if (step.why === 'suspect-file') {
          const file = await platform.stackFile(a.stack!.id);
          if (file === render.file) { ctx.persist({ updatedAt: a.stack!.updatedAt }); return undefined; }
          ctx.event('Warning', 'DriftCorrected', `the stack file of ${prep.stackName} was changed outside livchat; redeploying the desired one`);
        } else if (step.why === 'drift-env') {
          ctx.event('Warning', 'DriftCorrected', `stack env changed outside livchat (${step.changedEnv.join(', ')}: values masked); redeploying`);
        }
        await ensureDockerSecrets(ctx, platform, prep);
        ctx.progress('Deploying', `updating stack ${prep.stackName}`);
        startRollout(render.hash);
        try {
          // Portainer's PUT replaces Env whole: the full list always goes.
          const updated = await platform.updateStack(a.stack!.id, { file: render.file, env: envList });
          ctx.persist({ updatedAt: updated.updatedAt });
        } catch (err) {
          // Another deploy is in progress (409): wait for it, do not fail.
          if (hasCode(err, 'Locked')) {
            ctx.persist({ rollout: undefined });
            views.touched(server.name);
            const msg = 'Portainer is still deploying an earlier change; this one follows';
            return serving(ctx) ? inProgress(ctx, 'Deploying', msg) : waiting(ctx, 'Deploying', msg);
          }
          throw err;
        }
        views.touched(server.name);
        return serving(ctx) ? inProgress(ctx, 'Deploying', 'Portainer is deploying the update') : waiting(ctx, 'Deploying', 'Portainer is deploying the update');
      }
      case 'wait-deploy':
        return serving(ctx) ? inProgress(ctx, 'Deploying', 'Portainer is deploying the stack') : waiting(ctx, 'Deploying', 'Portainer is deploying the stack');
      case 'follow': {
        const msg = `following the rollout of ${prep.stackName}`;
        return serving(ctx) ? inProgress(ctx, 'RollingOut', msg) : waiting(ctx, 'WaitingForTasks', msg);
      }
      case 'converged': {
        const wasRollback = step.rollout.rollbackOf;
        if (wasRollback) {
          ctx.persist({ rollout: undefined, failed: wasRollback ? { hash: wasRollback.hash, reason: 'RolledBack', message: wasRollback.reason } : undefined });
          ctx.event('Warning', 'RolledBack', `rolled the whole stack back to the last good version: ${wasRollback.reason}`);
          return undefined;
        }
        rolloutSeen.delete(ctx.key);
        if (step.rollout.hash !== render.hash) {
          // The spec changed while this rollout ran: what converged is not what is wanted now, so deploy again at once.
          ctx.persist({ rollout: undefined, deployedHash: step.rollout.hash });
          return serving(ctx) ? inProgress(ctx, 'Deploying', 'a newer change is next') : waiting(ctx, 'Deploying', 'a newer change is next');
        }
        ctx.persist({ rollout: undefined, deployedHash: step.rollout.hash, lastGoodHash: step.rollout.hash, lastGoodSpec: structuredClone(ctx.object.spec as Record<string, unknown>), deployedServices: prep.render.services, failed: undefined });
        ctx.event('Normal', 'Deployed', `stack ${prep.stackName} converged (${step.rollout.hash.slice(0, 12)})`);
        return undefined;
      }
      case 'rollback': {
        const good = a.mem.lastGoodSpec;
        if (!good || a.mem.lastGoodHash === step.failed.hash) {
          // Nothing good to go back to: report and do not retry this render until the spec changes.
          ctx.persist({ rollout: undefined, failed: step.failed });
          ctx.event('Warning', step.failed.reason, step.failed.message);
          throw new TerminalError(step.failed.reason, `the deployment failed and there is no earlier good version to roll back to: ${step.failed.message}`);
        }
        const back = prepareFor(ctx, good, server, a.mem, good);
        const backRender = renderSeen(back, ctx);
        const backEnv = { ...backRender.env };
        ctx.event('Warning', 'RollingBack', `${step.failed.message}; redeploying the last good stack file and env as a unit`);
        startRollout(backRender.hash, { rollout: { hash: backRender.hash, startedAt: deps.clock.now(), rollbackOf: { hash: step.failed.hash, reason: step.failed.message } } });
        try {
          const updated = await platform.updateStack(a.stack!.id, { file: backRender.file, env: backEnv });
          ctx.persist({ updatedAt: updated.updatedAt });
        } catch (err) {
          if (hasCode(err, 'Locked')) return inProgress(ctx, 'RollingBack', 'waiting for Portainer to finish the failed deploy before rolling back');
          throw err;
        }
        views.touched(server.name);
        return inProgress(ctx, 'RollingBack', 'redeploying the last good version');
      }
      case 'rolled-back':
      case 'none':
        return undefined;
    }
  }

  /** ensureDockerSecrets creates the versioned Docker secrets the render references (one list call, only when deploying). */
  async function ensureDockerSecrets(ctx: ReconcileContext, platform: AppPlatform, prep: Prepared): Promise<void> {
    if (!prep.render.secretValues.length) return;
    const existing = new Set((await platform.listSecrets()).map((s) => s.name));
    for (const s of prep.render.secretValues) {
      if (existing.has(s.name)) continue;
      await platform.createSecret(s.name, s.value, { ...s.labels, [SECRET_OWNER_LABEL]: `${ctx.instance}.${ctx.name}` });
    }
  }

  function waiting(_ctx: ReconcileContext, reason: string, message: string): never {
    throw new WaitError(reason, message, pollMs);
  }

  /** serving tells whether the app was usable before this step began (its last Ready was True): then it stays Ready. */
  function serving(ctx: ReconcileContext): boolean {
    return ctx.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }

  /** inProgress keeps an app that already serves Ready while its update runs (Reconciling=True carries the step). */
  function inProgress(ctx: ReconcileContext, phase: string, message: string): ReconcileResult {
    ctx.progress(phase, message);
    return { ready: { status: 'True', reason: 'Available', message: 'the previous version keeps serving' }, requeueAfterMs: pollMs, reconciling: { reason: phase, message }, observed: observedOf(ctx) };
  }

  function observedOf(ctx: ReconcileContext): Record<string, unknown> {
    const m = ctx.internal as AppMemory;
    return { ...(m.stackId !== undefined ? { stackId: m.stackId } : {}), ...(m.deployedHash ? { renderHash: m.deployedHash } : {}) };
  }

  async function observeReady(ctx: ReconcileContext, prep: Prepared, running: Prepared, server: AppServer, mem: AppMemory, services: ServiceSeen[]): Promise<ReconcileResult> {
    const m = ctx.internal as AppMemory;
    const observed = { ...observedOf(ctx), url: `https://${prep.hosts[0]}`, hosts: prep.hosts, version: prep.version, ...(m.cert?.retryAt ? { certificateRetryAt: new Date(m.cert.retryAt).toISOString() } : {}) };
    const { converge } = await import('./decide.js');
    const tasks = converge(running.render.serviceNames, services, Object.fromEntries(running.render.services.map((x) => [x.name, x.image])));
    const host = prep.hosts[0]!;
    const child = ctx.dependency(objectKey('DNSRecord', derivedName('AppDeployment', ctx.name, prep.children[0]!.metadata.name)));
    const recordReady = child.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const answers = recordReady ? await deps.probe.resolve(host) : undefined;
    const dnsOk = !!answers?.includes(server.ipv4);
    // A host's TLS router goes out only once its DNS answers with the server's address: no validation is spent on a name that cannot pass.
    if (dnsOk && !(mem.tlsHosts ?? []).includes(host) && !(mem.cert?.retryAt && deps.clock.now() < mem.cert.retryAt)) {
      ctx.persist({ tlsHosts: [...(mem.tlsHosts ?? []), host], cert: { failures: mem.cert?.failures ?? 0, since: deps.clock.now() } });
      ctx.event('Normal', 'DnsAnswers', `${host} resolves to ${server.ipv4}; deploying its TLS router`);
      return { ready: { status: 'False', reason: 'WaitingForCertificate', message: 'deploying the TLS router' }, requeueAfterMs: 0, observed };
    }
    const tls = (mem.tlsHosts ?? []).includes(host);
    const certificate = tasks.state === 'done' && dnsOk && tls ? await deps.probe.certificate(host, server.ipv4) : undefined;
    if (certificate && !certificate.valid && tls) {
      const since = mem.cert?.since ?? deps.clock.now();
      if (deps.clock.now() - since > CERT_ATTEMPT_MS) {
        const failures = (mem.cert?.failures ?? 0) + 1;
        if (failures >= CERT_FAILURES_BEFORE_BACKOFF) {
          const retryAt = deps.clock.now() + CERT_BACKOFF_MS;
          ctx.persist({ tlsHosts: (mem.tlsHosts ?? []).filter((h) => h !== host), cert: { failures: 0, since: retryAt, retryAt } });
          ctx.event('Warning', 'CertificateBackoff', `${failures} certificate issuances for ${host} failed (${certificate.error ?? 'default certificate served'}); the TLS router is withdrawn until ${new Date(retryAt).toISOString()} to stay inside Let's Encrypt's limits`);
          return { ready: { status: 'False', reason: 'WaitingForCertificate', message: `certificate issuance paused until ${new Date(retryAt).toISOString()}` }, requeueAfterMs: 0, observed };
        }
        ctx.persist({ cert: { failures, since: deps.clock.now() } });
      }
    } else if (certificate?.valid && mem.cert) {
      ctx.persist({ cert: undefined });
    }
    const health = certificate?.valid ? await deps.probe.health(host, server.ipv4, prep.healthPath) : undefined;
    const unmet = readiness({ tasks: { converged: tasks.state === 'done', summary: tasks.message }, dns: { recordReady, answers, address: server.ipv4 }, certificate, health, host, path: prep.healthPath });
    const failed = m.failed && m.failed.hash === prep.render.hash ? m.failed : undefined;
    const synced = failed
      ? { status: 'False' as const, reason: 'RolledBack', message: `version ${prep.version} failed and the stack was rolled back to the last good one: ${failed.message}; change the spec, or annotate ${ANNOTATION_RETRY}: "${ctx.generation}" to retry` }
      : undefined;
    if (unmet) {
      // Still converging from outside: poll, but not faster than needed (certificates take Traefik a while).
      const next = FAST_POLL.has(unmet.reason) ? pollMs : Math.max(pollMs, 10_000);
      return { ready: { status: 'False', reason: unmet.reason, message: unmet.message }, ...(synced ? { synced } : {}), requeueAfterMs: next, observed };
    }
    return { ready: { status: 'True', reason: 'Available', message: `https://${host} answers` }, ...(synced ? { synced } : {}), observed };
  }

  async function remove(ctx: ReconcileContext, serverName: string, mem: AppMemory): Promise<ReconcileResult> {
    const policy = ((ctx.object.spec as { deletionPolicy?: string }).deletionPolicy ?? 'Delete') as 'Delete' | 'Orphan';
    const dep = ctx.depend('Server', serverName);
    const o = dep.observed;
    if (!o?.id || !o.ipv4 || o.infrastructure?.endpointId === undefined) {
      // The server (and with it the stack) is already gone, or was never set up.
      return { ready: { status: 'False', reason: 'Deleted' }, deleted: true, childrenPolicy: policy };
    }
    const spec = dep.object?.spec as { dns?: { zone: string; name: string } } | undefined;
    const server: AppServer = { name: serverName, id: o.id, ipv4: o.ipv4, endpointId: o.infrastructure.endpointId, dnsName: spec?.dns ? `${spec.dns.name}.${spec.dns.zone}` : '', zone: spec?.dns?.zone ?? '' };
    const platform = deps.platform(server);
    const view = await views.get(server.name, lists(platform), { fresh: true });
    const stackName = ctx.name;
    const { stack } = seen(stackName, view);
    const mine = stack && (stack.env[OWNER_ENV] === `${ctx.instance}/${ctx.name}` || stack.id === mem.stackId);
    if (policy === 'Orphan') {
      if (stack && mine && stack.env[OWNER_ENV] !== undefined) {
        const env = Object.fromEntries(Object.entries(stack.env).filter(([k]) => k !== OWNER_ENV));
        await platform.updateStack(stack.id, { file: await platform.stackFile(stack.id), env });
        views.touched(server.name);
      }
      ctx.event('Normal', 'Orphaned', `left stack ${stackName} running and removed the ownership mark`);
      return { ready: { status: 'False', reason: 'Orphaned' }, deleted: true, childrenPolicy: 'Orphan' };
    }
    if (stack && mine) {
      ctx.progress('Deleting', `deleting stack ${stackName}`);
      await platform.deleteStack(stack.id);
      views.touched(server.name);
      ctx.event('Normal', 'StackDeleted', `deleted stack ${stackName}`);
    }
    const ids = new Set(view.services.filter((s) => s.stack === stackName).map((s) => s.id));
    const left = view.tasks.filter((t) => ids.has(t.serviceId) && !['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove'].includes(t.state));
    if (stack && mine) throw new WaitError('Deleting', `waiting for the tasks of ${stackName} to stop`, pollMs);
    if (left.length) throw new WaitError('Deleting', `${left.length} tasks of ${stackName} still running`, pollMs);
    const secrets = (await platform.listSecrets()).filter((s) => s.labels[SECRET_OWNER_LABEL] === `${ctx.instance}.${ctx.name}`);
    for (const s of secrets) await platform.deleteSecret(s.id);
    let volumes: string[] = [];
    try { volumes = prepareFor(ctx, ctx.object.spec as Record<string, unknown>, server, mem).render.volumes; } catch { /* a spec that no longer renders still deletes; the event then names the volume prefix */ }
    ctx.event('Normal', 'Deleted', `deleted the stack and ${secrets.length} Docker secrets; volumes are kept${volumes.length ? `: ${volumes.join(', ')}` : ` (none declared; any named ${stackName}_* stay)`}`);
    return { ready: { status: 'False', reason: 'Deleted' }, deleted: true, childrenPolicy: 'Delete' };
  }

  async function plan(ctx: PlanContext): Promise<PlanItem> {
    return planFor(ctx, { views, lists, seen, platform: deps.platform, vault: deps.vault, serverOf, ownerEnv: OWNER_ENV, ...(deps.templates ? { templates: deps.templates } : {}) });
  }

  return {
    kind: 'AppDeployment',
    settings: { concurrency: 4, resyncMs, backoffBaseMs: 2000, backoffCapMs: 600_000 },
    reconcile,
    plan,
    reasons: APP_REASONS,
    holds: (o: Resource) => [objectKey('Server', String((o.spec as { server?: unknown }).server))],
    invalidate: () => views.invalidate(),
  };
}

export { appHosts, envChanges };
