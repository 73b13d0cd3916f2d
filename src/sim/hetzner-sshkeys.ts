// Hetzner simulator SSH key routes, with OpenSSH key parsing and MD5 fingerprints computed from the key blob.
import { createHash } from 'node:crypto';
import type { SimRequest, SimResponse, SimRoute } from './framework.js';
import { filterLabels, herror, invalidFields, isResponse, jsonObject, notFound, paginate, pathId, sortItems, type FieldError } from './hetzner-http.js';
import { labelProblems } from './hetzner-labels.js';
import { renderSshKey } from './hetzner-render.js';
import type { SimCtx, SshKeyRecord } from './hetzner-state.js';

const KEY_TYPES = new Set([
  'ssh-rsa', 'ssh-dss', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** keyFingerprint returns the MD5 colon-hex fingerprint of an OpenSSH public key line, or undefined if it is malformed. */
export function keyFingerprint(line: string): string | undefined {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64 || !KEY_TYPES.has(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, 'base64');
  // The blob starts with the key type as an SSH string (uint32 length + bytes); it must agree with the prefix.
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (blob.length < 4 + n || blob.subarray(4, 4 + n).toString('latin1') !== type) return undefined;
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
}

function uniqueName(): SimResponse {
  return herror(409, 'uniqueness_error', 'SSH key name is already used', { fields: [{ name: 'name', messages: ['is already used'] }] });
}

function lookup(ctx: SimCtx, req: SimRequest): SshKeyRecord | SimResponse {
  const id = pathId(req);
  if (isResponse(id)) return id;
  return ctx.state.sshKeys.get(id) ?? notFound('ssh key');
}

function list(ctx: SimCtx, req: SimRequest): SimResponse {
  let items = [...ctx.state.sshKeys.values()].sort((a, b) => a.id - b.id);
  const name = req.query.get('name');
  if (name !== null) items = items.filter((k) => k.name === name);
  const fp = req.query.get('fingerprint');
  if (fp !== null) items = items.filter((k) => k.fingerprint === fp.toLowerCase());
  const labelled = filterLabels(items, req);
  if (isResponse(labelled)) return labelled;
  const sorted = sortItems(labelled, req, { id: (k) => k.id, name: (k) => k.name });
  if (isResponse(sorted)) return sorted;
  return paginate(req, sorted, 'ssh_keys', renderSshKey);
}

function create(ctx: SimCtx, req: SimRequest): SimResponse {
  const b = jsonObject(req);
  if (isResponse(b)) return b;
  const problems: FieldError[] = [];
  if (typeof b.name !== 'string' || b.name.length === 0 || b.name.length > 128) problems.push({ name: 'name', messages: ['is invalid'] });
  const fingerprint = typeof b.public_key === 'string' ? keyFingerprint(b.public_key) : undefined;
  if (!fingerprint) problems.push({ name: 'public_key', messages: ['invalid public key'] });
  if (b.labels !== undefined) { const p = labelProblems(b.labels); if (p.length) problems.push({ name: 'labels', messages: p }); }
  if (problems.length > 0) return invalidFields(problems);
  const keys = [...ctx.state.sshKeys.values()];
  if (keys.some((k) => k.fingerprint === fingerprint)) {
    return herror(409, 'uniqueness_error', 'SSH key with the same fingerprint already exists', { fields: [{ name: 'public_key', messages: ['is already used'] }] });
  }
  if (keys.some((k) => k.name === b.name)) return uniqueName();
  const key: SshKeyRecord = {
    id: ++ctx.state.seq.sshKey, name: b.name as string, publicKey: (b.public_key as string).trim(), fingerprint: fingerprint!,
    labels: { ...(b.labels as Record<string, string> | undefined) }, created: ctx.now(),
  };
  ctx.state.sshKeys.set(key.id, key);
  return { status: 201, body: { ssh_key: renderSshKey(key) } };
}

function update(ctx: SimCtx, req: SimRequest): SimResponse {
  const k = lookup(ctx, req);
  if (isResponse(k)) return k;
  const b = jsonObject(req);
  if (isResponse(b)) return b;
  const problems: FieldError[] = [];
  if (b.name !== undefined && (typeof b.name !== 'string' || b.name.length === 0 || b.name.length > 128)) problems.push({ name: 'name', messages: ['is invalid'] });
  if (b.labels !== undefined) { const p = labelProblems(b.labels); if (p.length) problems.push({ name: 'labels', messages: p }); }
  if (problems.length > 0) return invalidFields(problems);
  if (b.name !== undefined && [...ctx.state.sshKeys.values()].some((o) => o.id !== k.id && o.name === b.name)) return uniqueName();
  if (b.name !== undefined) k.name = b.name as string;
  if (b.labels !== undefined) k.labels = { ...(b.labels as Record<string, string>) };
  return { status: 200, body: { ssh_key: renderSshKey(k) } };
}

function remove(ctx: SimCtx, req: SimRequest): SimResponse {
  const k = lookup(ctx, req);
  if (isResponse(k)) return k;
  ctx.state.sshKeys.delete(k.id);
  return { status: 204 };
}

export function sshKeyRoutes(ctx: SimCtx): SimRoute[] {
  return [
    { method: 'GET', template: '/ssh_keys', handler: (r) => list(ctx, r) },
    { method: 'POST', template: '/ssh_keys', handler: (r) => create(ctx, r) },
    { method: 'GET', template: '/ssh_keys/{id}', handler: (r) => { const k = lookup(ctx, r); return isResponse(k) ? k : { status: 200, body: { ssh_key: renderSshKey(k) } }; } },
    { method: 'PUT', template: '/ssh_keys/{id}', handler: (r) => update(ctx, r) },
    { method: 'DELETE', template: '/ssh_keys/{id}', handler: (r) => remove(ctx, r) },
  ];
}
