// Portainer simulator auth: admin bootstrap, JWT login, API keys (X-API-Key), token creation (JWT only), the /api/auth IP ban.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SimRequest, SimResponse } from './framework.js';
import { ciBody, isResponse, perror, routeId, str } from './portainer-http.js';
import type { InstanceRecord, UserRecord } from './portainer-state.js';
import { sha256 } from './portainer-state.js';

/** AuthLimit is Portainer's /api/auth rate limiter: more than `maxRequests` within `windowMs` bans the IP for `banMs`. */
export interface AuthLimit { maxRequests: number; windowMs: number; banMs: number }

/** Portainer's own numbers: NewRateLimiter(10, 1*time.Second, 1*time.Hour), answered with 403 Access denied. */
export const DEFAULT_AUTH_LIMIT: AuthLimit = { maxRequests: 10, windowMs: 1000, banMs: 3_600_000 };

/** JWT lifetime: Portainer's default user session timeout. */
export const JWT_TTL_MS = 8 * 3_600_000;
/** Portainer's minimum admin password length. */
export const MIN_PASSWORD = 12;

/** Principal is who a request authenticated as, and how. */
export interface Principal { userId: number; username: string; role: number; via: 'jwt' | 'apikey' }

export function hashPassword(password: string, salt = randomBytes(8).toString('hex')): { salt: string; passwordHash: string } {
  return { salt, passwordHash: sha256(`${salt}:${password}`) };
}

function passwordMatches(u: UserRecord, password: string): boolean {
  const a = Buffer.from(sha256(`${u.salt}:${password}`));
  const b = Buffer.from(u.passwordHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

const b64url = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

/** signJwt issues an HS256 token with Portainer's claims. */
export function signJwt(inst: InstanceRecord, u: UserRecord, now: number): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({
    id: u.id, username: u.username, role: u.role, scope: 'default', forceChangePassword: false,
    exp: Math.floor((now + JWT_TTL_MS) / 1000), iat: Math.floor(now / 1000), jti: randomBytes(16).toString('hex'),
  }));
  const sig = createHmac('sha256', inst.jwtSecret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

function verifyJwt(inst: InstanceRecord, token: string, now: number): Principal | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const sig = createHmac('sha256', inst.jwtSecret).update(`${parts[0]}.${parts[1]}`).digest('base64url');
  if (sig.length !== parts[2]!.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(parts[2]!))) return undefined;
  let claims: { id?: number; exp?: number } = {};
  try { claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims; } catch { return undefined; }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return undefined;
  const u = inst.users.find((x) => x.id === claims.id);
  return u ? { userId: u.id, username: u.username, role: u.role, via: 'jwt' } : undefined;
}

/** authenticate reads `X-API-Key` or `Authorization: Bearer <jwt>`, answering 401 as Portainer's bouncer does. */
export function authenticate(inst: InstanceRecord, req: SimRequest, now: number): Principal | SimResponse {
  const apiKey = req.headers['x-api-key'];
  const key = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  if (key) {
    const digest = sha256(key);
    const rec = inst.apiKeys.find((k) => k.digest === digest);
    const u = rec ? inst.users.find((x) => x.id === rec.userId) : undefined;
    if (!rec || !u) return perror(401, 'Unauthorized', 'Invalid API key');
    rec.lastUsed = Math.floor(now / 1000);
    return { userId: u.id, username: u.username, role: u.role, via: 'apikey' };
  }
  const m = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? '').trim());
  if (!m) return perror(401, 'A valid authorization token is missing', 'Unauthorized');
  return verifyJwt(inst, m[1]!.trim(), now) ?? perror(401, 'Invalid JWT token', 'Unauthorized');
}

/** limitAuth is the defender-style limiter in front of /api/auth: every request counts, a burst bans the address. */
export function limitAuth(inst: InstanceRecord, ip: string, now: number, limit: AuthLimit): SimResponse | undefined {
  const rec = inst.authLimiter[ip] ?? { tokens: limit.maxRequests, last: now, bannedUntil: 0 };
  inst.authLimiter[ip] = rec;
  if (now < rec.bannedUntil) return perror(403, 'Access denied', 'Access denied to resource');
  rec.tokens = Math.min(limit.maxRequests, rec.tokens + ((now - rec.last) * limit.maxRequests) / limit.windowMs);
  rec.last = now;
  if (rec.tokens < 1) {
    rec.bannedUntil = now + limit.banMs;
    return perror(403, 'Access denied', 'Access denied to resource');
  }
  rec.tokens -= 1;
  return undefined;
}

