// Compose 3.x schema for the Portainer simulator's stack-file checks, with docker/cli's validation messages.

/** S is a small JSON-schema subset: enough for the compose file keys `docker stack deploy` accepts. */
export type S =
  | { t: 'string' | 'integer' | 'number' | 'boolean' | 'duration' | 'any' }
  | { t: 'enum'; values: string[] }
  | { t: 'object'; props: Record<string, S>; xExt?: boolean; additional?: S }
  | { t: 'array'; items: S }
  | { t: 'oneOf'; of: S[] }
  | { t: 'null' };

const str: S = { t: 'string' };
const int: S = { t: 'integer' };
const num: S = { t: 'number' };
const bool: S = { t: 'boolean' };
const dur: S = { t: 'duration' };
const any: S = { t: 'any' };
const nul: S = { t: 'null' };
const strs: S = { t: 'array', items: str };
const obj = (props: Record<string, S>, xExt = false): S => ({ t: 'object', props, xExt });
const map = (additional: S): S => ({ t: 'object', props: {}, additional });
const oneOf = (...of: S[]): S => ({ t: 'oneOf', of });
const arr = (items: S): S => ({ t: 'array', items });

const listOrDict = oneOf(map(oneOf(str, num, bool, nul)), strs);
const stringOrList = oneOf(str, strs);

const updateConfig = obj({
  parallelism: int, delay: dur, failure_action: { t: 'enum', values: ['continue', 'rollback', 'pause'] },
  monitor: dur, max_failure_ratio: num, order: { t: 'enum', values: ['start-first', 'stop-first'] },
}, true);

const resource = obj({ cpus: oneOf(num, str), memory: str, pids: int, generic_resources: arr(any), devices: arr(any) }, true);

const deploy = obj({
  mode: { t: 'enum', values: ['replicated', 'global', 'replicated-job', 'global-job'] },
  endpoint_mode: { t: 'enum', values: ['vip', 'dnsrr'] },
  replicas: int,
  labels: listOrDict,
  rollback_config: updateConfig,
  update_config: updateConfig,
  resources: obj({ limits: resource, reservations: resource }, true),
  restart_policy: obj({ condition: { t: 'enum', values: ['none', 'on-failure', 'any'] }, delay: dur, max_attempts: int, window: dur }, true),
  placement: obj({ constraints: strs, preferences: arr(obj({ spread: str })), max_replicas_per_node: int }, true),
}, true);

const healthcheck = obj({
  disable: bool, interval: dur, retries: num, test: stringOrList, timeout: dur, start_period: dur, start_interval: dur,
}, true);

const fileRef = arr(oneOf(str, obj({ source: str, target: str, uid: str, gid: str, mode: num }, true)));

/** SERVICE is every key the compose 3.x schema allows on a service (Swarm ignores some of them). */
export const SERVICE: S = obj({
  build: oneOf(str, map(any)), cap_add: strs, cap_drop: strs, cgroupns_mode: str, cgroup_parent: str,
  command: oneOf(str, strs, nul), configs: fileRef, container_name: str, credential_spec: map(any),
  depends_on: oneOf(strs, map(any)), deploy: oneOf(deploy, nul), devices: strs, dns: stringOrList, dns_search: stringOrList,
  domainname: str, entrypoint: oneOf(str, strs, nul), env_file: stringOrList, environment: listOrDict, expose: arr(oneOf(str, num)),
  external_links: strs, extra_hosts: listOrDict, healthcheck, hostname: str, image: str, init: bool, ipc: str, isolation: str,
  labels: listOrDict, links: strs, logging: obj({ driver: str, options: map(oneOf(str, num, nul)) }), mac_address: str,
  network_mode: str, networks: oneOf(strs, map(oneOf(obj({ aliases: strs, ipv4_address: str, ipv6_address: str }, true), nul))),
  pid: oneOf(str, nul), ports: arr(oneOf(num, str, obj({ mode: str, host_ip: str, target: int, published: oneOf(int, str), protocol: str }, true))),
  privileged: bool, read_only: bool, restart: str, secrets: fileRef, security_opt: strs, shm_size: oneOf(num, str),
  stdin_open: bool, stop_grace_period: dur, stop_signal: str, sysctls: listOrDict, tmpfs: stringOrList, tty: bool,
  ulimits: map(oneOf(int, obj({ hard: int, soft: int }))), user: str, userns_mode: str,
  volumes: arr(oneOf(str, obj({ type: str, source: str, target: str, read_only: bool, consistency: str, bind: map(any), volume: map(any), tmpfs: map(any) }, true))),
  working_dir: str,
}, true);

const external = oneOf(bool, obj({ name: str }));

