// Stack-file checks as Docker's compose loader does them: YAML, version, interpolation, schema, Swarm-ignored keys, references.
import { parseDocument } from 'yaml';
import { DEPRECATED, FORBIDDEN, ROOT, UNSUPPORTED, parseDuration, validate } from './portainer-compose-schema.js';

/** ComposeError carries the text `docker stack deploy` would print; Portainer puts it in DeploymentStatus. */
export class ComposeError extends Error {
  override readonly name = 'ComposeError';
}

export interface ComposeHealthcheck { test: string[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs: number; startIntervalMs: number }

export interface ComposeUpdateConfig {
  parallelism?: number; delayMs?: number; failureAction?: 'pause' | 'continue' | 'rollback'; monitorMs?: number; maxFailureRatio?: number; order?: 'start-first' | 'stop-first';
}

export interface ComposeResources { nanoCpus?: number; memoryBytes?: number; pids?: number }

export interface ComposeService {
  name: string;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  labels: Record<string, string>;
  deploy: {
    mode: 'replicated' | 'global' | 'replicated-job' | 'global-job';
    replicas?: number;
    labels: Record<string, string>;
    updateConfig?: ComposeUpdateConfig;
    rollbackConfig?: ComposeUpdateConfig;
    restartPolicy?: { condition?: 'none' | 'on-failure' | 'any'; delayMs?: number; maxAttempts?: number; windowMs?: number };
    limits?: ComposeResources;
    reservations?: ComposeResources;
    constraints?: string[];
    endpointMode?: string;
  };
  /** undefined: none declared (the image's own applies); 'disabled': `disable: true` or `test: NONE`. */
  healthcheck?: ComposeHealthcheck | 'disabled';
  /** Network keys as written in the file, with aliases; empty means the stack's `default` network. */
  networks: Array<{ key: string; aliases: string[] }>;
  secrets: Array<{ source: string; target: string; uid: string; gid: string; mode: number }>;
  volumes: Array<{ type: 'volume' | 'bind' | 'tmpfs'; source?: string; target: string; readOnly: boolean }>;
  ports: Array<{ target: number; published?: number; protocol: string; mode: string }>;
  stopGracePeriodMs?: number;
  user?: string;
  workingDir?: string;
  hostname?: string;
}

export interface ComposeNetwork { external: boolean; name?: string; driver?: string; attachable?: boolean; internal?: boolean; labels: Record<string, string> }
export interface ComposeVolume { external: boolean; name?: string; driver?: string; labels: Record<string, string> }
export interface ComposeSecret { external: boolean; name?: string; file?: string; labels: Record<string, string> }

export interface ComposeProject {
  services: ComposeService[];
  networks: Record<string, ComposeNetwork>;
  volumes: Record<string, ComposeVolume>;
  secrets: Record<string, ComposeSecret>;
  configs: Record<string, ComposeSecret>;
  /** What the deploy logs: unset variables, ignored options. */
  warnings: string[];
}

/** loadCompose parses and checks a stack file with the stack's Env, as `docker stack deploy` (docker/cli v28) does. */
export function loadCompose(text: string, env: Record<string, string>, projectPath: string): ComposeProject {
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new ComposeError(`yaml: ${doc.errors[0]!.message.split('\n')[0]}`);
  const root = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (root === null || root === undefined) throw new ComposeError('Top-level object must be a mapping');
  if (typeof root !== 'object' || Array.isArray(root)) throw new ComposeError('Top-level object must be a mapping');
  const dict = root as Record<string, unknown>;
  if (dict.version !== undefined && dict.version !== null) {
    const v = String(dict.version);
    const m = /^(\d+)(\.\d+)?$/.exec(v);
    if (!m || Number(m[1]) < 3) throw new ComposeError(`unsupported Compose file version: ${v}`);
  }

  const warnings: string[] = [];
  const cast = new Set<string>();
  const unset = new Set<string>();
  interpolateTree(dict, '', env, cast, unset);
  for (const name of [...unset].sort()) warnings.push(`The "${name}" variable is not set. Defaulting to a blank string.`);

  const services = (dict.services ?? {}) as Record<string, unknown>;
  if (typeof services === 'object' && services !== null && !Array.isArray(services)) {
    const forbidden: string[] = [];
    for (const svc of Object.values(services)) {
      if (typeof svc !== 'object' || svc === null) continue;
      for (const key of Object.keys(svc)) if (FORBIDDEN[key]) forbidden.push(`${key}: ${FORBIDDEN[key]}`);
    }
    if (forbidden.length > 0) throw new ComposeError(`Compose file contains unsupported options:\n\n${[...new Set(forbidden)].join('\n\n')}\n`);
  }

  const err = validate(ROOT, dict, '', cast, () => undefined);
  if (err) throw new ComposeError(err);

  const ignored = new Set<string>();
  const deprecated = new Map<string, string>();
  for (const svc of Object.values(services) as Array<Record<string, unknown>>) {
    for (const key of Object.keys(svc)) {
      if (UNSUPPORTED.includes(key)) ignored.add(key);
      if (DEPRECATED[key]) deprecated.set(key, DEPRECATED[key]);
    }
  }
  if (ignored.size > 0) warnings.push(`Ignoring unsupported options: ${[...ignored].sort().join(', ')}`);
  if (deprecated.size > 0) warnings.push(`Ignoring deprecated options:\n\n${[...deprecated].sort().map(([k, v]) => `${k}: ${v}`).join('\n\n')}`);
  // Portainer's in-process deployer logs the keys Swarm drops (depends_on included) under one message.
  const dropped = [...new Set([...ignored, ...deprecated.keys(), ...Object.values(services).flatMap((s) => Object.keys(s as object).filter((k) => k === 'depends_on'))])].sort();
  if (dropped.length > 0) warnings.push(`ignoring unsupported compose properties: ${dropped.join(', ')}`);

  const project: ComposeProject = {
    services: [],
    networks: topLevel(dict.networks, (v) => ({ external: isExternal(v), name: externalName(v), driver: optStr(v?.driver), attachable: v?.attachable === true, internal: v?.internal === true, labels: listOrDict(v?.labels) })),
    volumes: topLevel(dict.volumes, (v) => ({ external: isExternal(v), name: externalName(v), driver: optStr(v?.driver), labels: listOrDict(v?.labels) })),
    secrets: topLevel(dict.secrets, (v) => ({ external: isExternal(v), name: externalName(v), file: optStr(v?.file), labels: listOrDict(v?.labels) })),
    configs: topLevel(dict.configs, (v) => ({ external: isExternal(v), name: externalName(v), file: optStr(v?.file), labels: listOrDict(v?.labels) })),
    warnings,
  };
  for (const [name, raw] of Object.entries(services).sort(([a], [b]) => a.localeCompare(b))) {
    project.services.push(convertService(name, raw as Record<string, unknown>, env, projectPath));
  }
  checkReferences(project, projectPath);
  return project;
}

function checkReferences(p: ComposeProject, projectPath: string): void {
  for (const s of p.services) {
    for (const n of s.networks) if (!p.networks[n.key] && n.key !== 'default') throw new ComposeError(`service ${s.name}: undefined network "${n.key}"`);
    for (const ref of s.secrets) if (!p.secrets[ref.source]) throw new ComposeError(`service ${s.name}: undefined secret "${ref.source}"`);
    for (const v of s.volumes) {
      if (v.type === 'volume' && v.source && !p.volumes[v.source]) throw new ComposeError(`service ${s.name}: undefined volume "${v.source}"`);
    }
  }
  // File-based secrets and configs are read from the project folder, which holds only the stack file.
  for (const [kind, set] of [['secret', p.secrets], ['config', p.configs]] as const) {
    for (const [name, def] of Object.entries(set)) {
      if (!def.external && def.file) throw new ComposeError(`open ${joinPath(projectPath, def.file)}: no such file or directory`);
      if (!def.external && !def.file) throw new ComposeError(`${kind} ${name}: file or external is required`);
    }
  }
}

function convertService(name: string, raw: Record<string, unknown>, env: Record<string, string>, projectPath: string): ComposeService {
  if (raw.env_file !== undefined) {
    const first = Array.isArray(raw.env_file) ? String(raw.env_file[0]) : String(raw.env_file);
    throw new ComposeError(`Couldn't find env file: ${joinPath(projectPath, first)}`);
  }
  const d = (raw.deploy ?? {}) as Record<string, unknown>;
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(listOrDictNullable(raw.environment))) {
    // A bare key takes its value from the deploying environment, and is dropped when that has none.
    if (v !== null) environment[k] = v;
    else if (env[k] !== undefined) environment[k] = env[k];
  }
  const resources = (d.resources ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const rp = d.restart_policy as Record<string, unknown> | undefined;
  const placement = d.placement as Record<string, unknown> | undefined;
  const svc: ComposeService = {
    name,
    image: optStr(raw.image),
    command: shellList(raw.command),
    entrypoint: shellList(raw.entrypoint),
    environment,
    labels: listOrDict(raw.labels),
    deploy: {
      mode: (optStr(d.mode) ?? 'replicated') as ComposeService['deploy']['mode'],
      replicas: typeof d.replicas === 'number' ? d.replicas : undefined,
      labels: listOrDict(d.labels),
      updateConfig: updateConfig(d.update_config),
      rollbackConfig: updateConfig(d.rollback_config),
      restartPolicy: rp ? {
        condition: optStr(rp.condition) as 'none' | 'on-failure' | 'any' | undefined,
        delayMs: typeof rp.delay === 'string' ? parseDuration(rp.delay) : undefined,
        maxAttempts: typeof rp.max_attempts === 'number' ? rp.max_attempts : undefined,
        windowMs: typeof rp.window === 'string' ? parseDuration(rp.window) : undefined,
      } : undefined,
      limits: resourceOf(resources.limits, `${name}.deploy.resources.limits`),
      reservations: resourceOf(resources.reservations, `${name}.deploy.resources.reservations`),
      constraints: Array.isArray(placement?.constraints) ? (placement.constraints as string[]) : undefined,
      endpointMode: optStr(d.endpoint_mode),
    },
    healthcheck: healthcheckOf(raw.healthcheck as Record<string, unknown> | undefined),
    networks: networksOf(raw.networks),
    secrets: fileRefs(raw.secrets),
    volumes: (Array.isArray(raw.volumes) ? raw.volumes : []).map((v) => volumeOf(v, name)),
    ports: (Array.isArray(raw.ports) ? raw.ports : []).flatMap((p) => portOf(p, name)),
    stopGracePeriodMs: typeof raw.stop_grace_period === 'string' ? parseDuration(raw.stop_grace_period) : undefined,
    user: optStr(raw.user),
    workingDir: optStr(raw.working_dir),
    hostname: optStr(raw.hostname),
  };
  if ((svc.deploy.mode === 'global' || svc.deploy.mode === 'global-job') && svc.deploy.replicas !== undefined) {
    throw new ComposeError(`service ${name}: replicas can only be used with replicated or replicated-job mode`);
  }
  return svc;
}

function updateConfig(raw: unknown): ComposeUpdateConfig | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const u = raw as Record<string, unknown>;
  return {
    parallelism: typeof u.parallelism === 'number' ? u.parallelism : undefined,
    delayMs: typeof u.delay === 'string' ? parseDuration(u.delay) : undefined,
    failureAction: optStr(u.failure_action) as ComposeUpdateConfig['failureAction'],
    monitorMs: typeof u.monitor === 'string' ? parseDuration(u.monitor) : undefined,
    maxFailureRatio: typeof u.max_failure_ratio === 'number' ? u.max_failure_ratio : undefined,
    order: optStr(u.order) as ComposeUpdateConfig['order'],
  };
}

