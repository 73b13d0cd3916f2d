// The app template type (loadable unchanged from AppTemplate YAML later) and the checks of a template and of an AppDeployment against it.
import { randomBytes } from 'node:crypto';
import { shown, type ValidationIssue } from '../../src/crd/issues.js';
import { childPointer } from '../../src/crd/pointer.js';
import { isHostname } from '../../src/crd/dns-name.js';
import { checkServiceShape, isPinnedImage, parseVolumes, walkKeys, walkStrings } from './render-fragment.js';
import { parseTemplateString, placeholdersOf, wholePlaceholder, type Placeholder } from './render-placeholders.js';

/** InputType is the type of one declared input. */
export type InputType = 'string' | 'integer' | 'boolean' | 'url' | 'email';

/** InputValue is a value an AppDeployment gives in spec.env. */
export type InputValue = string | number | boolean;

/** TemplateInput is one setting an AppDeployment may give in spec.env; nothing undeclared is accepted. */
export interface TemplateInput {
  /** Key in the AppDeployment's spec.env, e.g. TIMEZONE (uppercase letters, digits, "_"). */
  name: string;
  type: InputType;
  default?: InputValue;
  /** A required input without a default must be given. @default false */
  required?: boolean;
  /** A regular expression the whole value (as text) must match. */
  pattern?: string;
  description: string;
}

/** SecretAlphabet is the character set a generated secret is drawn from. */
export type SecretAlphabet = 'alphanumeric' | 'hex' | 'urlsafe';

/** TemplateSecret is a value generated once per (server, app, name) and kept in the vault. */
export interface TemplateSecret {
  /** Local name, e.g. db_password (lowercase letters, digits, "_"). */
  name: string;
  length: number;
  alphabet: SecretAlphabet;
  /**
   * true: a Docker secret file; an environment variable whose whole value is `${secret.NAME}` becomes `<VAR>_FILE`
   * with the file's path. false: the value travels in the stack Env and the file says `${<env>}`.
   */
  file: boolean;
  /** The stack Env variable that carries the value of a secret with file: false. @default the name in uppercase */
  env?: string;
  description?: string;
}

/** TemplateRoute sends https://<host><pathPrefix> to a service port through Traefik. */
export interface TemplateRoute {
  /** The default host prefix: the FQDN is `<prefix>.<server dns name>`; the first route's prefix is the one spec.host/domain replace. */
  hostPrefix: string;
  service: string;
  port: number;
  /** e.g. /webhook/ (starts and ends with "/"). */
  pathPrefix?: string;
}

/** TemplateHealth is the path checked from outside (through Traefik, over HTTPS) for Ready. */
export interface TemplateHealth {
  service: string;
  port: number;
  path: string;
}

/** VersionRule marks version changes as major: `from` and `to` are patterns where `*` matches any text. */
export interface VersionRule {
  from: string;
  to: string;
}

/** TemplateVersions are the versions an AppDeployment may ask for. */
export interface TemplateVersions {
  /** The pinned default; must be one of allowed. */
  default: string;
  allowed: string[];
  /** Version changes that are major (approval and a backup, issue 11). */
  major?: VersionRule[];
  /** Whether a move to an older version is accepted. @default false */
  allowDowngrade?: boolean;
}

/** ServiceResources are a service's memory reservation (for the capacity check) and optional limits. */
export interface ServiceResources {
  memoryMB: number;
  memoryLimitMB?: number;
  cpus?: number;
}

/** ComposeService is one service of the template's compose fragment, with placeholders in its strings. */
export type ComposeService = Record<string, unknown>;

/** AppTemplate is an app's recipe; every field but name is what an AppTemplate object's spec will hold. */
export interface AppTemplate {
  name: string;
  description: string;
  /** Image repository without a tag, e.g. traefik/whoami; `${image}` in the fragment. */
  image: string;
  versions: TemplateVersions;
  inputs?: TemplateInput[];
  secrets?: TemplateSecret[];
  /** Service name → compose service. Docker names them `<stack>_<service>`. */
  services: Record<string, ComposeService>;
  routes?: TemplateRoute[];
  health: TemplateHealth;
  /** How long an update may take to converge before the whole stack rolls back. @default 600 */
  deadlineSeconds?: number;
  /** Service name → resources. */
  resources?: Record<string, ServiceResources>;
  /** Services that spec.replicas scales. @default every service without volumes */
  scale?: string[];
}

