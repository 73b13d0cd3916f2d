// Static Hetzner catalog for the simulator: locations, server types and images, with their JSON renderings.

export interface LocationInfo {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export interface ServerTypeInfo {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  /** Net monthly price in EUR, rendered as decimal strings like the real API. */
  monthly: number;
  /** Locations where the type is sold. */
  locations: string[];
}

export interface ImageInfo {
  id: number;
  name: string;
  description: string;
  type: 'system' | 'app';
  os_flavor: 'ubuntu' | 'debian';
  os_version: string;
  architecture: 'x86' | 'arm';
  disk_size: number;
}

const EU = ['fsn1', 'nbg1', 'hel1'];
const ALL = ['fsn1', 'nbg1', 'hel1', 'ash', 'hil', 'sin'];

export const LOCATIONS: readonly LocationInfo[] = [
  { id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', latitude: 50.47612, longitude: 12.370071, network_zone: 'eu-central' },
  { id: 2, name: 'nbg1', description: 'Nuremberg DC Park 1', country: 'DE', city: 'Nuremberg', latitude: 49.452102, longitude: 11.076665, network_zone: 'eu-central' },
  { id: 3, name: 'hel1', description: 'Helsinki DC Park 1', country: 'FI', city: 'Helsinki', latitude: 60.169855, longitude: 24.938379, network_zone: 'eu-central' },
  { id: 4, name: 'ash', description: 'Ashburn, VA', country: 'US', city: 'Ashburn, VA', latitude: 39.043757, longitude: -77.487442, network_zone: 'us-east' },
  { id: 5, name: 'hil', description: 'Hillsboro, OR', country: 'US', city: 'Hillsboro, OR', latitude: 45.54222, longitude: -122.95194, network_zone: 'us-west' },
  { id: 6, name: 'sin', description: 'Singapore', country: 'SG', city: 'Singapore', latitude: 1.283333, longitude: 103.833333, network_zone: 'ap-southeast' },
];

// cx (gen3) and cax are EU-only; cpx51 is not sold in sin, so tests have several "unsupported location" cases.
export const SERVER_TYPES: readonly ServerTypeInfo[] = [
  { id: 104, name: 'cx23', description: 'CX23', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'x86', monthly: 3.49, locations: EU },
  { id: 105, name: 'cx33', description: 'CX33', cores: 4, memory: 8, disk: 80, cpu_type: 'shared', architecture: 'x86', monthly: 5.49, locations: EU },
  { id: 106, name: 'cx43', description: 'CX43', cores: 8, memory: 16, disk: 160, cpu_type: 'shared', architecture: 'x86', monthly: 9.49, locations: EU },
  { id: 107, name: 'cx53', description: 'CX53', cores: 16, memory: 32, disk: 320, cpu_type: 'shared', architecture: 'x86', monthly: 17.49, locations: EU },
  { id: 22, name: 'cpx11', description: 'CPX 11', cores: 2, memory: 2, disk: 40, cpu_type: 'shared', architecture: 'x86', monthly: 4.35, locations: ALL },
  { id: 23, name: 'cpx21', description: 'CPX 21', cores: 3, memory: 4, disk: 80, cpu_type: 'shared', architecture: 'x86', monthly: 7.55, locations: ALL },
  { id: 24, name: 'cpx31', description: 'CPX 31', cores: 4, memory: 8, disk: 160, cpu_type: 'shared', architecture: 'x86', monthly: 13.1, locations: ALL },
  { id: 25, name: 'cpx41', description: 'CPX 41', cores: 8, memory: 16, disk: 240, cpu_type: 'shared', architecture: 'x86', monthly: 24.4, locations: ALL },
  { id: 26, name: 'cpx51', description: 'CPX 51', cores: 16, memory: 32, disk: 360, cpu_type: 'shared', architecture: 'x86', monthly: 54.9, locations: ['fsn1', 'nbg1', 'hel1', 'ash', 'hil'] },
  { id: 45, name: 'cax11', description: 'CAX11', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'arm', monthly: 3.79, locations: EU },
  { id: 93, name: 'cax21', description: 'CAX21', cores: 4, memory: 8, disk: 80, cpu_type: 'shared', architecture: 'arm', monthly: 6.49, locations: EU },
  { id: 94, name: 'cax31', description: 'CAX31', cores: 8, memory: 16, disk: 160, cpu_type: 'shared', architecture: 'arm', monthly: 12.49, locations: EU },
  { id: 95, name: 'cax41', description: 'CAX41', cores: 16, memory: 32, disk: 320, cpu_type: 'shared', architecture: 'arm', monthly: 24.49, locations: EU },
];

// Like the real API, one image name exists once per architecture with different IDs.
export const IMAGES: readonly ImageInfo[] = [
  ['ubuntu-24.04', 'Ubuntu 24.04', 'system', 'ubuntu', '24.04', 161547269],
  ['ubuntu-22.04', 'Ubuntu 22.04', 'system', 'ubuntu', '22.04', 67794396],
  ['debian-12', 'Debian 12', 'system', 'debian', '12', 114690387],
  ['debian-13', 'Debian 13', 'system', 'debian', '13', 310557660],
  ['docker-ce', 'Docker CE', 'app', 'ubuntu', '24.04', 167463271],
].flatMap(([name, description, type, os_flavor, os_version, id]) => (['x86', 'arm'] as const).map((architecture, i) => ({
  id: (id as number) + i * 1000, name: name as string, description: description as string, type: type as ImageInfo['type'],
  os_flavor: os_flavor as ImageInfo['os_flavor'], os_version: os_version as string, architecture, disk_size: 5,
})));

// A fixed creation date keeps catalog renderings stable across runs.
const CATALOG_CREATED = '2024-04-25T00:00:00+00:00';

/** findLocation resolves a location by name or numeric ID (datacenter names are gone from the API since 2026-07). */
export function findLocation(ref: unknown): LocationInfo | undefined {
  return LOCATIONS.find((l) => l.name === ref || (typeof ref !== 'boolean' && ref !== '' && l.id === Number(ref)));
}

/** findServerType resolves a server type by name or numeric ID. */
export function findServerType(ref: unknown): ServerTypeInfo | undefined {
  return SERVER_TYPES.find((t) => t.name === ref || (typeof ref !== 'boolean' && ref !== '' && t.id === Number(ref)));
}

/** findImage resolves an image by ID, or by name for the wanted architecture; an ID keeps its own architecture (callers check it). */
export function findImage(ref: unknown, architecture: 'x86' | 'arm'): ImageInfo | undefined {
  const byId = IMAGES.find((i) => typeof ref !== 'boolean' && ref !== '' && i.id === Number(ref));
  if (byId) return byId;
  return IMAGES.find((i) => i.name === ref && i.architecture === architecture);
}

export function renderLocation(l: LocationInfo): Record<string, unknown> {
  return { ...l };
}

function price(n: number): string { return n.toFixed(10); }

/** renderServerType renders a type; `soldOutIn` tells where it is sold but unavailable right now (per-location availability). */
export function renderServerType(t: ServerTypeInfo, soldOutIn: (location: string) => boolean = () => false): Record<string, unknown> {
  return {
    id: t.id, name: t.name, description: t.description, cores: t.cores, memory: t.memory, disk: t.disk,
    deprecated: false, deprecation: null, storage_type: 'local', cpu_type: t.cpu_type, architecture: t.architecture,
    prices: t.locations.map((location) => ({
      location,
      price_hourly: { net: price(t.monthly / 730), gross: price((t.monthly / 730) * 1.19) },
      price_monthly: { net: price(t.monthly), gross: price(t.monthly * 1.19) },
      included_traffic: 21990232555520,
      price_per_tb_traffic: { net: price(1), gross: price(1.19) },
    })),
    locations: t.locations.map((name) => {
      const loc = findLocation(name)!;
      return { id: loc.id, name, available: !soldOutIn(name), recommended: false, deprecation: null };
    }),
  };
}

export function renderImage(i: ImageInfo): Record<string, unknown> {
  return {
    id: i.id, type: i.type, status: 'available', name: i.name, description: i.description, image_size: null,
    disk_size: i.disk_size, created: CATALOG_CREATED, created_from: null, bound_to: null, os_flavor: i.os_flavor,
    os_version: i.os_version, rapid_deploy: true, protection: { delete: false }, deprecated: null, deleted: null,
    labels: {}, architecture: i.architecture,
  };
}
