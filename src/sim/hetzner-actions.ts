// Hetzner simulator action routes: server actions (power, type, rebuild, protection) and action reads.
import type { SimRequest, SimResponse, SimRoute } from './framework.js';
import { findImage, findServerType } from './hetzner-catalog.js';
import { herror, invalidFields, isResponse, jsonObject, notFound, paginate, pathId, sortItems } from './hetzner-http.js';
import { renderAction, soldOut } from './hetzner-render.js';
import { lookupServer } from './hetzner-servers.js';
import type { ActionRecord, ServerRecord, SimCtx } from './hetzner-state.js';

/** Simple power actions and the command each one records. */
const POWER: Record<string, string> = {
  poweron: 'start_server', poweroff: 'stop_server', shutdown: 'shutdown_server', reboot: 'reboot_server', reset: 'reset_server',
};

const field = (name: string, message: string) => invalidFields([{ name, messages: [message] }], message);

function locked(): SimResponse {
  return herror(423, 'locked', 'server is locked by a running action');
}

function runAction(ctx: SimCtx, req: SimRequest): SimResponse {
  const s = lookupServer(ctx, req);
  if (isResponse(s)) return s;
  const b = jsonObject(req, true);
  if (isResponse(b)) return b;
  const name = req.params.action ?? '';
  const st = ctx.state;
  const now = ctx.now();
  const res = { id: s.id, type: 'server' };
  const reply = (a: ActionRecord, extra: Record<string, unknown> = {}): SimResponse =>
    ({ status: 201, body: { action: renderAction(st, a, now), ...extra } });

  if (POWER[name]) {
    if (st.busy(s.id)) return locked();
    return reply(st.newAction(POWER[name], res, now));
  }
  switch (name) {
    case 'change_type': return changeType(ctx, s, b, reply);
    case 'rebuild': {
      if (b.image === undefined) return field('image', 'Missing data for required field.');
      const arch = findServerType(s.serverType)!.architecture;
      const image = findImage(b.image, arch);
      if (!image) return field('image', 'image not found');
      if (image.architecture !== arch) return field('image', `image architecture ${image.architecture} does not match server type architecture ${arch}`);
      if (s.protection.rebuild) return herror(423, 'protected', 'server is rebuild protected');
      if (st.busy(s.id)) return locked();
      const a = st.newAction('rebuild_server', res, now, { params: { imageId: image.id } });
      return reply(a, { root_password: s.sshKeys.length > 0 ? null : 'sim-rebuild-password' });
    }
    case 'change_protection': {
      for (const k of ['delete', 'rebuild'] as const) {
        if (b[k] !== undefined && typeof b[k] !== 'boolean') return field(k, 'must be a boolean');
      }
      const next = { delete: (b.delete as boolean | undefined) ?? s.protection.delete, rebuild: (b.rebuild as boolean | undefined) ?? s.protection.rebuild };
      // The API currently requires both flags to be equal (rebuild protection cannot exist without delete protection).
      if (next.delete !== next.rebuild) return field('rebuild', 'delete and rebuild protection must have the same value');
      if (st.busy(s.id)) return locked();
      s.protection = next;
      return reply(st.newAction('change_protection', res, now, { instant: true }));
    }
    default: return herror(404, 'not_found', `server action '${name}' is not supported by the simulator`);
  }
}

function changeType(ctx: SimCtx, s: ServerRecord, b: Record<string, unknown>, reply: (a: ActionRecord) => SimResponse): SimResponse {
  if (b.server_type === undefined) return field('server_type', 'Missing data for required field.');
  if (typeof b.upgrade_disk !== 'boolean') return field('upgrade_disk', 'Missing data for required field.');
  const type = findServerType(b.server_type);
  if (!type) return field('server_type', 'server type not found');
  if (type.architecture !== findServerType(s.serverType)!.architecture) return herror(400, 'invalid_server_type', 'server type architecture does not match the current server type');
  // A disk never shrinks: a type whose disk is smaller than the current one is refused, whatever upgrade_disk says.
  if (type.disk < s.primaryDiskSize) return herror(400, 'invalid_server_type', 'cannot change type because the selected server_type has not sufficient disk space');
  if (!type.locations.includes(s.location)) return field('server_type', 'unsupported location for server type');
  if (ctx.state.busy(s.id)) return locked();
  if (s.status !== 'off') return herror(412, 'server_not_stopped', 'server must be stopped before changing its type');
  if (soldOut(ctx.state, s.location).has(type.name)) return herror(412, 'resource_unavailable', 'error during placement');
  const now = ctx.now();
  return reply(ctx.state.newAction('change_server_type', { id: s.id, type: 'server' }, now, { params: { serverType: type.name, upgradeDisk: b.upgrade_disk } }));
}