function resourceOf(raw: Record<string, unknown> | undefined, where: string): ComposeResources | undefined {
  if (!raw) return undefined;
  const out: ComposeResources = {};
  if (raw.cpus !== undefined) {
    const cpus = Number(raw.cpus);
    if (!Number.isFinite(cpus) || cpus < 0) throw new ComposeError(`invalid cpus value ${String(raw.cpus)} in ${where}`);
    out.nanoCpus = Math.round(cpus * 1e9);
  }
  if (typeof raw.memory === 'string') out.memoryBytes = ramInBytes(raw.memory, where);
  if (typeof raw.pids === 'number') out.pids = raw.pids;
  return out;
}

/** ramInBytes reads Docker's memory sizes (`512M`, `1g`, `1.5GiB` is refused like go-units does). */
function ramInBytes(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(text.trim());
  if (!m) throw new ComposeError(`invalid size: '${text}' in ${where}`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

function healthcheckOf(raw: Record<string, unknown> | undefined): ComposeService['healthcheck'] {
  if (!raw) return undefined;
  if (raw.disable === true) return 'disabled';
  let test: string[] = [];
  if (typeof raw.test === 'string') test = ['CMD-SHELL', raw.test];
  else if (Array.isArray(raw.test)) test = raw.test.map(String);
  if (test[0] === 'NONE') return 'disabled';
  const ms = (v: unknown, dflt: number) => (typeof v === 'string' ? parseDuration(v) : dflt);
  // Docker's defaults: 30 s interval and timeout, 3 retries, no start period, 5 s start interval.
  return {
    test,
    intervalMs: ms(raw.interval, 30_000),
    timeoutMs: ms(raw.timeout, 30_000),
    retries: typeof raw.retries === 'number' ? raw.retries : 3,
    startPeriodMs: ms(raw.start_period, 0),
    startIntervalMs: ms(raw.start_interval, 5_000),
  };
}

function networksOf(raw: unknown): ComposeService['networks'] {
  if (Array.isArray(raw)) return raw.map((k) => ({ key: String(k), aliases: [] }));
  if (typeof raw === 'object' && raw !== null) {
    return Object.entries(raw).map(([key, v]) => ({ key, aliases: Array.isArray((v as { aliases?: unknown } | null)?.aliases) ? ((v as { aliases: unknown[] }).aliases.map(String)) : [] }));
  }
  return [];
}

function fileRefs(raw: unknown): ComposeService['secrets'] {
  if (!Array.isArray(raw)) return [];
  return raw.map((r) => {
    if (typeof r === 'string') return { source: r, target: r, uid: '0', gid: '0', mode: 0o444 };
    const o = r as Record<string, unknown>;
    const source = String(o.source ?? '');
    return { source, target: optStr(o.target) ?? source, uid: optStr(o.uid) ?? '0', gid: optStr(o.gid) ?? '0', mode: typeof o.mode === 'number' ? o.mode : 0o444 };
  });
}

function volumeOf(raw: unknown, svc: string): ComposeService['volumes'][number] {
  if (typeof raw === 'object' && raw !== null) {
    const o = raw as Record<string, unknown>;
    const type = (optStr(o.type) ?? 'volume') as 'volume' | 'bind' | 'tmpfs';
    if (!optStr(o.target)) throw new ComposeError(`service ${svc}: invalid mount config: missing target`);
    return { type, source: optStr(o.source), target: String(o.target), readOnly: o.read_only === true };
  }
  const parts = String(raw).split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, readOnly: false };
  const [source, target, mode] = parts as [string, string, string | undefined];
  const bind = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
  return { type: bind ? 'bind' : 'volume', source, target, readOnly: mode?.split(',').includes('ro') ?? false };
}

function portOf(raw: unknown, svc: string): ComposeService['ports'] {
  if (typeof raw === 'number') return [{ target: raw, protocol: 'tcp', mode: 'ingress' }];
  if (typeof raw === 'object' && raw !== null) {
    const o = raw as Record<string, unknown>;
    return [{ target: Number(o.target), published: o.published === undefined ? undefined : Number(o.published), protocol: optStr(o.protocol) ?? 'tcp', mode: optStr(o.mode) ?? 'ingress' }];
  }
  const m = /^(?:(?:[\d.]+):)?(?:(\d+)(?:-\d+)?:)?(\d+)(?:-\d+)?(?:\/(tcp|udp|sctp))?$/.exec(String(raw));
  if (!m) throw new ComposeError(`service ${svc}: Invalid containerPort: ${String(raw)}`);
  return [{ target: Number(m[2]), published: m[1] === undefined ? undefined : Number(m[1]), protocol: m[3] ?? 'tcp', mode: 'ingress' }];
}

function topLevel<T>(raw: unknown, conv: (v: Record<string, unknown> | undefined) => T): Record<string, T> {
  const out: Record<string, T> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [k, v] of Object.entries(raw)) out[k] = conv((v ?? undefined) as Record<string, unknown> | undefined);
  return out;
}