/** AppDeploymentInput mirrors the AppDeployment spec this module reads. */
export interface AppDeploymentInput {
  server: string;
  app: string;
  version?: string;
  host?: string;
  domain?: string;
  env?: Record<string, InputValue>;
  replicas?: number;
  deletionPolicy?: 'Delete' | 'Orphan';
}

/** DEFAULT_DEADLINE_SECONDS is the default convergence deadline of an update. */
export const DEFAULT_DEADLINE_SECONDS = 600;
/** MAX_REPLICAS bounds spec.replicas. */
export const MAX_REPLICAS = 100;
const MAX_INPUT_LENGTH = 4096;

const TEMPLATE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IMAGE_REPO = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const REGISTRY_IMAGE = /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const INPUT_NAME = /^[A-Z][A-Z0-9_]{0,62}$/;
const SECRET_NAME = /^[a-z][a-z0-9_]{0,30}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,62}$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PATH_PREFIX = /^\/([A-Za-z0-9._~-]+\/)*$/;
const HEALTH_PATH = /^\/[A-Za-z0-9._~\/-]*(\?[A-Za-z0-9._~=&-]*)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ALPHABETS: Record<SecretAlphabet, string> = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  urlsafe: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
};
// Places in a service where an env-borne secret may appear: never labels, images or volumes, which are shown and compared.
const SECRET_SECTIONS = new Set(['environment', 'command', 'entrypoint', 'healthcheck']);

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** secretEnv is the stack Env variable of a secret with file: false. */
export function secretEnv(s: Pick<TemplateSecret, 'name' | 'env'>): string {
  return s.env ?? s.name.toUpperCase();
}

/** hostPrefixes lists the template's distinct route host prefixes, the primary (first route's) first. */
export function hostPrefixes(t: AppTemplate): string[] {
  return [...new Set((t.routes ?? []).map((r) => r.hostPrefix))];
}

/** statefulServices lists the services that mount a volume (they update stop-first and are not scaled). */
export function statefulServices(t: AppTemplate): string[] {
  return Object.keys(t.services).filter((s) => parseVolumes(t.services[s]?.volumes, '', []).length > 0).sort();
}

/** scalableServices lists the services spec.replicas applies to. */
export function scalableServices(t: AppTemplate): string[] {
  if (t.scale) return [...t.scale].sort();
  const stateful = new Set(statefulServices(t));
  return Object.keys(t.services).filter((s) => !stateful.has(s)).sort();
}

/** compileInputPattern anchors an input pattern so it must match the whole value. */
function compileInputPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** checkInputValue checks one value against its input declaration; it returns the typed value or a message. */
export function checkInputValue(inp: TemplateInput, value: unknown): { value: InputValue; error?: undefined } | { error: string } {
  let v: InputValue;
  switch (inp.type) {
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) v = value;
      else if (typeof value === 'string' && /^-?(0|[1-9][0-9]{0,14})$/.test(value)) v = Number(value);
      else return { error: `must be a whole number (got ${shown(value)})` };
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return { error: `must be true or false (got ${shown(value)})` };
      v = value;
      break;
    case 'string':
      if (typeof value === 'number' || typeof value === 'boolean') v = String(value);
      else if (typeof value === 'string') v = value;
      else return { error: `must be a string (got ${shown(value)})` };
      break;
    case 'url': {
      if (typeof value !== 'string') return { error: `must be a URL such as https://example.com (got ${shown(value)})` };
      let u: URL | undefined;
      try { u = new URL(value); } catch { u = undefined; }
      if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) return { error: `must be an http or https URL (got ${shown(value)})` };
      v = value;
      break;
    }
    case 'email':
      if (typeof value !== 'string' || !EMAIL.test(value)) return { error: `must be an email address (got ${shown(value)})` };
      v = value;
      break;
    default:
      return { error: `has an unknown input type ${shown(inp.type)}` };
  }
  const text = String(v);
  if (text.length > MAX_INPUT_LENGTH) return { error: `must be at most ${MAX_INPUT_LENGTH} characters long` };
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return { error: 'must not contain control characters' };
  if (inp.pattern !== undefined && !compileInputPattern(inp.pattern).test(text)) return { error: `must match ${inp.pattern} (got ${shown(value)})` };
  return { value: v };
}

