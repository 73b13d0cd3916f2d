// The deterministic stack renderer: template + AppDeployment spec + context → compose file, stack Env, hash and per-service expectations.
import { stringify } from 'yaml';
import { canonicalJson, sha256Hex } from '../../src/engine/canonical.js';
import type { ValidationIssue } from '../../src/crd/issues.js';
import { childPointer } from '../../src/crd/pointer.js';
import {
  DEFAULT_DEADLINE_SECONDS, hostPrefixes, resolveInputs, resolveVersion, scalableServices, secretEnv, validateDeployment, validateTemplate,
  type AppDeploymentInput, type AppTemplate, type InputValue, type TemplateSecret,
} from './template.js';
import { isPinnedImage, parseVolumes, type VolumeMount } from './render-fragment.js';
import { DEFAULT_NETWORK, ownershipLabels, traefikLabels, type RouterInput } from './render-labels.js';
import { interpolate, parseTemplateString, substitute, wholePlaceholder, type Placeholder, type Substitution } from './render-placeholders.js';
import { updateSettings } from './render-update.js';

/** COMPOSE_VERSION is the compose file format every stack is written in. */
export const COMPOSE_VERSION = '3.8';
/** STACK_NETWORK is the per-stack attachable overlay every service joins (Docker names it `<stack>_default`). */
export const STACK_NETWORK = 'default';
/** SECRETS_DIR is where Swarm mounts Docker secrets inside a container. */
export const SECRETS_DIR = '/run/secrets';

/** RenderContext is what the controller knows beyond the template and the spec. */
export interface RenderContext {
  /** The AppDeployment's name, written into the livchat.ai/app label. */
  app: string;
  /** The Portainer stack name; must already be normalised (see stackName). */
  stack: string;
  /** Route host prefix → FQDN, as resolveHosts gives them. */
  hosts: Readonly<Record<string, string>>;
  /** The one certificate resolver name every router uses, e.g. le. */
  resolver: string;
  /** The external overlay shared with Traefik. @default traefik-public */
  network?: string;
  /** Template secret name → its value from the vault; every declared secret must be present. */
  secrets: Readonly<Record<string, string>>;
  /** Whether each host's TLS router is deployed (its DNS answers with the server's address): one flag for all, or per FQDN. */
  tls: boolean | Readonly<Record<string, boolean>>;
}

/** EnvVar is one entry of Portainer's stack Env list. */
export interface EnvVar {
  name: string;
  value: string;
}

/** ServiceExpectation is what one rendered service should look like once deployed; it carries no secret value. */
export interface ServiceExpectation {
  /** Docker service name, `<stack>_<service>`. */
  name: string;
  /** The template's service name. */
  service: string;
  image: string;
  replicas: number;
  /** Service labels (deploy.labels). */
  labels: Record<string, string>;
  envKeys: string[];
  /** Environment name → fingerprint of the value the container sees (secret values only ever as fingerprints). */
  envDigests: Record<string, string>;
  hasVolumes: boolean;
  /** Hash of everything in the task template (image, env, mounts, networks, secrets, healthcheck, resources…): a change restarts tasks. */
  taskHash: string;
}

/** DockerSecretRef is a Docker secret the stack references as external: the controller creates it before deploying. */
export interface DockerSecretRef {
  /** Versioned Docker name, `<stack>_<secret>_<shortHash>`: a rotated value gets a new name. */
  name: string;
  /** The template secret whose vault value the Docker secret holds. */
  secret: string;
  labels: Record<string, string>;
}

/** RenderedRoute is one Traefik route of the stack. */
export interface RenderedRoute {
  router: string;
  /** Docker service name. */
  service: string;
  fqdn: string;
  pathPrefix?: string;
  port: number;
  /** Whether the router is in the file (false until the host's DNS answers). */
  tls: boolean;
}

