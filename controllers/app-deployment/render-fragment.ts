// Shape checks of a template's compose fragment: the keys a template may write, named volumes only, and never a published port.
import type { ValidationIssue } from '../../src/crd/issues.js';
import { childPointer } from '../../src/crd/pointer.js';

/** Service keys a template may set; networks, secrets and update settings belong to the renderer. */
export const SERVICE_KEYS = new Set([
  'image', 'command', 'entrypoint', 'environment', 'healthcheck', 'volumes', 'user', 'working_dir',
  'stop_grace_period', 'stop_signal', 'deploy', 'tmpfs', 'ulimits', 'read_only', 'cap_add', 'cap_drop',
  'extra_hosts', 'hostname', 'sysctls',
]);

// Keys people write that must not pass, each with the reason a template author needs.
const REJECTED_SERVICE_KEYS: Record<string, string> = {
  ports: 'templates never publish ports: apps are reached through Traefik only',
  expose: 'is not needed: services on the stack network reach each other, Traefik uses the route port',
  network_mode: 'is not allowed: services join the stack network and, when routed, traefik-public',
  networks: 'are set by the renderer (the stack network, plus traefik-public for routed services)',
  secrets: 'are set by the renderer from the template secrets marked file: true',
  configs: 'are not supported in templates',
  labels: 'container labels are ignored by Swarm routing; use deploy.labels',
  env_file: 'is not allowed: declare inputs and reference them with ${input.NAME}',
  privileged: 'is not supported by Swarm',
  container_name: 'is ignored by Swarm; remove it',
  restart: 'is ignored by Swarm; remove it (use deploy.restart_policy)',
  depends_on: 'is ignored by Swarm; remove it',
  build: 'is ignored by Swarm; images are pinned by tag',
  links: 'is ignored by Swarm; remove it',
};

/** Deploy keys a template may set. */
export const DEPLOY_KEYS = new Set(['replicas', 'placement', 'labels', 'mode', 'endpoint_mode', 'restart_policy']);

const REJECTED_DEPLOY_KEYS: Record<string, string> = {
  update_config: 'is set by the renderer from the service class (stateless or with volumes)',
  rollback_config: 'is set by the renderer from the service class (stateless or with volumes)',
  resources: "is set by the renderer; declare it in the template's resources",
};

const HEALTHCHECK_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable']);
/** Label prefixes the renderer owns; a template may not set them itself. */
export const RESERVED_LABEL_PREFIXES = ['traefik.', 'livchat.ai/', 'com.docker.'];

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VOLUME_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** VolumeMount is one named volume mounted into a service. */
export interface VolumeMount {
  /** The volume's name inside the stack (Docker names it `<stack>_<source>`). */
  source: string;
  target: string;
  readOnly: boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** parseVolumes reads a service's volumes (short `name:/path[:ro]` or long `{type: volume, …}`); bind mounts are refused. */
export function parseVolumes(value: unknown, path: string, issues: ValidationIssue[]): VolumeMount[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    issues.push({ path, message: 'must be a list of named volumes such as data:/var/lib/app' });
    return [];
  }
  const out: VolumeMount[] = [];
  value.forEach((v, i) => {
    const p = childPointer(path, i);
    let mount: VolumeMount | undefined;
    if (typeof v === 'string') {
      const [source, target, mode, ...rest] = v.split(':');
      if (target === undefined || rest.length > 0 || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
        issues.push({ path: p, message: 'must be name:/path or name:/path:ro' });
        return;
      }
      mount = { source: source ?? '', target, readOnly: mode === 'ro' };
    } else if (isMap(v)) {
      const unknown = Object.keys(v).filter((k) => !['type', 'source', 'target', 'read_only'].includes(k));
      if (unknown.length > 0) {
        issues.push({ path: childPointer(p, unknown[0]!), message: 'unknown field; a volume has type, source, target and read_only' });
        return;
      }
      if (v.type !== 'volume') {
        issues.push({ path: childPointer(p, 'type'), message: 'must be volume: templates use named volumes only' });
        return;
      }
      mount = { source: String(v.source ?? ''), target: String(v.target ?? ''), readOnly: v.read_only === true };
    } else {
      issues.push({ path: p, message: 'must be a string name:/path or a mapping' });
      return;
    }
    if (mount.source.startsWith('/') || mount.source.startsWith('.') || mount.source.startsWith('~')) {
      issues.push({ path: p, message: 'bind mounts of host paths are not allowed; use a named volume' });
    } else if (!VOLUME_NAME.test(mount.source)) {
      issues.push({ path: p, message: `volume name ${JSON.stringify(mount.source)} must be lowercase letters, digits, "_" or "-", starting with a letter` });
    } else if (!mount.target.startsWith('/')) {
      issues.push({ path: p, message: 'the mount target must be an absolute path' });
    } else {
      out.push(mount);
    }
  });
  return out;
}

/** checkStringList accepts a string or a list of strings (command, entrypoint, healthcheck test). */
function checkStringList(value: unknown, path: string, issues: ValidationIssue[]): void {
  if (typeof value === 'string') return;
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return;
  issues.push({ path, message: 'must be a string or a list of strings' });
}