function isExternal(v: Record<string, unknown> | undefined): boolean {
  return v?.external === true || (typeof v?.external === 'object' && v.external !== null);
}

function externalName(v: Record<string, unknown> | undefined): string | undefined {
  const ext = v?.external;
  if (typeof ext === 'object' && ext !== null && typeof (ext as { name?: unknown }).name === 'string') return (ext as { name: string }).name;
  return optStr(v?.name);
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function listOrDictNullable(raw: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq < 0) out[s] = null;
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (typeof raw === 'object' && raw !== null) {
    for (const [k, v] of Object.entries(raw)) out[k] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

function listOrDict(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(listOrDictNullable(raw))) out[k] = v ?? '';
  return out;
}

/** shellList splits a command string like docker/cli's shlex (quotes group, backslash escapes). */
export function shellList(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw)) return raw.map(String);
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  const s = String(raw);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") { quote = c; has = true; }
    else if (c === '\\' && i + 1 < s.length) { cur += s[++i]; has = true; }
    else if (/\s/.test(c)) { if (has || cur) out.push(cur); cur = ''; has = false; }
    else { cur += c; has = true; }
  }
  if (quote) throw new ComposeError(`invalid command line string: unterminated quote in ${s}`);
  if (has || cur) out.push(cur);
  return out;
}

