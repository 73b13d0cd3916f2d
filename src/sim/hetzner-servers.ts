// Hetzner simulator server routes: list, create, get, update and delete.
import { randomBytes } from 'node:crypto';
import type { SimRequest, SimResponse, SimRoute } from './framework.js';
import { findImage, findLocation, findServerType } from './hetzner-catalog.js';
import { filterLabels, herror, invalidFields, isResponse, jsonObject, notFound, paginate, pathId, sortItems, type FieldError } from './hetzner-http.js';
import { labelProblems } from './hetzner-labels.js';
import { renderAction, renderServer, soldOut } from './hetzner-render.js';
import type { ServerRecord, ServerStatus, SimCtx } from './hetzner-state.js';

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const STATUSES: readonly ServerStatus[] = ['initializing', 'starting', 'running', 'stopping', 'off', 'deleting', 'migrating', 'rebuilding', 'unknown'];

export function validName(name: unknown): name is string {
  return typeof name === 'string' && HOSTNAME.test(name);
}

function rootPassword(): string {
  return randomBytes(15).toString('base64').replace(/[+/=]/g, 'x');
}

/** lookup returns the server for `{id}` or the API's error. */
export function lookupServer(ctx: SimCtx, req: SimRequest): ServerRecord | SimResponse {
  const id = pathId(req);
  if (isResponse(id)) return id;
  return ctx.state.servers.get(id) ?? notFound('server');
}

function list(ctx: SimCtx, req: SimRequest): SimResponse {
  let items = [...ctx.state.servers.values()].sort((a, b) => a.id - b.id);
  const name = req.query.get('name');
  if (name !== null) items = items.filter((s) => s.name === name);
  const statuses = req.query.getAll('status');
  const bad = statuses.find((s) => !STATUSES.includes(s as ServerStatus));
  if (bad !== undefined) return invalidFields([{ name: 'status', messages: [`invalid status '${bad}'`] }]);
  if (statuses.length > 0) items = items.filter((s) => statuses.includes(s.status));
  const labelled = filterLabels(items, req);
  if (isResponse(labelled)) return labelled;
  const sorted = sortItems(labelled, req, { id: (s) => s.id, name: (s) => s.name, created: (s) => s.created });
  if (isResponse(sorted)) return sorted;
  return paginate(req, sorted, 'servers', (s) => renderServer(ctx.state, s));
}

/** structural checks that need no catalog lookups, reported together like the API's `fields[]`. */
function fieldProblems(b: Record<string, unknown>): FieldError[] {
  const out: FieldError[] = [];
  const add = (name: string, ...messages: string[]) => out.push({ name, messages });
  if (!validName(b.name)) add('name', b.name === undefined ? 'Missing data for required field.' : 'is invalid');
  if (b.server_type === undefined) add('server_type', 'Missing data for required field.');
  if (b.image === undefined) add('image', 'Missing data for required field.');
  if (b.labels !== undefined) { const p = labelProblems(b.labels); if (p.length) add('labels', ...p); }
  if (b.ssh_keys !== undefined && !Array.isArray(b.ssh_keys)) add('ssh_keys', 'must be a list');
  if (b.user_data !== undefined && (typeof b.user_data !== 'string' || Buffer.byteLength(b.user_data) > 32 * 1024)) add('user_data', 'must be a string of at most 32 KiB');
  if (b.start_after_create !== undefined && typeof b.start_after_create !== 'boolean') add('start_after_create', 'must be a boolean');
  if (b.public_net !== undefined && (typeof b.public_net !== 'object' || b.public_net === null)) add('public_net', 'must be an object');
  // Removed from the API on 2026-07-01 (servers carry `location` only); an unknown field is invalid input.
  if (b.datacenter !== undefined) add('datacenter', 'Unknown field.');
  return out;
}

// Create fields the simulator does not model: refusing them is better than silently creating a server without them.
const UNSUPPORTED_CREATE_FIELDS = ['networks', 'firewalls', 'volumes', 'placement_group'] as const;

/** unsupported names the first create field the simulator cannot honour (null/empty values ask for nothing). */
function unsupported(b: Record<string, unknown>): SimResponse | undefined {
  for (const f of UNSUPPORTED_CREATE_FIELDS) {
    const v = b[f];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    return herror(501, 'not_implemented', `the Hetzner simulator does not support '${f}' on server create`, { fields: [{ name: f, messages: ['not supported by the simulator'] }] });
  }
  return undefined;
}

function lookupFailure(field: string, message: string): SimResponse {
  return invalidFields([{ name: field, messages: [message] }], message);
}