/** globRegExp turns a version pattern with `*` wildcards into an anchored regular expression. */
function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** compareVersions orders versions by their dot/dash parts, numerically where both parts are numbers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/);
  const pb = b.replace(/^v/, '').split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^[0-9]+$/.test(x) ? Number(x) : NaN;
    const ny = /^[0-9]+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** isMajorChange tells whether moving from one version to another matches one of the template's major rules. */
export function isMajorChange(t: AppTemplate, from: string, to: string): boolean {
  if (from === to) return false;
  return (t.versions.major ?? []).some((r) => globRegExp(r.from).test(from) && globRegExp(r.to).test(to));
}

/** isDowngrade tells whether a version change goes to an older version. */
export function isDowngrade(from: string, to: string): boolean {
  return compareVersions(to, from) < 0;
}

/** generateSecret draws a secret from its alphabet without modulo bias; `random` is injectable for tests. */
export function generateSecret(spec: Pick<TemplateSecret, 'length' | 'alphabet'>, random: (n: number) => Uint8Array = randomBytes): string {
  const alphabet = ALPHABETS[spec.alphabet];
  if (!alphabet) throw new Error(`unknown secret alphabet ${shown(spec.alphabet)}`);
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < spec.length) {
    for (const b of random(spec.length * 2)) {
      if (b >= limit) continue;
      out += alphabet[b % alphabet.length];
      if (out.length === spec.length) break;
    }
  }
  return out;
}

/** secretMatchesSpec tells whether a stored secret value still fits its declaration (length and alphabet). */
export function secretMatchesSpec(spec: Pick<TemplateSecret, 'length' | 'alphabet'>, value: string): boolean {
  const alphabet = ALPHABETS[spec.alphabet];
  return alphabet !== undefined && value.length === spec.length && [...value].every((c) => alphabet.includes(c));
}

/** checkPlaceholder reports a placeholder that names something the template does not declare, or sits where it may not. */
function checkPlaceholder(t: AppTemplate, ph: Placeholder, ctx: { section: string; whole: boolean }): string | undefined {
  const inputs = new Set((t.inputs ?? []).map((i) => i.name));
  const secrets = new Map((t.secrets ?? []).map((s) => [s.name, s]));
  const prefixes = hostPrefixes(t);
  if (ctx.section === 'image' && ph.kind !== 'image' && ph.kind !== 'version') return `${ph.raw} is not allowed in an image; use \${image} and \${version}`;
  switch (ph.kind) {
    case 'input':
      return inputs.has(ph.arg!) ? undefined : `${ph.raw} names an undeclared input ${ph.arg}`;
    case 'secret': {
      const s = secrets.get(ph.arg!);
      if (!s) return `${ph.raw} names an undeclared secret ${ph.arg}`;
      if (s.file) {
        if (ctx.section !== 'environment' || !ctx.whole) {
          return `file secret ${s.name} can only be the whole value of an environment variable (VAR: \${secret.${s.name}} renders VAR_FILE)`;
        }
        return undefined;
      }
      return SECRET_SECTIONS.has(ctx.section) ? undefined : `${ph.raw} may only appear in environment, command, entrypoint or healthcheck`;
    }
    case 'host':
    case 'url':
      if (prefixes.length === 0) return `${ph.raw} needs a route: the template declares none`;
      if (ph.arg !== undefined && !prefixes.includes(ph.arg)) return `${ph.raw} names no route host prefix; known: ${prefixes.join(', ')}`;
      return undefined;
    default:
      return undefined;
  }
}

