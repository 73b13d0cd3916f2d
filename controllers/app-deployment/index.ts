// Registry entry of the AppDeployment kind: app templates deployed as Swarm stacks through each server's Portainer.
import type { KindModule } from '../kind.js';
import { createAppDeploymentController } from './controller.js';

export const appDeploymentKind: KindModule = {
  kind: 'AppDeployment',
  needs: ['apps', 'probe'],
  create: (d) => createAppDeploymentController({
    platform: (server) => d.providers.apps(server), probe: d.providers.probe, vault: d.vault, clock: d.clock,
    ...(d.settings?.resyncMs ? { resyncMs: d.settings.resyncMs } : {}),
  }),
};
