// Hetzner simulator catalog routes: read-only server types (with live availability), locations and images; /datacenters is gone (410).
import type { SimRequest, SimResponse, SimRoute } from './framework.js';
import { IMAGES, LOCATIONS, SERVER_TYPES, renderImage, renderLocation, renderServerType, type ServerTypeInfo } from './hetzner-catalog.js';
import { herror, isResponse, notFound, paginate, pathId, sortItems } from './hetzner-http.js';
import { soldOut } from './hetzner-render.js';
import type { SimCtx } from './hetzner-state.js';

function byId<T extends { id: number }>(items: readonly T[], req: SimRequest, key: string, render: (x: T) => unknown): SimResponse {
  const id = pathId(req);
  if (isResponse(id)) return id;
  const item = items.find((x) => x.id === id);
  return item ? { status: 200, body: { [key]: render(item) } } : notFound(key.replace('_', ' '));
}

function named<T extends { name: string }>(items: readonly T[], req: SimRequest): T[] {
  const name = req.query.get('name');
  return name === null ? [...items] : items.filter((x) => x.name === name);
}

function images(req: SimRequest): SimResponse {
  let items = named(IMAGES, req);
  const types = req.query.getAll('type');
  if (types.length) items = items.filter((i) => types.includes(i.type));
  const arch = req.query.get('architecture');
  if (arch !== null) items = items.filter((i) => i.architecture === arch);
  const sorted = sortItems(items, req, { id: (i) => i.id, name: (i) => i.name, created: (i) => i.id });
  if (isResponse(sorted)) return sorted;
  return paginate(req, sorted, 'images', renderImage);
}

// The endpoint was deprecated with `server.datacenter` and answers 410 since 2026-10.
function datacentersGone(): SimResponse {
  return herror(410, 'deprecated_api_endpoint', 'the datacenters endpoint was removed; use locations and server_types[].locations', {
    announcement: 'https://docs.hetzner.cloud/changelog#2025-12-16-datacenter-deprecated',
  });
}

export function catalogRoutes(ctx: SimCtx): SimRoute[] {
  const render = (t: ServerTypeInfo) => renderServerType(t, (l) => soldOut(ctx.state, l).has(t.name));
  return [
    { method: 'GET', template: '/server_types', handler: (r) => paginate(r, named(SERVER_TYPES, r), 'server_types', render) },
    { method: 'GET', template: '/server_types/{id}', handler: (r) => byId(SERVER_TYPES, r, 'server_type', render) },
    { method: 'GET', template: '/datacenters', handler: datacentersGone },
    { method: 'GET', template: '/datacenters/{id}', handler: datacentersGone },
    { method: 'GET', template: '/locations', handler: (r) => paginate(r, named(LOCATIONS, r), 'locations', renderLocation) },
    { method: 'GET', template: '/locations/{id}', handler: (r) => byId(LOCATIONS, r, 'location', renderLocation) },
    { method: 'GET', template: '/images', handler: images },
    { method: 'GET', template: '/images/{id}', handler: (r) => byId(IMAGES, r, 'image', renderImage) },
  ];
}
