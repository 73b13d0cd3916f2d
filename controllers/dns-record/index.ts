// Registry entry of the DNSRecord kind: Cloudflare records, owned by marker, content from a Server's address.
import type { KindModule } from '../kind.js';
import { createDnsRecordController } from './controller.js';
import { isRecordNotFound } from './failure.js';
import { normalizeZone } from './normalize.js';

export const dnsRecordKind: KindModule = {
  kind: 'DNSRecord',
  needs: ['dns'],
  create: (d) => createDnsRecordController({
    dns: d.providers.dns, clock: d.clock, isNotFound: isRecordNotFound,
    ...(d.settings?.resyncMs ? { resyncMs: d.settings.resyncMs } : {}),
    onDrift: (fields) => { for (const f of fields) d.onDrift('DNSRecord', f); },
  }),
  simulated: {
    zones: (o) => {
      const zone = (o.spec as { zone?: unknown }).zone;
      return typeof zone === 'string' ? [normalizeZone(zone)] : [];
    },
  },
};