/** RenderedStack is the renderer's result. */
export interface RenderedStack {
  stack: string;
  version: string;
  /** The compose file, byte-for-byte stable for equal inputs. */
  file: string;
  /** Portainer's Env list, sorted by name (secrets marked file: false). */
  env: EnvVar[];
  /** sha256 of the file and the Env names and values: changes when anything deployed changes, including a rotated secret. */
  hash: string;
  services: ServiceExpectation[];
  /** Docker volume names, `<stack>_<volume>`; never removed by livchat. */
  volumes: string[];
  dockerSecrets: DockerSecretRef[];
  routes: RenderedRoute[];
  /** The distinct FQDNs of the routes, sorted: one owned DNS record each. */
  hosts: string[];
  /** Where Ready's outside health check goes. */
  health: { service: string; fqdn: string; port: number; path: string; url: string };
  deadlineMs: number;
}

/** RenderError carries the problems that stopped a render, each with a JSON Pointer into the spec or the template. */
export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(readonly problems: ValidationIssue[]) {
    super(problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; '));
  }
}

/** stackName normalises a name as Portainer does: lowercase, then everything outside [-_a-z0-9] is dropped. */
export function stackName(name: string): string {
  const n = name.toLowerCase().replace(/[^-_a-z0-9]/g, '');
  if (n === '') throw new Error(`${JSON.stringify(name)} has no character left for a stack name`);
  return n;
}

/** DOCKER_NAME_MAX is Docker's limit on secret names. */
const DOCKER_NAME_MAX = 64;

/**
 * dockerSecretName gives a secret value its versioned Docker name. The short hash covers the value, so rotation
 * yields a new secret (Docker secrets are immutable); 40 bits of a hash of a ≥16-character random value reveal nothing.
 */
export function dockerSecretName(stack: string, secret: string, value: string): string {
  const short = sha256Hex(`${stack}\u0000${secret}\u0000${value}`).slice(0, 10);
  const room = DOCKER_NAME_MAX - secret.length - short.length - 2;
  return `${stack.slice(0, Math.max(1, room))}_${secret}_${short}`;
}

/** envFingerprint is the form in which an environment value is compared and shown: never the value itself. */
export function envFingerprint(value: string): string {
  return sha256Hex(`livchat-env\u0000${value}`).slice(0, 16);
}

/** fingerprintEnv turns Docker's `KEY=value` environment list (an observed service) into fingerprints. */
export function fingerprintEnv(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of list) {
    const i = entry.indexOf('=');
    if (i > 0) out[entry.slice(0, i)] = envFingerprint(entry.slice(i + 1));
  }
  return out;
}

/** tlsFor reads the context's TLS flag for one host. */
function tlsFor(ctx: RenderContext, fqdn: string): boolean {
  return typeof ctx.tls === 'boolean' ? ctx.tls : ctx.tls[fqdn] === true;
}

/** checkContext reports what the caller forgot to pass, naming the missing piece but never a value. */
function checkContext(t: AppTemplate, ctx: RenderContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  let normal = '';
  try { normal = stackName(ctx.stack); } catch { /* reported below */ }
  if (normal !== ctx.stack) issues.push({ path: '', message: `stack name ${JSON.stringify(ctx.stack)} is not normalised (want ${JSON.stringify(normal)})` });
  if (!/^[A-Za-z0-9_-]+$/.test(ctx.resolver)) issues.push({ path: '', message: `certificate resolver name ${JSON.stringify(ctx.resolver)} is invalid` });
  for (const prefix of hostPrefixes(t)) if (!ctx.hosts[prefix]) issues.push({ path: '', message: `no FQDN was given for host prefix ${prefix}` });
  for (const s of t.secrets ?? []) if (!ctx.secrets[s.name]) issues.push({ path: '', message: `no value was given for secret ${s.name}` });
  return issues;
}

// Sections where compose wants numbers; everywhere else (environment, command, labels…) a value is text.
const TYPED_SECTIONS = new Set(['ulimits', 'deploy']);

/** Renderer carries one render's state: the env list it fills and the file secrets each service mounts. */
class Renderer {
  readonly env = new Map<string, string>();
  readonly mounted = new Map<string, Set<string>>();
  private readonly secrets: Map<string, TemplateSecret>;
  private readonly primary: string | undefined;

