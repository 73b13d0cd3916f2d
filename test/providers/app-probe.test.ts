// The real app probe against loopback stand-ins: two UDP resolvers, a TLS edge with a real CA and Traefik's default certificate.
import { createSocket, type Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppProbe, TRAEFIK_DEFAULT_CN } from '../../src/providers/app-probe.js';

/** dnsServer answers A queries from a table, as a minimal authoritative UDP server. */
function dnsServer(table: Record<string, string[]>): Promise<{ socket: Socket; address: string }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let i = 12;
    const labels: string[] = [];
    while (msg[i]! !== 0) { const n = msg[i]!; labels.push(msg.subarray(i + 1, i + 1 + n).toString()); i += n + 1; }
    const qEnd = i + 5;
    const name = labels.join('.').toLowerCase();
    const ips = table[name] ?? [];
    const header = Buffer.from(msg.subarray(0, 12));
    header.writeUInt16BE(0x8180 | (ips.length ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(ips.length, 6);
    header.writeUInt32BE(0, 8);
    const answers = ips.map((ip) => Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]), Buffer.from(ip.split('.').map(Number))]));
    socket.send(Buffer.concat([header, msg.subarray(12, qEnd), ...answers]), rinfo.port, rinfo.address);
  });
  return new Promise((r) => socket.bind(0, '127.0.0.1', () => r({ socket, address: `127.0.0.1:${(socket.address() as AddressInfo).port}` })));
}

const dir = mkdtempSync(join(tmpdir(), 'lc-probe-'));
const ssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
let edge: Server;
let port = 0;
const dns: Socket[] = [];
let resolvers: string[] = [];
let ca = '';

beforeAll(async () => {
  // A test CA signs app.test; Traefik's fallback is self-signed with its well-known CN.
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Test Root', '-days', '2');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'app.key', '-out', 'app.csr', '-subj', '/CN=app.test');
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:app.test" > ext.cnf'], { cwd: dir });
  ssl('x509', '-req', '-in', 'app.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'app.crt', '-days', '2', '-extfile', 'ext.cnf');
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'def.key', '-out', 'def.crt', '-subj', `/CN=${TRAEFIK_DEFAULT_CN}`, '-days', '2');
  ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  edge = createServer({
    key: read('def.key'), cert: read('def.crt'),
    // Like Traefik: the issued certificate for its name, the default one for anything else.
    SNICallback: (name, cb) => cb(null, name === 'app.test' ? createSecureContext({ key: read('app.key'), cert: read('app.crt') }) : undefined),
  }, (req, res) => { res.statusCode = req.url === '/health' && req.headers.host === 'app.test' ? 200 : 404; res.end(); });
  await new Promise<void>((r) => edge.listen(0, '127.0.0.1', () => r()));
  port = (edge.address() as AddressInfo).port;
  const a = await dnsServer({ 'app.test': ['127.0.0.1'], 'split.test': ['127.0.0.1'] });
  const b = await dnsServer({ 'app.test': ['127.0.0.1'], 'split.test': ['127.0.0.2'] });
  dns.push(a.socket, b.socket);
  resolvers = [a.address, b.address];
});

afterAll(async () => {
  for (const s of dns) s.close();
  await new Promise<void>((r) => edge.close(() => r()));
});

describe('app probe', () => {
  it('takes only the addresses every resolver agrees on', async () => {
    const p = createAppProbe({ resolvers, port, ca, timeoutMs: 2000 });
    expect(await p.resolve('app.test')).toEqual(['127.0.0.1']);
    expect(await p.resolve('split.test')).toEqual([]);
    expect(await p.resolve('missing.test')).toEqual([]);
  });

  it('accepts an issued certificate and tells Traefik\'s default one apart', async () => {
    const p = createAppProbe({ resolvers, port, ca, timeoutMs: 2000 });
    expect(await p.certificate('app.test', '127.0.0.1')).toMatchObject({ valid: true, traefikDefault: false, issuer: 'Test Root' });
    const other = await p.certificate('other.test', '127.0.0.1');
    expect(other).toMatchObject({ valid: false, traefikDefault: true });
  });

  it('does not trust a certificate from an unknown CA', async () => {
    const p = createAppProbe({ resolvers, port, timeoutMs: 2000 });
    const v = await p.certificate('app.test', '127.0.0.1');
    expect(v.valid).toBe(false);
    expect(v.error).toBeTruthy();
  });

  it('reads the health path over HTTPS with the host as SNI and Host header', async () => {
    const p = createAppProbe({ resolvers, port, ca, timeoutMs: 2000 });
    expect(await p.health('app.test', '127.0.0.1', '/health')).toEqual({ status: 200 });
    expect((await p.health('app.test', '127.0.0.1', '/nope')).status).toBe(404);
    expect((await createAppProbe({ port: 1, timeoutMs: 1000 }).health('app.test', '127.0.0.1', '/')).status).toBe(0);
  });
});
