// Hetzner Cloud API v1 wire types used by the client (only the fields the project reads are typed strictly).

export type ServerStatus = 'initializing' | 'starting' | 'running' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';

export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export interface ServerType {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture?: 'x86' | 'arm';
  deprecated: boolean;
  /** Since 2026-04: where the type is sold and whether it can be ordered there right now. */
  locations?: Array<{ id: number; name: string; available: boolean; recommended?: boolean }>;
}

export interface Image {
  id: number;
  name: string | null;
  type: string;
  os_flavor: string;
  os_version: string | null;
  architecture?: 'x86' | 'arm';
}

export interface Server {
  id: number;
  name: string;
  status: ServerStatus;
  created: string;
  public_net: {
    ipv4: { id?: number; ip: string; blocked: boolean; dns_ptr: string } | null;
    /** `ip` is a /64 network such as `2001:db8:1:2::/64`, not a host address. */
    ipv6: { id?: number; ip: string; blocked: boolean; dns_ptr: Array<{ ip: string; dns_ptr: string }> | null } | null;
    floating_ips: number[];
    firewalls?: Array<{ id: number; status: 'applied' | 'pending' }>;
  };
  server_type: ServerType;
  /** Current API. Responses before 2026-07 had only `datacenter.location`; read it through `serverLocation()`. */
  location?: Location;
  datacenter?: { id: number; name: string; description?: string; location: Location };
  image: Image | null;
  labels: Record<string, string>;
  protection: { delete: boolean; rebuild: boolean };
  locked: boolean;
  primary_disk_size: number;
  rescue_enabled: boolean;
}

export interface ActionResource { id: number; type: string }

export interface Action {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: ActionResource[];
  error: { code: string; message: string } | null;
}

export interface SshKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Record<string, string>;
  created: string;
}

export interface CreateServerRequest {
  name: string;
  server_type: string;
  image: string;
  location?: string;
  ssh_keys?: Array<string | number>;
  user_data?: string;
  start_after_create?: boolean;
  labels?: Record<string, string>;
  public_net?: { enable_ipv4?: boolean; enable_ipv6?: boolean; ipv4?: number | null; ipv6?: number | null };
  firewalls?: Array<{ firewall: number }>;
  networks?: number[];
}

export interface CreateServerResult {
  server: Server;
  action: Action;
  nextActions: Action[];
  /** Only set when no SSH keys were given. */
  rootPassword: string | null;
}

export interface Pagination {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number | null;
  total_entries: number | null;
}

/** serverLocation reads the location from the current top-level field or the legacy datacenter. */
export function serverLocation(server: Pick<Server, 'location' | 'datacenter'>): Location | undefined {
  return server.location ?? server.datacenter?.location;
}