  constructor(
    private readonly t: AppTemplate,
    private readonly ctx: RenderContext,
    private readonly inputs: Record<string, InputValue>,
    private readonly version: string,
  ) {
    this.secrets = new Map((t.secrets ?? []).map((s) => [s.name, s]));
    this.primary = hostPrefixes(t)[0];
  }

  /** resolve turns one placeholder into text or an Env reference, recording the secrets it pulls in. */
  private resolve(service: string, ph: Placeholder): Substitution {
    switch (ph.kind) {
      case 'input':
        return { text: String(this.inputs[ph.arg!] ?? '') };
      case 'secret': {
        const s = this.secrets.get(ph.arg!)!;
        if (s.file) {
          let set = this.mounted.get(service);
          if (!set) this.mounted.set(service, (set = new Set()));
          set.add(s.name);
          return { text: `${SECRETS_DIR}/${s.name}` };
        }
        this.env.set(secretEnv(s), this.ctx.secrets[s.name]!);
        return { envRef: secretEnv(s) };
      }
      case 'host':
        return { text: this.ctx.hosts[ph.arg ?? this.primary!]! };
      case 'url':
        return { text: `https://${this.ctx.hosts[ph.arg ?? this.primary!]!}` };
      case 'version':
        return { text: this.version };
      case 'image':
        return { text: this.t.image };
      case 'stack':
        return { text: this.ctx.stack };
    }
  }

  /** string renders one template string; a lone integer or boolean input keeps its type where compose wants a number. */
  string(service: string, section: string, s: string, path: string): unknown {
    const parsed = parseTemplateString(s);
    if (parsed.error !== undefined) throw new RenderError([{ path, message: parsed.error }]);
    const whole = wholePlaceholder(parsed.parts);
    if (whole?.kind === 'input' && TYPED_SECTIONS.has(section)) {
      const v = this.inputs[whole.arg!];
      if (typeof v === 'number' || typeof v === 'boolean') return v;
    }
    return substitute(parsed.parts, (ph) => this.resolve(service, ph));
  }

  /** value renders any fragment value recursively. */
  value(service: string, section: string, v: unknown, path: string): unknown {
    if (typeof v === 'string') return this.string(service, section, v, path);
    if (Array.isArray(v)) return v.map((x, i) => this.value(service, section, x, childPointer(path, i)));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.value(service, section, x, childPointer(path, k));
      return out;
    }
    return v;
  }

  /** environment renders a service's environment; a file secret's variable becomes `<env>_FILE`. */
  environment(service: string, env: Record<string, unknown>, path: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, raw] of Object.entries(env)) {
      const p = childPointer(path, key);
      let name = key;
      if (typeof raw === 'string') {
        const parsed = parseTemplateString(raw);
        const whole = parsed.parts ? wholePlaceholder(parsed.parts) : undefined;
        if (whole?.kind === 'secret' && this.secrets.get(whole.arg!)?.file) name = `${key}_FILE`;
      }
      if (Object.hasOwn(out, name) || (name !== key && Object.hasOwn(env, name))) throw new RenderError([{ path: p, message: `environment variable ${name} is set twice` }]);
      out[name] = String(this.value(service, 'environment', typeof raw === 'string' ? raw : String(raw), p));
    }
    return out;
  }
}

/** sortedRecord copies a record with its keys in order, so structures built from it are stable too. */
function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * renderStack renders an AppDeployment into a Swarm stack. It throws RenderError when the spec does not fit the
 * template or the context lacks a host or a secret; the output is the same bytes for the same inputs.
 */
