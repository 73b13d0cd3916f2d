// What `livchat plan` shows for an AppDeployment: the step decide() picks, with the service-level diff (env values masked).
import type { PlanContext, PlanItem } from '../../src/engine/reconciler.js';
import { WaitError, TerminalError } from '../../src/engine/errors.js';
import { decide, type Memory, type ServiceSeen } from './decide.js';
import { diffStack, planChanges, type ServiceState } from './service-diff.js';
import { prepare } from './prepare.js';
import { vaultName, type SecretVault } from './secrets.js';
import type { ServiceExpectation } from './render.js';
import type { AppPlatform, Service as PlatformService, Stack as PlatformStack, Task as PlatformTask } from './port.js';
import type { ServerViews, Lists } from './server-view.js';
import type { AppServer } from './prepare.js';
import type { AppTemplate } from './template.js';

export interface PlanHelpers {
  views: ServerViews<PlatformStack, PlatformService, PlatformTask>;
  lists(p: AppPlatform): Lists<PlatformStack, PlatformService, PlatformTask>;
  seen(stack: string, v: { stacks: PlatformStack[]; services: PlatformService[]; tasks: PlatformTask[] }): { stack: PlatformStack | undefined; services: ServiceSeen[] };
  platform(server: AppServer): AppPlatform;
  vault: SecretVault;
  serverOf(ctx: PlanContext, name: string): AppServer;
  ownerEnv: string;
  templates?: (name: string) => AppTemplate | undefined;
}

/** The memory fields plan reads (written by reconcile). */
interface PlanMemory extends Memory { deployedServices?: ServiceExpectation[]; tlsHosts?: string[] }

const side = (services: readonly ServiceExpectation[], hash?: string) => ({ ...(hash ? { hash } : {}), services: services.map((s): ServiceState => ({ name: s.name, image: s.image, replicas: s.replicas, labels: s.labels, envDigests: s.envDigests, taskHash: s.taskHash })) });

/** planFor reads (never writes: a secret not generated yet is planned as new) and reports one item. */
export async function planFor(ctx: PlanContext, h: PlanHelpers): Promise<PlanItem> {
  const spec = ctx.object.spec as Record<string, unknown>;
  const policy = spec.deletionPolicy === 'Orphan' ? 'Orphan' : 'Delete';
  if (!ctx.desired) {
    return { key: ctx.key, action: 'delete', message: policy === 'Orphan' ? `orphan stack ${ctx.object.metadata.name}: it keeps running without livchat` : `delete stack ${ctx.object.metadata.name}, its DNS records and Docker secrets; volumes are kept` };
  }
  let server: AppServer;
  try {
    server = h.serverOf(ctx, String(spec.server));
  } catch (err) {
    if (err instanceof WaitError || err instanceof TerminalError) return { key: ctx.key, action: ctx.internal.stackId ? 'no-op' : 'create', message: `${ctx.internal.stackId ? 'unchanged until' : 'deploys once'} ${err.message.replace(/^Server/, 'Server')}` };
    throw err;
  }
  const mem = ctx.internal as PlanMemory;
  let newSecrets = 0;
  const prep = prepare({
    name: ctx.object.metadata.name, instance: ctx.instance, spec, server, tlsHosts: new Set(mem.tlsHosts ?? []), certBlocked: false, ...(h.templates ? { templates: h.templates } : {}),
    secrets: (specs) => {
      const values: Record<string, string> = {};
      for (const s of specs) {
        const v = h.vault.get(vaultName(server.name, ctx.object.metadata.name, s.name));
        if (v === undefined) newSecrets++;
        values[s.name] = v ?? `(new ${s.name})`.padEnd(s.length, '.');
      }
      return { values, digests: {}, created: [], rotated: [] };
    },
  });
  const platform = h.platform(server);
  const view = await h.views.get(server.name, h.lists(platform));
  const { stack, services } = h.seen(prep.stackName, view);
  const env = { ...prep.render.envMap, [h.ownerEnv]: `${ctx.instance}/${ctx.object.metadata.name}` };
  const step = decide({
    render: { hash: prep.render.hash, file: prep.render.file, env, services: prep.render.serviceNames },
    stack: stack ? { id: stack.id, status: stack.status, env: stack.env, updatedAt: stack.updatedAt } : undefined,
    services, memory: mem, rolloutElapsedMs: 0, deadlineMs: prep.deadlineMs, retryAsked: ctx.object.metadata.annotations?.['livchat.ai/retry'] === String(ctx.generation),
  });
  const next = side(prep.render.services, prep.render.hash);
  const secretsNote = newSecrets ? `; generates ${newSecrets} secret${newSecrets === 1 ? '' : 's'}` : '';
  switch (step.type) {
    case 'create':
    case 'recreate': {
      const d = diffStack(undefined, next);
      return { key: ctx.key, action: 'create', changes: planChanges(d), message: `${step.type === 'recreate' ? `${step.why}; ` : ''}deploy ${prep.template.name} ${prep.version} at https://${prep.hosts[0]}${secretsNote}` };
    }
    case 'update': {
      const d = diffStack(mem.deployedServices ? side(mem.deployedServices, mem.deployedHash) : undefined, next);
      const why = step.why === 'drift-env' ? `correct env drift (${step.changedEnv.join(', ')})` : step.why === 'suspect-file' ? 'the stack was changed outside livchat: compare the file and redeploy if it differs' : `redeploy ${prep.template.name} ${prep.version}`;
      return { key: ctx.key, action: 'update', changes: planChanges(d), message: `${why}; ${d.restarts ? 'restarts services' : 'no service restarts'}${secretsNote}` };
    }
    case 'rolled-back':
      return { key: ctx.key, action: 'blocked', message: `this version was rolled back (${step.failed.message}); change the spec or annotate livchat.ai/retry: "${ctx.generation}"` };
    case 'wait-deploy':
    case 'follow':
    case 'converged':
    case 'rollback':
      return { key: ctx.key, action: 'no-op', message: 'a deploy is in progress' };
    case 'none':
      return { key: ctx.key, action: 'no-op' };
  }
}
