// Registry entry of the AppDeployment kind: app templates deployed as Swarm stacks through each server's Portainer.
import type { KindModule } from '../kind.js';
import { createAppDeploymentController } from './controller.js';
import { findTemplate, templateNames } from './catalog/index.js';
import { validateDeployment, type AppDeploymentInput } from './template.js';

export const appDeploymentKind: KindModule = {
  kind: 'AppDeployment',
  needs: ['apps', 'probe'],
  check: (o) => {
    const spec = o.spec as unknown as AppDeploymentInput;
    const t = findTemplate(spec.app);
    if (!t) return [{ path: '/spec/app', message: `no app template named ${JSON.stringify(spec.app)}; the catalog has ${templateNames().join(', ')}` }];
    return validateDeployment(t, spec);
  },
  create: (d) => createAppDeploymentController({
    platform: (server) => d.providers.apps(server), probe: d.providers.probe, vault: d.vault, clock: d.clock,
    ...(d.settings?.resyncMs ? { resyncMs: d.settings.resyncMs } : {}),
  }),
};
