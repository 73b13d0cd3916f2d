// Registry entry of the Server kind: Hetzner servers set up over SSH with Ansible, with derived DNS records.
import type { KindModule } from '../kind.js';
import { createServerController } from './controller.js';

export const serverKind: KindModule = {
  kind: 'Server',
  needs: ['hcloud', 'host', 'portainer'],
  create: (d) => createServerController({
    hcloud: d.providers.hcloud, host: d.providers.host, clock: d.clock, ...d.identity, vault: d.vault, portainer: d.providers.portainer,
    ...(d.options.serverCreateGraceMs !== undefined ? { createGraceMs: d.options.serverCreateGraceMs } : {}),
  }),
  simulated: {
    zones: (o) => {
      const zone = (o.spec as { dns?: { zone?: unknown } }).dns?.zone;
      return typeof zone === 'string' ? [zone.toLowerCase().replace(/\.$/, '')] : [];
    },
  },
};
