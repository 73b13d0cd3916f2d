// Hetzner simulator JSON renderings of servers, actions and SSH keys, shaped like the real API responses.
import { IMAGES, findLocation, findServerType, renderImage, renderLocation, renderServerType } from './hetzner-catalog.js';
import { iso } from './hetzner-http.js';
import type { ActionRecord, HetznerState, ServerRecord, SshKeyRecord } from './hetzner-state.js';

/** soldOut lists the server type names the capacity switch made unavailable in a location. */
export function soldOut(state: HetznerState, location: string): Set<string> {
  const out = new Set<string>();
  for (const c of state.capacity) {
    if (c.location !== undefined && c.location !== location) continue;
    if (c.serverType !== undefined) out.add(c.serverType);
  }
  return out;
}

function reverseV4(ip: string): string {
  return `static.${ip.split('.').reverse().join('.')}.clients.your-server.de`;
}

export function renderServer(state: HetznerState, s: ServerRecord): Record<string, unknown> {
  const loc = findLocation(s.location)!;
  const type = findServerType(s.serverType)!;
  const image = IMAGES.find((i) => i.id === s.imageId);
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    created: iso(s.created),
    public_net: {
      ipv4: s.ipv4 ? { id: s.ipv4.id, ip: s.ipv4.ip, blocked: false, dns_ptr: reverseV4(s.ipv4.ip) } : null,
      ipv6: s.ipv6 ? { id: s.ipv6.id, ip: s.ipv6.ip, blocked: false, dns_ptr: [] } : null,
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: renderServerType(type, (l) => soldOut(state, l).has(type.name)),
    // `datacenter` was removed from the API on 2026-07-01: only `location` is sent.
    location: renderLocation(loc),
    image: image ? renderImage(image) : null,
    iso: null,
    rescue_enabled: false,
    locked: state.busy(s.id),
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: 21990232555520,
    protection: { ...s.protection },
    labels: { ...s.labels },
    volumes: [],
    load_balancers: [],
    primary_disk_size: s.primaryDiskSize,
    placement_group: null,
  };
}

export function renderAction(state: HetznerState, a: ActionRecord, now: number): Record<string, unknown> {
  return {
    id: a.id,
    command: a.command,
    status: a.status,
    progress: state.progress(a, now),
    started: iso(a.created),
    finished: a.finished === null ? null : iso(a.finished),
    resources: a.resources.map((r) => ({ ...r })),
    error: a.error ? { ...a.error } : null,
  };
}

export function renderSshKey(k: SshKeyRecord): Record<string, unknown> {
  return { id: k.id, name: k.name, fingerprint: k.fingerprint, public_key: k.publicKey, labels: { ...k.labels }, created: iso(k.created) };
}
