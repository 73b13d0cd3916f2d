// Read-only view of every simulated Portainer's services for the simulated Traefik edge: labels, image and healthy tasks.
import type { PortainerWorld } from './portainer-state.js';
import { imageOf, liveServices } from './portainer-swarm.js';
import { entryAt } from './portainer-timeline.js';
import { STACK_IMAGE } from './portainer-deploy.js';

/** PortainerRoute is one live service as the edge sees it; Traefik routes only to running tasks (healthy ones, with a healthcheck). */
export interface PortainerRoute {
  instanceId: number;
  serviceName: string;
  /** Service labels (`deploy.labels`), where Traefik's swarm provider reads its configuration. */
  labels: Record<string, string>;
  runningHealthyTasks: number;
  /** The image as written in the stack file, without the pinned digest. */
  image: string;
  /** The node's address, which the server's DNS record should point at. */
  nodeAddress: string;
}

/** portainerRoutes lists the live services of every instance at sim time `now` (settle the world first). */
export function portainerRoutes(world: PortainerWorld, now: number): PortainerRoute[] {
  const out: PortainerRoute[] = [];
  for (const inst of Object.values(world.instances).sort((a, b) => a.id - b.id)) {
    for (const svc of liveServices(inst)) {
      const labels = { ...((svc.spec.Labels ?? {}) as Record<string, string>) };
      const running = Object.values(inst.tasks).filter((t) => t.serviceId === svc.id && t.desiredState === 'running' && entryAt(t, now).state === 'running').length;
      out.push({ instanceId: inst.id, serviceName: svc.name, labels, runningHealthyTasks: running, image: labels[STACK_IMAGE] ?? imageOf(svc.spec).split('@')[0]!, nodeAddress: inst.nodeAddress });
    }
  }
  return out;
}
