// The simulated Traefik edge on loopback: a request with a Host header reaches the app behind a matching router, as users would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PortainerRoute } from './portainer.js';
import { matchRouter } from './app-probe.js';

/**
 * startEdge serves what Traefik's websecure entrypoint would answer (over plain HTTP, on loopback only): the app for a
 * router whose service has healthy running tasks, Traefik's `404 page not found` without a router, `no available server` without tasks.
 */
export async function startEdge(routes: () => PortainerRoute[], o: { port?: number } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
    const path = (req.url ?? '/').split('?')[0]!;
    const r = matchRouter(routes(), host, path);
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    if (!r) { res.statusCode = 404; res.end('404 page not found\n'); return; }
    if (r.route.runningHealthyTasks < 1) { res.statusCode = 503; res.end('no available server\n'); return; }
    // whoami-style: which service answered, for which host and path.
    res.statusCode = 200;
    res.end(`Hostname: ${r.route.serviceName}\nImage: ${r.route.image}\nNode: ${r.route.nodeAddress}\n${req.method} ${req.url} HTTP/${req.httpVersion}\nHost: ${host}\n`);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(o.port ?? 0, '127.0.0.1', () => resolve()); });
  // Callers that only close the simulator must not be kept alive by its edge.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
