// Portainer simulator stack routes: both create routes, list with filters, inspect, file, asynchronous update, delete with waitOnTasks.
import type { SimResponse } from './framework.js';
import type { Call, PRoute } from './portainer-call.js';
import { NAMESPACE, normalizeStackName, removeStack, startDeploy } from './portainer-deploy.js';
import { ciBody, isResponse, numericQuery, perror, routeId, str } from './portainer-http.js';
import { ENDPOINT_ID, renderStack } from './portainer-render.js';
import type { StackRecord } from './portainer-state.js';
import { STACK_DEPLOYING } from './portainer-state.js';
import { liveServices } from './portainer-swarm.js';

export interface StackRouteOptions {
  /** Real-time cap on how long DELETE waits for the stack's tasks to end, in ms. */
  deleteWaitMs: number;
}

const NO_ENDPOINT = () => perror(404, 'Unable to find an environment with the specified identifier inside the database', 'object not found inside the database');
const NO_STACK = () => perror(404, 'Unable to find a stack with the specified identifier inside the database', 'object not found inside the database');

/** envPairs reads `Env` as Portainer's []Pair; null or absent is an empty list (which is how a PUT wipes it). */
function envPairs(v: unknown): Array<{ name: string; value: string }> | SimResponse {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return perror(400, 'Invalid request payload', 'json: cannot unmarshal into Go struct field of type []portainer.Pair');
  const out: Array<{ name: string; value: string }> = [];
  for (const item of v) {
    if (typeof item !== 'object' || item === null) return perror(400, 'Invalid request payload', 'json: cannot unmarshal into Go value of type portainer.Pair');
    const lower = Object.fromEntries(Object.entries(item as Record<string, unknown>).map(([k, x]) => [k.toLowerCase(), x]));
    if ((lower.name !== undefined && typeof lower.name !== 'string') || (lower.value !== undefined && typeof lower.value !== 'string')) {
      return perror(400, 'Invalid request payload', 'json: cannot unmarshal number into Go struct field Pair.name of type string');
    }
    out.push({ name: str(lower.name), value: str(lower.value) });
  }
  return out;
}

function lookup(c: Call): StackRecord | SimResponse {
  const id = routeId(c.req, 'id', 'stack');
  if (isResponse(id)) return id;
  return c.inst.stacks[String(id)] ?? NO_STACK();
}

/** isStack tells a stack record from an error reply (both carry a numeric `status`). */
function isStack(x: StackRecord | SimResponse): x is StackRecord { return 'deploymentStatus' in x; }

function createSwarmString(c: Call): SimResponse {
  const endpointId = numericQuery(c.req, 'endpointId', false);
  if (isResponse(endpointId)) return endpointId;
  if (endpointId !== ENDPOINT_ID) return NO_ENDPOINT();
  const b = ciBody(c.req);
  if (isResponse(b)) return b;
  const name = str(b.get('Name'));
  const swarmId = str(b.get('SwarmID'));
  const content = str(b.get('StackFileContent'));
  if (!name.trim()) return perror(400, 'Invalid request payload', 'Invalid stack name');
  if (!swarmId.trim()) return perror(400, 'Invalid request payload', 'Invalid Swarm ID');
  if (!content.trim()) return perror(400, 'Invalid request payload', 'Invalid stack file content');
  const env = envPairs(b.get('Env'));
  if (isResponse(env)) return env;
  const normalized = normalizeStackName(name);
  if (!normalized) return perror(400, 'Invalid request payload', 'Invalid stack name');
  // The DB check and the live-namespace check (stacks deployed with the CLI count too).
  const clash = Object.values(c.inst.stacks).some((s) => s.endpointId === endpointId && s.name.toLowerCase() === normalized)
    || liveServices(c.inst).some((s) => (s.spec.Labels as Record<string, string> | undefined)?.[NAMESPACE] === normalized);
  if (clash) {
    const msg = `A stack with the normalized name '${normalized}' already exists`;
    return perror(409, msg, msg);
  }
  const stack: StackRecord = {
    id: ++c.inst.seq.stack, name: normalized, endpointId, swarmId, env, file: content, status: STACK_DEPLOYING, deploymentStatus: [],
    creationDate: Math.floor(c.now / 1000), createdBy: c.who?.username ?? '', updateDate: 0, updatedBy: '', option: null, warnings: [],
  };
  c.inst.stacks[String(stack.id)] = stack;
  startDeploy(c.ctx, stack, c.now, { prune: false, repull: false, isCreate: true });
  return { status: 200, body: renderStack(stack) };
}