function create(ctx: SimCtx, req: SimRequest): SimResponse {
  const b = jsonObject(req);
  if (isResponse(b)) return b;
  const problems = fieldProblems(b);
  if (problems.length > 0) return invalidFields(problems);
  const notHere = unsupported(b);
  if (notHere) return notHere;
  const type = findServerType(b.server_type);
  if (!type) return lookupFailure('server_type', 'server type not found');
  const loc = findLocation(b.location ?? 'fsn1');
  if (!loc) return lookupFailure('location', 'location not found');
  const image = findImage(b.image, type.architecture);
  if (!image) return lookupFailure('image', 'image not found');
  if (image.architecture !== type.architecture) return lookupFailure('image', `image architecture ${image.architecture} does not match server type architecture ${type.architecture}`);
  if (!type.locations.includes(loc.name)) return lookupFailure('server_type', 'unsupported location for server type');
  const st = ctx.state;
  const keyIds: number[] = [];
  for (const ref of (b.ssh_keys as unknown[] | undefined) ?? []) {
    const key = [...st.sshKeys.values()].find((k) => k.name === ref || k.id === Number(ref));
    if (!key) return lookupFailure('ssh_keys', `SSH key '${String(ref)}' not found`);
    keyIds.push(key.id);
  }
  const pn = (b.public_net ?? {}) as Record<string, unknown>;
  const wantV4 = pn.enable_ipv4 !== false;
  const wantV6 = pn.enable_ipv6 !== false;
  if (!wantV4 && !wantV6 && !(Array.isArray(b.networks) && b.networks.length > 0)) {
    return lookupFailure('public_net', 'server must have a public IP or be attached to a network');
  }
  if ([...st.servers.values()].some((s) => s.name === b.name)) {
    return herror(409, 'uniqueness_error', 'server name is already used', { fields: [{ name: 'name', messages: ['is already used'] }] });
  }
  if (soldOut(st, loc.name).has(type.name)) return herror(412, 'resource_unavailable', 'error during placement');
  let ipv4: string | undefined;
  let sshPort: number | undefined;
  if (wantV4) {
    const pinned = st.nextAddresses.shift();
    ipv4 = pinned?.ipv4 ?? st.allocIpv4();
    sshPort = pinned?.sshPort;
    if (ipv4 === undefined) return herror(412, 'resource_unavailable', 'no free primary IPv4 address');
  }
  const now = ctx.now();
  const server: ServerRecord = {
    id: ++st.seq.server, name: b.name as string, status: 'initializing', created: now, serverType: type.name,
    location: loc.name, imageId: image.id, labels: { ...(b.labels as Record<string, string> | undefined) },
    protection: { delete: false, rebuild: false },
    ipv4: ipv4 === undefined ? null : { id: st.nextPrimaryIpId(), ip: ipv4 },
    ipv6: wantV6 ? { id: st.nextPrimaryIpId(), ip: st.allocIpv6() } : null,
    sshKeys: keyIds, userData: (b.user_data as string | undefined) ?? null, primaryDiskSize: type.disk,
    ...(sshPort === undefined ? {} : { sshPort }),
  };
  st.servers.set(server.id, server);
  const res = { id: server.id, type: 'server' };
  const action = st.newAction('create_server', res, now);
  const next = b.start_after_create === false ? [] : [st.newAction('start_server', res, now, { after: action })];
  return {
    status: 201,
    body: {
      server: renderServer(st, server),
      action: renderAction(st, action, now),
      next_actions: next.map((a) => renderAction(st, a, now)),
      root_password: keyIds.length > 0 ? null : rootPassword(),
    },
  };
}

function get(ctx: SimCtx, req: SimRequest): SimResponse {
  const s = lookupServer(ctx, req);
  return isResponse(s) ? s : { status: 200, body: { server: renderServer(ctx.state, s) } };
}

function update(ctx: SimCtx, req: SimRequest): SimResponse {
  const s = lookupServer(ctx, req);
  if (isResponse(s)) return s;
  const b = jsonObject(req);
  if (isResponse(b)) return b;
  const problems: FieldError[] = [];
  if (b.name !== undefined && !validName(b.name)) problems.push({ name: 'name', messages: ['is invalid'] });
  if (b.labels !== undefined) { const p = labelProblems(b.labels); if (p.length) problems.push({ name: 'labels', messages: p }); }
  if (problems.length > 0) return invalidFields(problems);
  if (b.name !== undefined && [...ctx.state.servers.values()].some((o) => o.id !== s.id && o.name === b.name)) {
    return herror(409, 'uniqueness_error', 'server name is already used', { fields: [{ name: 'name', messages: ['is already used'] }] });
  }
  if (b.name !== undefined) s.name = b.name as string;
  // PUT replaces the whole label set, it does not merge.
  if (b.labels !== undefined) s.labels = { ...(b.labels as Record<string, string>) };
  return { status: 200, body: { server: renderServer(ctx.state, s) } };
}

function remove(ctx: SimCtx, req: SimRequest): SimResponse {
  const s = lookupServer(ctx, req);
  if (isResponse(s)) return s;
  if (s.protection.delete) return herror(423, 'protected', 'server is delete protected');
  if (ctx.state.busy(s.id)) return herror(423, 'locked', 'server is locked by a running action');
  const now = ctx.now();
  const action = ctx.state.newAction('delete_server', { id: s.id, type: 'server' }, now);
  return { status: 200, body: { action: renderAction(ctx.state, action, now) } };
}

export function serverRoutes(ctx: SimCtx): SimRoute[] {
  return [
    { method: 'GET', template: '/servers', handler: (r) => list(ctx, r) },
    { method: 'POST', template: '/servers', handler: (r) => create(ctx, r) },
    { method: 'GET', template: '/servers/{id}', handler: (r) => get(ctx, r) },
    { method: 'PUT', template: '/servers/{id}', handler: (r) => update(ctx, r) },
    { method: 'DELETE', template: '/servers/{id}', handler: (r) => remove(ctx, r) },
  ];
}