/** checkFragmentPlaceholders parses every string of every service and checks each placeholder where it stands. */
function checkFragmentPlaceholders(t: AppTemplate, base: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const secretFile = new Set((t.secrets ?? []).filter((s) => s.file).map((s) => s.name));
  for (const [name, svc] of Object.entries(t.services)) {
    const sp = childPointer(childPointer(base, 'services'), name);
    walkKeys(svc, sp, (key, path) => {
      if (key.includes('${')) issues.push({ path, message: 'placeholders are not allowed in keys' });
    });
    if (!isMap(svc)) continue;
    for (const [section, value] of Object.entries(svc)) {
      const secPath = childPointer(sp, section);
      walkStrings(value, secPath, (s, path) => {
        const parsed = parseTemplateString(s);
        if (parsed.error !== undefined) {
          issues.push({ path, message: parsed.error });
          return;
        }
        const whole = wholePlaceholder(parsed.parts) !== undefined;
        const envKey = section === 'environment' ? path.slice(secPath.length + 1) : undefined;
        for (const ph of placeholdersOf(parsed.parts)) {
          const msg = checkPlaceholder(t, ph, { section, whole });
          if (msg) issues.push({ path, message: msg });
          else if (ph.kind === 'secret' && secretFile.has(ph.arg!) && envKey !== undefined && isMap(value) && Object.hasOwn(value, `${envKey}_FILE`)) {
            issues.push({ path, message: `file secret ${ph.arg} renders ${envKey}_FILE, which the service already sets` });
          }
        }
      });
    }
  }
  return issues;
}

