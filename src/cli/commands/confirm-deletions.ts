// `livchat confirm-deletions [KEY...]`: confirm, on the running daemon, exactly the set of deletions its hold keeps back.
import { readFileSync } from 'node:fs';
import type { CommandFn } from '../types.js';
import { CliError, EXIT } from '../io.js';
import { parseListen } from '../listen.js';
import { isLoopback } from '../../net/loopback.js';
import { secrets } from '../../obs/redact.js';

const TIMEOUT_MS = 10_000;

/** call sends one request to the daemon's HTTP API with the bearer token, bounded in time. */
async function call(url: string, token: string | undefined, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try { body = JSON.parse(text) as Record<string, unknown>; } catch { body = { error: text.trim() }; }
  return { status: res.status, body };
}

const confirmDeletions: CommandFn = async (io, _g, args, opts) => {
  const { host, port } = parseListen(String(opts.listen ?? '127.0.0.1:9477'));
  if (!isLoopback(host)) throw new CliError(`confirm-deletions talks to a daemon on loopback only, not ${host}`, EXIT.usage);
  let token: string | undefined;
  if (opts.apiTokenFile) {
    token = readFileSync(String(opts.apiTokenFile), 'utf8').trim();
    secrets.register(token);
  }
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}/api/v1/deletions`;
  let keys = args;
  try {
    if (keys.length === 0) {
      const held = await call(`${base}/held`, token);
      if (held.status !== 200) throw new CliError(`the daemon answered ${held.status}: ${String(held.body.error ?? '')}`);
      keys = (held.body.held as string[] | undefined) ?? [];
      if (keys.length === 0) { io.stdout.write('no deletions are held\n'); return EXIT.ok; }
    }
    const r = await call(`${base}/confirm`, token, { method: 'POST', body: JSON.stringify({ keys }) });
    if (r.status === 200) {
      const confirmed = r.body.confirmed as string[];
      io.stdout.write(`confirmed the deletion of ${confirmed.length} objects:\n${confirmed.map((k) => `  ${k}\n`).join('')}`);
      return EXIT.ok;
    }
    const held = (r.body.held as string[] | undefined) ?? [];
    io.stderr.write(secrets.scrub(`error: ${String(r.body.error ?? `the daemon answered ${r.status}`)}${held.length ? `; held now:\n${held.map((k) => `  ${k}`).join('\n')}` : ''}\n`));
    return EXIT.error;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot reach the daemon at ${host}:${port}: ${(err as Error).message}`);
  }
};
export default confirmDeletions;
