// The real outside view of an app: public resolvers over UDP 53, a TLS handshake with the host as SNI, and an HTTPS GET.
import { Resolver } from 'node:dns/promises';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { request as httpsRequest } from 'node:https';

export interface AppProbeOptions {
  /** Public resolvers that must agree. @default ['1.1.1.1', '8.8.8.8'] */
  resolvers?: string[];
  /** HTTPS port of the edge. @default 443 */
  port?: number;
  /** Extra trusted CA certificates (tests); the system store is used otherwise. */
  ca?: string | string[];
  /** Bound on each DNS query, handshake and request. @default 5000 */
  timeoutMs?: number;
}

/** Traefik's self-signed fallback certificate: served until a certificate was issued for the host. */
export const TRAEFIK_DEFAULT_CN = 'TRAEFIK DEFAULT CERT';

/** createAppProbe returns the real probe. */
export function createAppProbe(o: AppProbeOptions = {}) {
  const timeout = o.timeoutMs ?? 5000;
  const port = o.port ?? 443;
  const resolvers = (o.resolvers ?? ['1.1.1.1', '8.8.8.8']).map((server) => {
    const r = new Resolver({ timeout, tries: 2 });
    r.setServers([server]);
    return r;
  });
  return {
    /** resolve returns the addresses every resolver agrees on; a failing resolver agrees on nothing. */
    async resolve(host: string): Promise<string[]> {
      const answers = await Promise.all(resolvers.map((r) => r.resolve4(host).catch(() => [] as string[])));
      return answers.reduce((acc, a) => acc.filter((x) => a.includes(x)));
    },
    certificate(host: string, address: string): Promise<{ valid: boolean; traefikDefault: boolean; issuer?: string; error?: string }> {
      return new Promise((resolve) => {
        // Verification happens below (chain + name), so the peer certificate can be read even when it fails.
        const socket = tlsConnect({ host: address, port, servername: host, rejectUnauthorized: false, ...(o.ca ? { ca: o.ca } : {}), timeout });
        const done = (v: { valid: boolean; traefikDefault: boolean; issuer?: string; error?: string }): void => { socket.destroy(); resolve(v); };
        socket.once('secureConnect', () => {
          const cert = socket.getPeerCertificate() as PeerCertificate;
          const traefikDefault = cert?.subject?.CN === TRAEFIK_DEFAULT_CN;
          const nameError = cert && Object.keys(cert).length ? checkServerIdentity(host, cert) : new Error('no certificate');
          const error = !socket.authorized ? String(socket.authorizationError ?? 'untrusted') : nameError ? nameError.message : undefined;
          done({ valid: !error && !traefikDefault, traefikDefault, ...(cert?.issuer?.CN ? { issuer: String(cert.issuer.CN) } : {}), ...(error ? { error } : {}) });
        });
        socket.once('timeout', () => done({ valid: false, traefikDefault: false, error: `no TLS handshake within ${timeout} ms` }));
        socket.once('error', (err) => done({ valid: false, traefikDefault: false, error: err.message }));
      });
    },
    health(host: string, address: string, path: string): Promise<{ status: number; error?: string }> {
      return new Promise((resolve) => {
        const req = httpsRequest({ host: address, port, servername: host, path, method: 'GET', headers: { host }, timeout, ...(o.ca ? { ca: o.ca } : {}) }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0 });
        });
        req.once('timeout', () => { req.destroy(); resolve({ status: 0, error: `no answer within ${timeout} ms` }); });
        req.once('error', (err) => resolve({ status: 0, error: err.message }));
        req.end();
      });
    },
  };
}
