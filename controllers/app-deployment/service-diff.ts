// The service-level plan diff of a stack (pure): image, replicas, env keys with masked values, labels, and whether tasks restart.

/** SENSITIVE replaces every environment value in plan output: values are never shown, only that they change. */
export const SENSITIVE = '(sensitive)';

/** ServiceState is one service as rendered (a ServiceExpectation) or as observed; optional parts narrow what can be compared. */
export interface ServiceState {
  /** Docker service name, `<stack>_<service>`. */
  name: string;
  image: string;
  replicas: number;
  labels: Readonly<Record<string, string>>;
  /** Environment names; implied by envDigests when those are given. */
  envKeys?: readonly string[];
  /** Environment name → value fingerprint (never the value). */
  envDigests?: Readonly<Record<string, string>>;
  /** Hash of the task template, when both sides have a comparable one. */
  taskHash?: string;
}

/** StackSide is one side of the diff: the services and, when known, the rendered stack hash. */
export interface StackSide {
  hash?: string;
  services: readonly ServiceState[];
}

/** Change is a from/to pair. */
export interface Change<T> {
  from: T;
  to: T;
}

/** LabelChange is one service label added (no from), removed (no to) or changed. */
export interface LabelChange {
  key: string;
  from?: string;
  to?: string;
}

/** EnvChanges lists environment names only: values are masked. */
export interface EnvChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/** ServiceDiff is what happens to one service. */
export interface ServiceDiff {
  name: string;
  change: 'create' | 'remove' | 'update' | 'none';
  image?: Change<string>;
  replicas?: Change<number>;
  env: EnvChanges;
  labels: LabelChange[];
  /** Whether the redeploy replaces this service's running tasks (any task template change; replicas or labels alone do not). */
  restarts: boolean;
  /** The task template changes in a part not listed above (mounts, command, healthcheck, resources, secrets…). */
  otherTaskChange: boolean;
}

/** StackDiff is the plan of one app: the action, the per-service diffs and the human lines. */
export interface StackDiff {
  action: 'create' | 'update' | 'none';
  /** Whether any existing service restarts. */
  restarts: boolean;
  services: ServiceDiff[];
  /** Stack-level change (networks, volumes, Env) that no service-level field shows. */
  stackOnly: boolean;
  lines: string[];
}

// Labels Docker adds itself (com.docker.stack.namespace, com.docker.stack.image): observed, never rendered.
const DOCKER_LABEL = 'com.docker.';

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** keysOf lists a service's environment names. */
function keysOf(s: ServiceState): string[] {
  return s.envDigests ? Object.keys(s.envDigests) : [...(s.envKeys ?? [])];
}

/** diffEnv compares names, and values through their fingerprints when both sides have them. */
function diffEnv(prev: ServiceState, next: ServiceState): EnvChanges {
  const a = new Set(keysOf(prev));
  const b = new Set(keysOf(next));
  const added = [...b].filter((k) => !a.has(k)).sort();
  const removed = [...a].filter((k) => !b.has(k)).sort();
  const changed = prev.envDigests && next.envDigests
    ? [...b].filter((k) => a.has(k) && prev.envDigests![k] !== next.envDigests![k]).sort()
    : [];
  return { added, removed, changed };
}