/** checkServiceShape checks one service of the fragment; placeholders are checked separately by the template validator. */
export function checkServiceShape(svc: unknown, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isMap(svc)) return [{ path, message: 'must be a mapping (a compose service)' }];
  for (const key of Object.keys(svc).sort()) {
    const p = childPointer(path, key);
    if (REJECTED_SERVICE_KEYS[key]) issues.push({ path: p, message: REJECTED_SERVICE_KEYS[key]! });
    else if (!SERVICE_KEYS.has(key)) issues.push({ path: p, message: 'unknown or unsupported compose key' });
  }
  if (typeof svc.image !== 'string' || svc.image === '') issues.push({ path: childPointer(path, 'image'), message: 'is required, e.g. ${image}:${version}' });
  if (svc.command !== undefined) checkStringList(svc.command, childPointer(path, 'command'), issues);
  if (svc.entrypoint !== undefined) checkStringList(svc.entrypoint, childPointer(path, 'entrypoint'), issues);
  if (svc.environment !== undefined) {
    const ep = childPointer(path, 'environment');
    if (!isMap(svc.environment)) issues.push({ path: ep, message: 'must be a mapping of NAME: value' });
    else {
      for (const [k, v] of Object.entries(svc.environment)) {
        if (!ENV_KEY.test(k)) issues.push({ path: childPointer(ep, k), message: 'is not a valid environment variable name' });
        else if (!['string', 'number', 'boolean'].includes(typeof v)) issues.push({ path: childPointer(ep, k), message: 'must be a string, number or boolean' });
      }
    }
  }
  if (svc.healthcheck !== undefined) {
    const hp = childPointer(path, 'healthcheck');
    if (!isMap(svc.healthcheck)) issues.push({ path: hp, message: 'must be a mapping with test, interval, timeout, retries, start_period' });
    else {
      for (const k of Object.keys(svc.healthcheck)) if (!HEALTHCHECK_KEYS.has(k)) issues.push({ path: childPointer(hp, k), message: 'unknown healthcheck key' });
      if (svc.healthcheck.disable !== true) {
        if (svc.healthcheck.test === undefined) issues.push({ path: childPointer(hp, 'test'), message: 'is required' });
        else checkStringList(svc.healthcheck.test, childPointer(hp, 'test'), issues);
      }
    }
  }
  parseVolumes(svc.volumes, childPointer(path, 'volumes'), issues);
  if (svc.deploy !== undefined) {
    const dp = childPointer(path, 'deploy');
    if (!isMap(svc.deploy)) issues.push({ path: dp, message: 'must be a mapping' });
    else {
      for (const key of Object.keys(svc.deploy).sort()) {
        const p = childPointer(dp, key);
        if (REJECTED_DEPLOY_KEYS[key]) issues.push({ path: p, message: REJECTED_DEPLOY_KEYS[key]! });
        else if (!DEPLOY_KEYS.has(key)) issues.push({ path: p, message: 'unknown or unsupported deploy key' });
      }
      const d = svc.deploy;
      if (d.mode !== undefined && d.mode !== 'replicated') issues.push({ path: childPointer(dp, 'mode'), message: 'must be replicated (global services are not supported in templates)' });
      if (d.replicas !== undefined && !(Number.isInteger(d.replicas) && (d.replicas as number) >= 0)) {
        issues.push({ path: childPointer(dp, 'replicas'), message: 'must be a whole number of at least 0' });
      }
      if (d.labels !== undefined) {
        const lp = childPointer(dp, 'labels');
        if (!isMap(d.labels)) issues.push({ path: lp, message: 'must be a mapping of label: value' });
        else {
          for (const [k, v] of Object.entries(d.labels)) {
            if (RESERVED_LABEL_PREFIXES.some((pre) => k.startsWith(pre))) issues.push({ path: childPointer(lp, k), message: 'is set by the renderer; templates may not set traefik.*, livchat.ai/* or com.docker.* labels' });
            else if (typeof v !== 'string') issues.push({ path: childPointer(lp, k), message: 'must be a string' });
          }
        }
      }
    }
  }
  return issues;
}

/** walkStrings calls fn for every string value under `value` (never keys), with its JSON Pointer. */
export function walkStrings(value: unknown, path: string, fn: (s: string, path: string) => void): void {
  if (typeof value === 'string') fn(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, childPointer(path, i), fn));
  else if (isMap(value)) for (const [k, v] of Object.entries(value)) walkStrings(v, childPointer(path, k), fn);
}

/** walkKeys calls fn for every mapping key under `value`, with the key's JSON Pointer. */
export function walkKeys(value: unknown, path: string, fn: (key: string, path: string) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => walkKeys(v, childPointer(path, i), fn));
  else if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) {
      fn(k, childPointer(path, k));
      walkKeys(v, childPointer(path, k), fn);
    }
  }
}

/** isPinnedImage tells whether an image reference names an explicit tag other than latest, or a digest. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) return false;
  const tag = image.slice(colon + 1);
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) && tag !== 'latest';
}