/** The route Portainer kept from before 2.19: it rewrites `?type=1&method=string` to the new path. */
function createDeprecated(c: Call): SimResponse {
  const type = numericQuery(c.req, 'type', false);
  if (isResponse(type)) return type;
  const method = c.req.query.get('method');
  if (!method) return perror(400, 'Invalid query parameter: method', 'Missing query parameter');
  if (!['string', 'file', 'repository'].includes(method)) return perror(400, 'Invalid value for query parameter: method. Value must be one of: string, repository or file', 'Invalid value');
  if (type !== 1) return perror(400, 'Invalid value for query parameter: type. Value must be one of: 1 (Swarm stack) or 2 (Compose stack)', 'Only swarm stacks are simulated');
  if (method !== 'string') return perror(400, 'Invalid request payload', `method ${method} is not simulated`);
  return createSwarmString(c);
}

function list(c: Call): SimResponse {
  const raw = c.req.query.get('filters');
  let f: { SwarmID?: unknown; EndpointID?: unknown } = {};
  if (raw) {
    try { f = JSON.parse(raw) as typeof f; } catch (err) { return perror(400, 'Invalid query parameter: filters', (err as Error).message); }
    if (typeof f !== 'object' || f === null) return perror(400, 'Invalid query parameter: filters', 'json: cannot unmarshal into stackListOperationFilters');
  }
  const out = Object.values(c.inst.stacks)
    .filter((s) => (f.SwarmID === undefined || f.SwarmID === '' || s.swarmId === f.SwarmID) && (f.EndpointID === undefined || f.EndpointID === 0 || s.endpointId === Number(f.EndpointID)))
    .sort((a, b) => a.id - b.id)
    .map(renderStack);
  return { status: 200, body: out };
}

function inspect(c: Call): SimResponse {
  const s = lookup(c);
  return isStack(s) ? { status: 200, body: renderStack(s) } : s;
}

function file(c: Call): SimResponse {
  const s = lookup(c);
  return isStack(s) ? { status: 200, body: { StackFileContent: s.file } } : s;
}

function update(c: Call): SimResponse {
  const s = lookup(c);
  if (!isStack(s)) return s;
  const endpointId = numericQuery(c.req, 'endpointId', false);
  if (isResponse(endpointId)) return endpointId;
  if (endpointId !== ENDPOINT_ID) return NO_ENDPOINT();
  // 2.45: the deploy runs in a goroutine that holds the stack until it ends.
  if (s.status === STACK_DEPLOYING || s.deploy) return perror(409, 'Stack deployment is already in progress', 'Stack deployment is already in progress');
  const b = ciBody(c.req);
  if (isResponse(b)) return b;
  const content = str(b.get('StackFileContent'));
  if (!content.trim()) return perror(400, 'Invalid request payload', 'Invalid stack file content');
  const env = envPairs(b.get('Env'));
  if (isResponse(env)) return env;
  const prune = b.get('Prune') === true;
  // PullImage is deprecated since 2.36; the server ORs it with RepullImageAndRedeploy.
  const repull = b.get('RepullImageAndRedeploy') === true || b.get('PullImage') === true;
  const previousFile = s.file;
  s.file = content;
  s.env = env;
  s.updateDate = Math.floor(c.now / 1000);
  s.updatedBy = c.who?.username ?? '';
  s.option = { Prune: prune };
  startDeploy(c.ctx, s, c.now, { prune, repull, previousFile, isCreate: false });
  return { status: 200, body: renderStack(s) };
}

async function remove(c: Call, opts: StackRouteOptions): Promise<SimResponse> {
  const s = lookup(c);
  if (!isStack(s)) return s;
  const endpointId = numericQuery(c.req, 'endpointId', true);
  if (isResponse(endpointId)) return endpointId;
  if (endpointId !== undefined && endpointId !== ENDPOINT_ID) return NO_ENDPOINT();
  s.deploy = undefined;
  const doneAt = removeStack(c.ctx, s.name, c.now);
  // waitOnTasks: the reply comes once every task of the stack has ended on the (simulated) engine.
  const deadline = Date.now() + opts.deleteWaitMs;
  while (c.clock.now() < doneAt) {
    if (Date.now() > deadline) return perror(500, 'Unable to remove stack', `timed out waiting for the tasks of stack ${s.name} to stop`);
    await new Promise((r) => setTimeout(r, 5));
  }
  c.settle();
  delete c.inst.stacks[String(s.id)];
  return { status: 204 };
}

export function stackRoutes(opts: StackRouteOptions): PRoute[] {
  return [
    { method: 'POST', template: '/stacks/create/swarm/string', handler: createSwarmString },
    { method: 'POST', template: '/stacks', handler: createDeprecated },
    { method: 'GET', template: '/stacks', handler: list },
    { method: 'GET', template: '/stacks/{id}', handler: inspect },
    { method: 'GET', template: '/stacks/{id}/file', handler: file },
    { method: 'PUT', template: '/stacks/{id}', handler: update },
    { method: 'DELETE', template: '/stacks/{id}', handler: (c) => remove(c, opts) },
  ];
}