/** validateTemplate checks a template's own consistency; paths are relative to `base` (e.g. /spec of an AppTemplate). */
export function validateTemplate(t: AppTemplate, base = ''): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (...segs: Array<string | number>) => segs.reduce<string>((p, s) => childPointer(p, s), base);
  if (!TEMPLATE_NAME.test(t.name ?? '')) issues.push({ path: at('name'), message: 'must be an RFC 1123 label (lowercase letters, digits and "-")' });
  if (typeof t.description !== 'string' || t.description === '') issues.push({ path: at('description'), message: 'is required' });
  if (typeof t.image !== 'string' || !(IMAGE_REPO.test(t.image) || REGISTRY_IMAGE.test(t.image))) {
    issues.push({ path: at('image'), message: `must be an image repository without a tag, e.g. traefik/whoami (got ${shown(t.image)})` });
  }
  // Versions.
  const allowed = Array.isArray(t.versions?.allowed) ? t.versions.allowed : [];
  if (allowed.length === 0) issues.push({ path: at('versions', 'allowed'), message: 'must list at least one version' });
  allowed.forEach((v, i) => {
    if (typeof v !== 'string' || !VERSION.test(v)) issues.push({ path: at('versions', 'allowed', i), message: `must be a valid image tag (got ${shown(v)})` });
    else if (allowed.indexOf(v) !== i) issues.push({ path: at('versions', 'allowed', i), message: `repeats ${v}` });
  });
  if (!allowed.includes(t.versions?.default)) issues.push({ path: at('versions', 'default'), message: `must be one of the allowed versions (got ${shown(t.versions?.default)})` });
  // Inputs.
  const inputNames = new Set<string>();
  (t.inputs ?? []).forEach((inp, i) => {
    if (!INPUT_NAME.test(inp.name ?? '')) issues.push({ path: at('inputs', i, 'name'), message: 'must be uppercase letters, digits and "_", starting with a letter' });
    else if (inputNames.has(inp.name)) issues.push({ path: at('inputs', i, 'name'), message: `repeats input ${inp.name}` });
    inputNames.add(inp.name);
    if (!['string', 'integer', 'boolean', 'url', 'email'].includes(inp.type)) {
      issues.push({ path: at('inputs', i, 'type'), message: `must be string, integer, boolean, url or email (got ${shown(inp.type)})` });
      return;
    }
    if (typeof inp.description !== 'string' || inp.description === '') issues.push({ path: at('inputs', i, 'description'), message: 'is required' });
    if (inp.pattern !== undefined) {
      try { compileInputPattern(inp.pattern); } catch (e) {
        issues.push({ path: at('inputs', i, 'pattern'), message: `is not a valid regular expression: ${(e as Error).message}` });
        return;
      }
    }
    if (inp.default !== undefined) {
      const r = checkInputValue(inp, inp.default);
      if (r.error !== undefined) issues.push({ path: at('inputs', i, 'default'), message: r.error });
    }
  });
  // Secrets.
  const secretNames = new Set<string>();
  const secretEnvs = new Set<string>();
  (t.secrets ?? []).forEach((s, i) => {
    if (!SECRET_NAME.test(s.name ?? '')) issues.push({ path: at('secrets', i, 'name'), message: 'must be lowercase letters, digits and "_", starting with a letter, at most 31 characters' });
    else if (secretNames.has(s.name)) issues.push({ path: at('secrets', i, 'name'), message: `repeats secret ${s.name}` });
    secretNames.add(s.name);
    if (!Number.isInteger(s.length) || s.length < 16 || s.length > 256) issues.push({ path: at('secrets', i, 'length'), message: 'must be a whole number from 16 to 256' });
    if (!(s.alphabet in ALPHABETS)) issues.push({ path: at('secrets', i, 'alphabet'), message: `must be one of ${Object.keys(ALPHABETS).join(', ')} (got ${shown(s.alphabet)})` });
    if (typeof s.file !== 'boolean') issues.push({ path: at('secrets', i, 'file'), message: 'must be true or false' });
    const env = secretEnv(s);
    if (!ENV_NAME.test(env)) issues.push({ path: at('secrets', i, 'env'), message: 'must be an environment variable name (uppercase letters, digits and "_")' });
    else if (!s.file && secretEnvs.has(env)) issues.push({ path: at('secrets', i, 'env'), message: `repeats stack Env variable ${env}` });
    if (!s.file) secretEnvs.add(env);
  });
  // Services.
  const services = isMap(t.services) ? Object.keys(t.services) : [];
  if (services.length === 0) issues.push({ path: at('services'), message: 'must declare at least one service' });
  for (const name of services) {
    if (!SERVICE_NAME.test(name)) issues.push({ path: at('services', name), message: 'service names are lowercase letters, digits and "-", starting with a letter, at most 31 characters' });
    issues.push(...checkServiceShape(t.services[name], at('services', name)));
    const image = t.services[name]?.image;
    if (typeof image === 'string') {
      // The pin is checked on the image as the default version renders it.
      const parsed = parseTemplateString(image);
      if (parsed.parts && placeholdersOf(parsed.parts).every((p) => p.kind === 'image' || p.kind === 'version')) {
        const rendered = parsed.parts.map((p) => ('text' in p ? p.text : p.placeholder.kind === 'image' ? t.image : t.versions?.default)).join('');
        if (!isPinnedImage(rendered)) issues.push({ path: at('services', name, 'image'), message: `must pin a tag other than latest, e.g. \${image}:\${version} (renders ${shown(rendered)})` });
      }
    }
  }
  if (services.length > 0) issues.push(...checkFragmentPlaceholders(t, base));
  // Routes: one port per service, since each service gets one Traefik service.
  const portOf = new Map<string, number>();
  const seenRoutes = new Set<string>();
  (t.routes ?? []).forEach((r, i) => {
    if (!LABEL.test(r.hostPrefix ?? '')) issues.push({ path: at('routes', i, 'hostPrefix'), message: 'must be an RFC 1123 label' });
    if (!services.includes(r.service)) issues.push({ path: at('routes', i, 'service'), message: `names no service of the template (got ${shown(r.service)})` });
    if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) issues.push({ path: at('routes', i, 'port'), message: 'must be a port from 1 to 65535' });
    else if (portOf.has(r.service) && portOf.get(r.service) !== r.port) issues.push({ path: at('routes', i, 'port'), message: `service ${r.service} is already routed on port ${portOf.get(r.service)}; one port per service` });
    else portOf.set(r.service, r.port);
    if (r.pathPrefix !== undefined && !PATH_PREFIX.test(r.pathPrefix)) issues.push({ path: at('routes', i, 'pathPrefix'), message: 'must start and end with "/", e.g. /webhook/' });
    const key = `${r.hostPrefix} ${r.pathPrefix ?? ''}`;
    if (seenRoutes.has(key)) issues.push({ path: at('routes', i), message: 'repeats the host and path of an earlier route' });
    seenRoutes.add(key);
  });
  // Health.
  if (!isMap(t.health)) issues.push({ path: at('health'), message: 'is required: service, port and path' });
  else {
    if (!services.includes(t.health.service)) issues.push({ path: at('health', 'service'), message: `names no service of the template (got ${shown(t.health.service)})` });
    if (!Number.isInteger(t.health.port) || t.health.port < 1 || t.health.port > 65535) issues.push({ path: at('health', 'port'), message: 'must be a port from 1 to 65535' });
    if (typeof t.health.path !== 'string' || !HEALTH_PATH.test(t.health.path)) issues.push({ path: at('health', 'path'), message: 'must be an absolute path such as /health' });
    const routed = (t.routes ?? []).some((r) => r.service === t.health.service);
    if (services.includes(t.health.service) && !routed) issues.push({ path: at('health', 'service'), message: 'must be a routed service: health is checked from outside through Traefik' });
  }
  if (t.deadlineSeconds !== undefined && !(Number.isInteger(t.deadlineSeconds) && t.deadlineSeconds >= 60 && t.deadlineSeconds <= 3600)) {
    issues.push({ path: at('deadlineSeconds'), message: 'must be a whole number of seconds from 60 to 3600' });
  }
  for (const [svc, r] of Object.entries(t.resources ?? {})) {
    if (!services.includes(svc)) issues.push({ path: at('resources', svc), message: 'names no service of the template' });
    if (!Number.isInteger(r.memoryMB) || r.memoryMB < 4 || r.memoryMB > 1_048_576) issues.push({ path: at('resources', svc, 'memoryMB'), message: 'must be a whole number of MB from 4' });
    if (r.memoryLimitMB !== undefined && !(Number.isInteger(r.memoryLimitMB) && r.memoryLimitMB >= r.memoryMB)) {
      issues.push({ path: at('resources', svc, 'memoryLimitMB'), message: 'must be a whole number of MB, at least memoryMB' });
    }
    if (r.cpus !== undefined && !(typeof r.cpus === 'number' && r.cpus > 0 && r.cpus <= 256)) issues.push({ path: at('resources', svc, 'cpus'), message: 'must be a number of CPUs above 0' });
  }
  if (t.scale !== undefined) {
    const stateful = new Set(statefulServices(t));
    t.scale.forEach((s, i) => {
      if (!services.includes(s)) issues.push({ path: at('scale', i), message: `names no service of the template (got ${shown(s)})` });
      else if (stateful.has(s)) issues.push({ path: at('scale', i), message: `service ${s} mounts a volume and cannot be scaled` });
    });
  }
  return issues;
}