export function renderStack(t: AppTemplate, input: AppDeploymentInput, ctx: RenderContext): RenderedStack {
  const problems = [...validateTemplate(t, '/template'), ...validateDeployment(t, input), ...checkContext(t, ctx)];
  if (problems.length > 0) throw new RenderError(problems);
  const version = resolveVersion(t, input);
  const inputs = resolveInputs(t, input);
  const network = ctx.network ?? DEFAULT_NETWORK;
  const r = new Renderer(t, ctx, inputs, version);
  const scalable = new Set(scalableServices(t));
  const routes = t.routes ?? [];
  const routedServices = new Set(routes.map((x) => x.service));
  const services: Record<string, Record<string, unknown>> = {};
  const volumesOf = new Map<string, VolumeMount[]>();
  const renderedRoutes: RenderedRoute[] = [];
  const names = Object.keys(t.services).sort();

  for (const name of names) {
    const frag = t.services[name]!;
    const base = childPointer('/services', name);
    const svc: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(frag)) {
      if (key === 'deploy' || key === 'environment' || key === 'volumes') continue;
      svc[key] = r.value(name, key, v, childPointer(base, key));
    }
    const image = String(svc.image);
    if (!isPinnedImage(image)) throw new RenderError([{ path: childPointer(base, 'image'), message: `image ${image} must be pinned by a tag other than latest` }]);
    if (frag.environment !== undefined) {
      const env = r.environment(name, frag.environment as Record<string, unknown>, childPointer(base, 'environment'));
      if (Object.keys(env).length > 0) svc.environment = env;
    }
    const volIssues: ValidationIssue[] = [];
    const mounts = parseVolumes(r.value(name, 'volumes', frag.volumes, childPointer(base, 'volumes')), childPointer(base, 'volumes'), volIssues);
    if (volIssues.length > 0) throw new RenderError(volIssues);
    volumesOf.set(name, mounts);
    if (mounts.length > 0) {
      svc.volumes = mounts.map((m) => ({ type: 'volume', source: m.source, target: m.target, ...(m.readOnly ? { read_only: true } : {}) }));
    }
    const routed = routedServices.has(name);
    svc.networks = routed ? [STACK_NETWORK, network].sort() : [STACK_NETWORK];
    const mounted = [...(r.mounted.get(name) ?? [])].sort();
    // Default mode 0444: a non-root app user must be able to read its secret file; only this container sees it.
    if (mounted.length > 0) svc.secrets = mounted.map((s) => ({ source: s, target: s }));

    // Deploy: the template's placement and restart policy, the renderer's replicas, labels and update settings.
    const fragDeploy = (frag.deploy ?? {}) as Record<string, unknown>;
    const deploy = r.value(name, 'deploy', { ...fragDeploy, labels: undefined }, childPointer(base, 'deploy')) as Record<string, unknown>;
    delete deploy.labels;
    const fixed = typeof deploy.replicas === 'number' ? deploy.replicas : 1;
    deploy.replicas = scalable.has(name) && input.replicas !== undefined ? input.replicas : fixed;
    const routers: RouterInput[] = [];
    let port = 0;
    routes.filter((x) => x.service === name).forEach((route, i) => {
      const fqdn = ctx.hosts[route.hostPrefix]!;
      const router = i === 0 ? `${ctx.stack}-${name}` : `${ctx.stack}-${name}-${i + 1}`;
      const tls = tlsFor(ctx, fqdn);
      port = route.port;
      routers.push({ router, fqdn, tls, ...(route.pathPrefix ? { pathPrefix: route.pathPrefix } : {}) });
      renderedRoutes.push({ router, service: `${ctx.stack}_${name}`, fqdn, port: route.port, tls, ...(route.pathPrefix ? { pathPrefix: route.pathPrefix } : {}) });
    });
    const ownLabels = r.value(name, 'labels', fragDeploy.labels ?? {}, childPointer(childPointer(base, 'deploy'), 'labels')) as Record<string, string>;
    deploy.labels = sortedRecord({
      ...ownLabels,
      ...ownershipLabels(ctx.app),
      ...(routed ? traefikLabels({ traefikService: `${ctx.stack}-${name}`, port, routers, resolver: ctx.resolver, network }) : {}),
    });
    Object.assign(deploy, updateSettings(mounts.length > 0 ? 'stateful' : 'stateless'));
    const res = t.resources?.[name];
    if (res) {
      deploy.resources = {
        reservations: { memory: `${res.memoryMB}M` },
        ...(res.memoryLimitMB !== undefined || res.cpus !== undefined
          ? { limits: { ...(res.memoryLimitMB !== undefined ? { memory: `${res.memoryLimitMB}M` } : {}), ...(res.cpus !== undefined ? { cpus: String(res.cpus) } : {}) } }
          : {}),
      };
    }
    svc.deploy = deploy;
    services[name] = svc;
  }

  const dockerSecrets: DockerSecretRef[] = [];
  const topSecrets: Record<string, unknown> = {};
  for (const s of [...(t.secrets ?? [])].filter((x) => x.file).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (![...r.mounted.values()].some((set) => set.has(s.name))) continue;
    const dockerName = dockerSecretName(ctx.stack, s.name, ctx.secrets[s.name]!);
    topSecrets[s.name] = { external: true, name: dockerName };
    dockerSecrets.push({ name: dockerName, secret: s.name, labels: ownershipLabels(ctx.app) });
  }
  const volumeNames = [...new Set([...volumesOf.values()].flat().map((m) => m.source))].sort();
  const doc: Record<string, unknown> = {
    version: COMPOSE_VERSION,
    services,
    networks: {
      [STACK_NETWORK]: { driver: 'overlay', attachable: true },
      ...(routedServices.size > 0 ? { [network]: { external: true } } : {}),
    },
    ...(volumeNames.length > 0 ? { volumes: Object.fromEntries(volumeNames.map((v) => [v, { labels: ownershipLabels(ctx.app) }])) } : {}),
    ...(dockerSecrets.length > 0 ? { secrets: topSecrets } : {}),
  };
  // YAML 1.1 quoting keeps yes/no/on/off and octal-looking strings quoted for Docker's parser too.
  const file = stringify(doc, { sortMapEntries: true, lineWidth: 0, version: '1.1' });
  const env = [...r.env].map(([name, value]) => ({ name, value })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hash = sha256Hex(`${file}\u0000${env.map((e) => `${e.name}=${e.value}`).join('\u0000')}`);

  const secretNames = new Map(dockerSecrets.map((d) => [d.secret, d.name]));
  const expectations = names.map((name): ServiceExpectation => {
    const svc = services[name]!;
    const deploy = svc.deploy as Record<string, unknown>;
    const environment = (svc.environment ?? {}) as Record<string, string>;
    const envDigests = sortedRecord(Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, envFingerprint(interpolate(v, r.env))])));
    // Replicas, service labels, mode and update settings live outside the task template: changing them restarts nothing.
    const { replicas: _r, labels: _l, update_config: _u, rollback_config: _b, mode: _m, endpoint_mode: _e, ...taskDeploy } = deploy;
    // Labels and image as Docker will hold them, after interpolation turned $$ back into $.
    const labels = Object.fromEntries(Object.entries(deploy.labels as Record<string, string>).map(([k, v]) => [k, interpolate(v, r.env)]));
    const task = { ...svc, deploy: taskDeploy, environment: envDigests, secrets: ((svc.secrets ?? []) as Array<{ source: string }>).map((s) => secretNames.get(s.source)) };
    return {
      name: `${ctx.stack}_${name}`,
      service: name,
      image: interpolate(String(svc.image), r.env),
      replicas: deploy.replicas as number,
      labels,
      envKeys: Object.keys(envDigests),
      envDigests,
      hasVolumes: (volumesOf.get(name) ?? []).length > 0,
      taskHash: sha256Hex(canonicalJson(task)),
    };
  });

  const healthRoute = renderedRoutes.find((x) => x.service === `${ctx.stack}_${t.health.service}`)!;
  return {
    stack: ctx.stack,
    version,
    file,
    env,
    hash,
    services: expectations,
    volumes: volumeNames.map((v) => `${ctx.stack}_${v}`),
    dockerSecrets,
    routes: renderedRoutes,
    hosts: [...new Set(renderedRoutes.map((x) => x.fqdn))].sort(),
    health: { service: `${ctx.stack}_${t.health.service}`, fqdn: healthRoute.fqdn, port: t.health.port, path: t.health.path, url: `https://${healthRoute.fqdn}${t.health.path}` },
    deadlineMs: (t.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS) * 1000,
  };
}