/** diffLabels compares service labels, leaving out the ones Docker sets. */
function diffLabels(prev: Readonly<Record<string, string>>, next: Readonly<Record<string, string>>): LabelChange[] {
  const keys = [...new Set([...Object.keys(prev), ...Object.keys(next)])].filter((k) => !k.startsWith(DOCKER_LABEL)).sort();
  const out: LabelChange[] = [];
  for (const key of keys) {
    const from = prev[key];
    const to = next[key];
    if (from === to) continue;
    out.push({ key, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  return out;
}

const noEnv = (): EnvChanges => ({ added: [], removed: [], changed: [] });

/** diffService compares one service present on both sides. */
export function diffService(prev: ServiceState, next: ServiceState): ServiceDiff {
  const env = diffEnv(prev, next);
  const labels = diffLabels(prev.labels, next.labels);
  const image = prev.image !== next.image ? { from: prev.image, to: next.image } : undefined;
  const replicas = prev.replicas !== next.replicas ? { from: prev.replicas, to: next.replicas } : undefined;
  const envChanged = env.added.length + env.removed.length + env.changed.length > 0;
  const hashChanged = prev.taskHash !== undefined && next.taskHash !== undefined && prev.taskHash !== next.taskHash;
  const otherTaskChange = hashChanged && !image && !envChanged;
  const restarts = !!image || envChanged || hashChanged;
  const changed = restarts || !!replicas || labels.length > 0;
  return {
    name: next.name,
    change: changed ? 'update' : 'none',
    ...(image ? { image } : {}),
    ...(replicas ? { replicas } : {}),
    env,
    labels,
    restarts,
    otherTaskChange,
  };
}

/** serviceLines renders one service diff for humans; environment values never appear. */
export function serviceLines(d: ServiceDiff, next?: ServiceState): string[] {
  if (d.change === 'none') return [];
  if (d.change === 'create') {
    const head = `+ service ${d.name}: create${next ? ` (${next.image}, ${next.replicas} replica${next.replicas === 1 ? '' : 's'})` : ''}`;
    return [head, ...d.env.added.map((k) => `    env + ${k}=${SENSITIVE}`)];
  }
  if (d.change === 'remove') return [`- service ${d.name}: remove (its tasks stop; volumes are kept)`];
  const lines = [`~ service ${d.name}: update${d.restarts ? ' (restarts its tasks)' : ' (no restart)'}`];
  if (d.image) lines.push(`    image: ${d.image.from} → ${d.image.to}`);
  if (d.replicas) lines.push(`    replicas: ${d.replicas.from} → ${d.replicas.to}`);
  for (const k of d.env.added) lines.push(`    env + ${k}=${SENSITIVE}`);
  for (const k of d.env.removed) lines.push(`    env - ${k}`);
  for (const k of d.env.changed) lines.push(`    env ~ ${k}=${SENSITIVE}`);
  for (const l of d.labels) {
    if (l.from === undefined) lines.push(`    label + ${l.key}=${l.to}`);
    else if (l.to === undefined) lines.push(`    label - ${l.key} (was ${l.from})`);
    else lines.push(`    label ~ ${l.key}: ${l.from} → ${l.to}`);
  }
  if (d.otherTaskChange) lines.push('    task settings change (mounts, command, healthcheck, resources or secrets)');
  return lines;
}

/**
 * diffStack compares the previous side (the last rendered expectation, or the observed services; undefined when the
 * stack does not exist) with the new rendering.
 */
export function diffStack(prev: StackSide | undefined, next: StackSide): StackDiff {
  const nexts = [...next.services].sort(byName);
  if (!prev) {
    const services = nexts.map((s): ServiceDiff => ({ name: s.name, change: 'create', env: { ...noEnv(), added: keysOf(s).sort() }, labels: [], restarts: false, otherTaskChange: false }));
    return { action: 'create', restarts: false, services, stackOnly: false, lines: [`+ stack: create with ${services.length} service${services.length === 1 ? '' : 's'}`, ...services.flatMap((d, i) => serviceLines(d, nexts[i]))] };
  }
  const before = new Map(prev.services.map((s) => [s.name, s]));
  const after = new Map(nexts.map((s) => [s.name, s]));
  const services: ServiceDiff[] = [];
  for (const s of nexts) {
    const p = before.get(s.name);
    services.push(p ? diffService(p, s) : { name: s.name, change: 'create', env: { ...noEnv(), added: keysOf(s).sort() }, labels: [], restarts: false, otherTaskChange: false });
  }
  for (const p of [...prev.services].sort(byName)) {
    if (!after.has(p.name)) services.push({ name: p.name, change: 'remove', env: noEnv(), labels: [], restarts: false, otherTaskChange: false });
  }
  services.sort(byName);
  const serviceChange = services.some((d) => d.change !== 'none');
  const stackOnly = !serviceChange && prev.hash !== undefined && next.hash !== undefined && prev.hash !== next.hash;
  const restarts = services.some((d) => d.restarts);
  const action = serviceChange || stackOnly ? 'update' : 'none';
  const lines: string[] = [];
  if (action === 'none') lines.push('= stack: no change');
  else {
    lines.push(`~ stack: update${restarts ? ', restarts services' : ', no service restarts'}`);
    for (const d of services) lines.push(...serviceLines(d, after.get(d.name)));
    if (stackOnly) lines.push('    stack file or Env changes outside the services (networks, volumes or secrets)');
  }
  return { action, restarts, services, stackOnly, lines };
}

/** PlanChange matches the engine's PlanItem.changes entries. */
export interface PlanChange {
  field: string;
  from?: unknown;
  to?: unknown;
}

/** planChanges flattens a stack diff into PlanItem changes, with every environment value masked. */
export function planChanges(diff: StackDiff): PlanChange[] {
  const out: PlanChange[] = [];
  for (const d of diff.services) {
    const f = `services.${d.name}`;
    if (d.change === 'create') out.push({ field: f, to: 'create' });
    else if (d.change === 'remove') out.push({ field: f, from: 'present', to: 'remove' });
    if (d.image) out.push({ field: `${f}.image`, from: d.image.from, to: d.image.to });
    if (d.replicas) out.push({ field: `${f}.replicas`, from: d.replicas.from, to: d.replicas.to });
    for (const k of d.env.added) out.push({ field: `${f}.env.${k}`, to: SENSITIVE });
    for (const k of d.env.removed) out.push({ field: `${f}.env.${k}`, from: SENSITIVE });
    for (const k of d.env.changed) out.push({ field: `${f}.env.${k}`, from: SENSITIVE, to: SENSITIVE });
    for (const l of d.labels) out.push({ field: `${f}.labels.${l.key}`, ...(l.from !== undefined ? { from: l.from } : {}), ...(l.to !== undefined ? { to: l.to } : {}) });
    if (d.otherTaskChange) out.push({ field: `${f}.task`, to: 'changed' });
  }
  return out;
}