export function adminCheck(inst: InstanceRecord): SimResponse {
  return inst.users.some((u) => u.role === 1) ? { status: 204 } : perror(404, 'No administrator account found inside the database', 'Object not found inside the database');
}

export function adminInit(inst: InstanceRecord, req: SimRequest, now: number): SimResponse {
  const b = ciBody(req);
  if (isResponse(b)) return b;
  const username = str(b.get('Username'));
  const password = str(b.get('Password'));
  if (!username) return perror(400, 'Invalid request payload', 'Invalid username');
  if (!password) return perror(400, 'Invalid request payload', 'Invalid password');
  if (inst.users.some((u) => u.role === 1)) return perror(409, 'Unable to create administrator user', 'An administrator user already exists');
  if (password.length < MIN_PASSWORD) return perror(400, 'Password does not meet the requirements', 'Password does not meet the requirements');
  const u: UserRecord = { id: ++inst.seq.user, username, role: 1, ...hashPassword(password) };
  inst.users.push(u);
  return { status: 200, body: renderUser(u, now) };
}

export function login(inst: InstanceRecord, req: SimRequest, now: number): SimResponse {
  const b = ciBody(req);
  if (isResponse(b)) return b;
  const username = str(b.get('Username'));
  const password = str(b.get('Password'));
  if (!username) return perror(400, 'Invalid request payload', 'Invalid username');
  if (!password) return perror(400, 'Invalid request payload', 'Invalid password');
  const u = inst.users.find((x) => x.username.toLowerCase() === username.toLowerCase());
  if (!u || !passwordMatches(u, password)) return perror(422, 'Invalid credentials', 'Unauthorized');
  return { status: 200, body: { jwt: signJwt(inst, u, now) } };
}

/** createToken is `POST /users/{id}/tokens`: JWT auth only, the caller's own id, and its current password. */
export function createToken(inst: InstanceRecord, req: SimRequest, who: Principal, now: number): SimResponse {
  // Portainer checks JWT before anything else: an API key cannot mint API keys.
  if (who.via !== 'jwt') return perror(401, 'Auth not supported', 'JWT Authentication required');
  const b = ciBody(req);
  if (isResponse(b)) return b;
  const password = str(b.get('password'));
  const description = str(b.get('description'));
  if (!password) return perror(400, 'Invalid request payload', 'invalid password: cannot be empty');
  if (!description.trim()) return perror(400, 'Invalid request payload', description ? 'invalid description. cannot contain only whitespaces' : 'invalid description. cannot be empty');
  if (description.length > 128) return perror(400, 'Invalid request payload', 'invalid description. cannot be longer than 128 characters');
  const id = routeId(req, 'id', 'user');
  if (isResponse(id)) return id;
  if (id !== who.userId) return perror(403, 'Permission denied to create user access token', 'Unauthorized');
  const u = inst.users.find((x) => x.id === id);
  if (!u) return perror(400, 'Unable to find a user', 'Object not found inside the database');
  if (!passwordMatches(u, password)) return perror(403, 'Current password doesn\'t match', 'Current password does not match the password provided. Please try again');
  const raw = `ptr_${randomBytes(32).toString('base64')}`;
  const rec = { id: ++inst.seq.apiKey, userId: u.id, description, prefix: raw.slice(0, 7), digest: sha256(raw), dateCreated: Math.floor(now / 1000), lastUsed: 0 };
  inst.apiKeys.push(rec);
  return { status: 201, body: { rawAPIKey: raw, apiKey: { id: rec.id, userId: rec.userId, description, prefix: rec.prefix, dateCreated: rec.dateCreated, lastUsed: 0, digest: rec.digest } } };
}

function renderUser(u: UserRecord, _now: number): Record<string, unknown> {
  return { Id: u.id, Username: u.username, Role: u.role, TokenIssueAt: 0, ThemeSettings: { color: '' }, UseCache: true };
}