/** interpolateTree substitutes `${VAR}` forms in every string value (not keys), as docker/cli does before validating. */
function interpolateTree(node: unknown, path: string, env: Record<string, string>, cast: Set<string>, unset: Set<string>): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      const p = `${path}.${i}`;
      if (typeof v === 'string') { const out = interpolate(v, p, env, unset); if (out !== v) cast.add(p); node[i] = out; }
      else interpolateTree(v, p, env, cast, unset);
    });
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const o = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    const p = path ? `${path}.${k}` : k;
    if (typeof v === 'string') { const out = interpolate(v, p, env, unset); if (out !== v) cast.add(p); o[k] = out; }
    else interpolateTree(v, p, env, cast, unset);
  }
}

const VAR = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(\{[^}]*\}?|.?))/g;

/** interpolate resolves `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`, `${VAR:+a}` and `$$`. */
export function interpolate(text: string, path: string, env: Record<string, string>, unset: Set<string>): string {
  if (!text.includes('$')) return text;
  return text.replace(VAR, (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined, bad: string | undefined) => {
    if (whole === '$$') return '$';
    if (bad !== undefined) throw new ComposeError(`invalid interpolation format for ${path}.\nYou may need to escape any $ with another $.`);
    const name = (braced ?? bare)!;
    const value = env[name];
    const empty = value === undefined || value === '';
    switch (op) {
      case ':-': return empty ? interpolate(arg ?? '', path, env, unset) : value!;
      case '-': return value === undefined ? interpolate(arg ?? '', path, env, unset) : value;
      case ':?': if (empty) throw new ComposeError(`required variable ${name} is missing a value: ${arg ?? ''}`); return value!;
      case '?': if (value === undefined) throw new ComposeError(`required variable ${name} is missing a value: ${arg ?? ''}`); return value;
      case ':+': return empty ? '' : interpolate(arg ?? '', path, env, unset);
      case '+': return value === undefined ? '' : interpolate(arg ?? '', path, env, unset);
      default:
        if (value === undefined) { unset.add(name); return ''; }
        return value;
    }
  });
}

function joinPath(dir: string, file: string): string {
  if (file.startsWith('/')) return file;
  return `${dir.replace(/\/+$/, '')}/${file.replace(/^\.\//, '')}`;
}