function actionSort(ctx: SimCtx, now: number): Record<string, (a: ActionRecord) => string | number> {
  return {
    id: (a) => a.id, command: (a) => a.command, status: (a) => a.status, started: (a) => a.created,
    finished: (a) => a.finished ?? Number.MAX_SAFE_INTEGER, progress: (a) => ctx.state.progress(a, now),
  };
}

function listActions(ctx: SimCtx, req: SimRequest, items: ActionRecord[]): SimResponse {
  const statuses = req.query.getAll('status');
  const bad = statuses.find((x) => !['running', 'success', 'error'].includes(x));
  if (bad !== undefined) return invalidFields([{ name: 'status', messages: [`invalid status '${bad}'`] }]);
  const filtered = statuses.length ? items.filter((a) => statuses.includes(a.status)) : items;
  const now = ctx.now();
  const sorted = sortItems(filtered, req, actionSort(ctx, now));
  if (isResponse(sorted)) return sorted;
  return paginate(req, sorted, 'actions', (a) => renderAction(ctx.state, a, now));
}

function actionsById(ctx: SimCtx, req: SimRequest): SimResponse {
  const raw = req.query.getAll('id');
  // Listing every action in a project was removed from the API (2025-01-30); an id is mandatory.
  if (raw.length === 0) return invalidFields([{ name: 'id', messages: ['Missing data for required field.'] }], 'invalid input in field \'id\'');
  if (raw.some((x) => !/^\d+$/.test(x))) return invalidFields([{ name: 'id', messages: ['is invalid'] }]);
  const ids = new Set(raw.map(Number));
  return listActions(ctx, req, [...ctx.state.actions.values()].filter((a) => ids.has(a.id)).sort((a, b) => a.id - b.id));
}

function actionById(ctx: SimCtx, req: SimRequest, serverScoped: boolean): SimResponse {
  const id = pathId(req, serverScoped ? 'action_id' : 'id');
  if (isResponse(id)) return id;
  const a = ctx.state.actions.get(id);
  if (!a) return notFound('action');
  if (serverScoped) {
    const sid = pathId(req);
    if (isResponse(sid)) return sid;
    if (!a.resources.some((r) => r.type === 'server' && r.id === sid)) return notFound('action');
  }
  return { status: 200, body: { action: renderAction(ctx.state, a, ctx.now()) } };
}

function serverActions(ctx: SimCtx, req: SimRequest): SimResponse {
  const s = lookupServer(ctx, req);
  if (isResponse(s)) return s;
  const mine = [...ctx.state.actions.values()].filter((a) => a.resources.some((r) => r.type === 'server' && r.id === s.id));
  return listActions(ctx, req, mine.sort((a, b) => a.id - b.id));
}

export function actionRoutes(ctx: SimCtx): SimRoute[] {
  return [
    { method: 'POST', template: '/servers/{id}/actions/{action}', handler: (r) => runAction(ctx, r) },
    { method: 'GET', template: '/servers/{id}/actions', handler: (r) => serverActions(ctx, r) },
    { method: 'GET', template: '/servers/{id}/actions/{action_id}', handler: (r) => actionById(ctx, r, true) },
    { method: 'GET', template: '/actions', handler: (r) => actionsById(ctx, r) },
    { method: 'GET', template: '/actions/{id}', handler: (r) => actionById(ctx, r, false) },
  ];
}