export const ROOT: S = obj({
  version: oneOf(str, num),
  services: map(SERVICE),
  networks: map(oneOf(obj({ driver: str, driver_opts: map(oneOf(str, num)), ipam: map(any), external, internal: bool, attachable: bool, labels: listOrDict, name: str }, true), nul)),
  volumes: map(oneOf(obj({ driver: str, driver_opts: map(oneOf(str, num)), external, labels: listOrDict, name: str }, true), nul)),
  secrets: map(obj({ file: str, external, labels: listOrDict, name: str, driver: str, driver_opts: map(oneOf(str, num)), template_driver: str }, true)),
  configs: map(obj({ file: str, external, labels: listOrDict, name: str, template_driver: str }, true)),
}, true);

/** UNSUPPORTED lists service keys `docker stack deploy` ignores with a warning (docker/cli convert). */
export const UNSUPPORTED = ['build', 'cgroupns_mode', 'cgroup_parent', 'devices', 'domainname', 'external_links', 'ipc', 'links', 'mac_address', 'network_mode', 'pid', 'privileged', 'restart', 'security_opt', 'shm_size', 'userns_mode'];

/** DEPRECATED are keys docker/cli ignores with an explanation. */
export const DEPRECATED: Record<string, string> = {
  container_name: 'Setting the container name is not supported.',
  expose: 'Exposing ports is unnecessary - services on the same network can access each other\'s containers on any port.',
};

/** FORBIDDEN are keys docker/cli refuses outright. */
export const FORBIDDEN: Record<string, string> = {
  extends: 'Support for `extends` is not implemented yet.',
  volume_driver: 'Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.',
  volumes_from: 'To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.',
  cpu_quota: 'Set resource limits using deploy.resources',
  cpu_shares: 'Set resource limits using deploy.resources',
  cpuset: 'Set resource limits using deploy.resources',
  mem_limit: 'Set resource limits using deploy.resources',
  memswap_limit: 'Set resource limits using deploy.resources',
};

const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/** typeName is docker/cli's humanReadableType. */
function typeName(s: S): string {
  switch (s.t) {
    case 'object': return 'mapping';
    case 'array': return 'list';
    case 'duration': case 'enum': return 'string';
    case 'oneOf': {
      const names = [...new Set(s.of.filter((x) => x.t !== 'null').map(typeName))];
      return names.length <= 1 ? names[0] ?? 'null' : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
    }
    default: return s.t;
  }
}

function accepts(s: S, v: unknown): boolean {
  switch (s.t) {
    case 'any': return true;
    case 'null': return v === null;
    case 'string': case 'duration': case 'enum': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'oneOf': return s.of.some((x) => accepts(x, v));
  }
}

/**
 * validate checks `v` against `s` and returns docker/cli's first error (`services.web Additional property foo is not allowed`).
 * `cast` lists paths whose strings came from interpolation: docker/cli converts those to the number or boolean the schema wants.
 */
export function validate(s: S, v: unknown, path: string, cast: Set<string>, set: (value: unknown) => void): string | undefined {
  const at = path || '(root)';
  if (typeof v === 'string' && cast.has(path)) {
    const wants = s.t === 'oneOf' ? s.of.map((x) => x.t) : [s.t];
    if ((wants.includes('integer') || wants.includes('number')) && /^-?\d+(\.\d+)?$/.test(v)) { v = Number(v); set(v); }
    else if (wants.includes('boolean') && /^(true|false)$/i.test(v)) { v = v.toLowerCase() === 'true'; set(v); }
  }
  if (s.t === 'oneOf') {
    const match = s.of.find((x) => accepts(x, v));
    if (!match) return `${at} must be a ${typeName(s)}`;
    return validate(match, v, path, cast, set);
  }
  if (!accepts(s, v)) return `${at} must be a ${typeName(s)}`;
  if (s.t === 'duration' && !DURATION.test(v as string) && v !== '0') return `${at} Does not match format 'duration'`;
  if (s.t === 'enum' && !s.values.includes(v as string)) return `${at} must be one of the following: ${s.values.map((x) => `"${x}"`).join(', ')}`;
  if (s.t === 'array') {
    const a = v as unknown[];
    for (let i = 0; i < a.length; i++) {
      const err = validate(s.items, a[i], `${path}.${i}`, cast, (x) => { a[i] = x; });
      if (err) return err;
    }
  }
  if (s.t === 'object') {
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      const sub = s.props[key] ?? s.additional;
      if (!sub) {
        if (s.xExt && key.startsWith('x-')) continue;
        return `${at} Additional property ${key} is not allowed`;
      }
      const err = validate(sub, o[key], path ? `${path}.${key}` : key, cast, (x) => { o[key] = x; });
      if (err) return err;
    }
  }
  return undefined;
}

/** parseDuration reads a Go duration (`1m30s`, `500ms`) into milliseconds. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}