/** validateDeployment checks an AppDeployment's spec against its template; paths are relative to `base` (default /spec). */
export function validateDeployment(t: AppTemplate, input: AppDeploymentInput, base = '/spec'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (...segs: Array<string | number>) => segs.reduce<string>((p, s) => childPointer(p, s), base);
  if (typeof input.server !== 'string' || !LABEL.test(input.server)) issues.push({ path: at('server'), message: 'must be a Server name (an RFC 1123 label)' });
  if (input.app !== t.name) issues.push({ path: at('app'), message: `must be ${t.name} for this template (got ${shown(input.app)})` });
  if (input.version !== undefined && (typeof input.version !== 'string' || !t.versions.allowed.includes(input.version))) {
    const bare = String(input.version).replace(/^v/, '');
    const hint = bare !== input.version && t.versions.allowed.includes(bare) ? `; write ${JSON.stringify(bare)} (versions are written without the "v")` : '';
    issues.push({ path: at('version'), message: `must be one of ${t.versions.allowed.join(', ')} (got ${shown(input.version)})${hint}` });
  }
  if (input.host !== undefined && input.domain !== undefined) issues.push({ path: at('domain'), message: 'set host or domain, not both' });
  if (input.host !== undefined && !(typeof input.host === 'string' && input.host.split('.').every((l) => LABEL.test(l)))) {
    issues.push({ path: at('host'), message: `must be one or more RFC 1123 labels such as whoami (got ${shown(input.host)})` });
  }
  if (input.domain !== undefined && !(typeof input.domain === 'string' && input.domain.includes('.') && input.domain === input.domain.toLowerCase() && isHostname(input.domain))) {
    issues.push({ path: at('domain'), message: `must be a lowercase fully qualified name such as app.example.com (got ${shown(input.domain)})` });
  }
  if ((input.host !== undefined || input.domain !== undefined) && hostPrefixes(t).length === 0) {
    issues.push({ path: at(input.host !== undefined ? 'host' : 'domain'), message: `app ${t.name} has no route, so it takes no host` });
  }
  const declared = new Map((t.inputs ?? []).map((i) => [i.name, i]));
  const env = input.env ?? {};
  if (!isMap(env)) issues.push({ path: at('env'), message: 'must be a mapping of input names to values' });
  else {
    for (const key of Object.keys(env).sort()) {
      const inp = declared.get(key);
      if (!inp) {
        const known = [...declared.keys()].sort();
        issues.push({ path: at('env', key), message: `unknown input ${key}; ${known.length ? `${t.name} accepts ${known.join(', ')}` : `${t.name} accepts no inputs`}` });
        continue;
      }
      const r = checkInputValue(inp, env[key]);
      if (r.error !== undefined) issues.push({ path: at('env', key), message: r.error });
    }
    for (const inp of t.inputs ?? []) {
      if (inp.required && inp.default === undefined && env[inp.name] === undefined) issues.push({ path: at('env', inp.name), message: `is required: ${inp.description}` });
    }
  }
  if (input.replicas !== undefined) {
    if (!Number.isInteger(input.replicas) || input.replicas < 0 || input.replicas > MAX_REPLICAS) issues.push({ path: at('replicas'), message: `must be a whole number from 0 to ${MAX_REPLICAS}` });
    else if (scalableServices(t).length === 0) issues.push({ path: at('replicas'), message: `app ${t.name} has no service that can be scaled` });
  }
  if (input.deletionPolicy !== undefined && input.deletionPolicy !== 'Delete' && input.deletionPolicy !== 'Orphan') {
    issues.push({ path: at('deletionPolicy'), message: `must be Delete or Orphan (got ${shown(input.deletionPolicy)})` });
  }
  return issues;
}

/** resolveVersion is the version an AppDeployment runs: its own, or the template's pinned default. */
export function resolveVersion(t: AppTemplate, input: AppDeploymentInput): string {
  return input.version ?? t.versions.default;
}

/** resolveInputs gives every declared input its typed value (spec.env, else the default; absent optional inputs are ""). */
export function resolveInputs(t: AppTemplate, input: AppDeploymentInput): Record<string, InputValue> {
  const out: Record<string, InputValue> = {};
  for (const inp of t.inputs ?? []) {
    const given = input.env?.[inp.name];
    const raw = given ?? inp.default;
    if (raw === undefined) {
      out[inp.name] = '';
      continue;
    }
    const r = checkInputValue(inp, raw);
    if (r.error !== undefined) throw new Error(`input ${inp.name} ${r.error}`);
    out[inp.name] = r.value;
  }
  return out;
}

/**
 * resolveHosts maps each route host prefix to its FQDN. The primary prefix (the first route's) becomes spec.domain,
 * or `<spec.host ?? prefix>.<serverDomain>`; any other prefix is `<prefix>.<serverDomain>`.
 */
export function resolveHosts(t: AppTemplate, input: Pick<AppDeploymentInput, 'host' | 'domain'>, serverDomain: string): Record<string, string> {
  const zone = serverDomain.toLowerCase().replace(/\.$/, '');
  const out: Record<string, string> = {};
  hostPrefixes(t).forEach((prefix, i) => {
    if (i === 0) out[prefix] = input.domain ?? `${input.host ?? prefix}.${zone}`;
    else out[prefix] = `${prefix}.${zone}`;
  });
  return out;
}
