// An http.Agent whose connections are SSH channels (ssh2 forwardOut) to a port on the server's own loopback: one SSH session per server, reused.
import { Agent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { RetryableError } from '../engine/errors.js';
import type { SshConnection } from './ssh.js';

export interface TunnelAgentOptions {
  /** Opens an authenticated session with the pinned host key (connectPinned); called again after the session drops. */
  connect(): Promise<SshConnection>;
  /** Where the tunnel ends on the server: its loopback and the service's port (Portainer's 9000). */
  targetHost?: string;
  targetPort: number;
  /** Bound on opening one channel (the session's own handshake has its timeout). @default 15000 */
  channelTimeoutMs?: number;
  agent?: AgentOptions;
}

type Callback = (err: Error | null, socket?: Duplex) => void;

/** marked gives a tunnel failure a code HTTP clients keep (`ELIVCHAT_<reason>`), so its meaning survives their wrapping. */
function marked(err: Error): Error {
  const reason = (err as { reason?: unknown }).reason;
  if (typeof reason === 'string') Object.defineProperty(err, 'code', { value: `ELIVCHAT_${reason}`, enumerable: true });
  return err;
}

/** socketLike gives an SSH channel the few net.Socket methods the HTTP client calls on its sockets. */
function socketLike(ch: Duplex): Duplex {
  const s = ch as Duplex & Record<string, unknown>;
  let timer: NodeJS.Timeout | undefined;
  s.setKeepAlive ??= () => s;
  s.setNoDelay ??= () => s;
  s.ref ??= () => s;
  s.unref ??= () => s;
  // The HTTP client's idle and request timeouts use setTimeout: emit 'timeout' after ms without traffic.
  s.setTimeout ??= (ms: number, cb?: () => void) => {
    if (timer) clearTimeout(timer);
    if (cb) s.once('timeout', cb);
    if (ms > 0) {
      const arm = (): void => { if (timer) clearTimeout(timer); timer = setTimeout(() => s.emit('timeout'), ms); timer.unref(); };
      arm();
      s.on('data', arm);
    }
    return s;
  };
  s.once('close', () => { if (timer) clearTimeout(timer); });
  return s;
}

/**
 * TunnelAgent reaches a server's loopback service over SSH: node-fetch's `agent` option takes it as is. Plain HTTP
 * inside the channel is fine: the SSH session with the pinned host key is the authenticated, encrypted hop.
 */
export class TunnelAgent extends Agent {
  readonly #o: TunnelAgentOptions;
  #session: Promise<SshConnection> | undefined;
  #connects = 0;

  constructor(o: TunnelAgentOptions) {
    super({ keepAlive: true, maxSockets: 8, ...o.agent });
    this.#o = o;
  }

  /** How many SSH sessions were opened so far (one, unless the session dropped). */
  get sessions(): number { return this.#connects; }

  #sessionNow(): Promise<SshConnection> {
    // Concurrent requests share one in-flight connect; a failed or dropped session is opened again by the next request.
    this.#session ??= this.#o.connect().then((conn) => {
      this.#connects++;
      const drop = (): void => { if (this.#session === current) this.#session = undefined; };
      const current = this.#session;
      conn.client.once('close', drop);
      conn.client.once('end', drop);
      conn.client.on('error', drop);
      return conn;
    }, (err: unknown) => { this.#session = undefined; throw err; });
    return this.#session;
  }

  override createConnection(_options: ClientRequestArgs, cb: Callback): undefined {
    const timeoutMs = this.#o.channelTimeoutMs ?? 15_000;
    const host = this.#o.targetHost ?? '127.0.0.1';
    const port = this.#o.targetPort;
    this.#sessionNow().then((conn) => {
      let done = false;
      const timer = setTimeout(() => { done = true; cb(new RetryableError('TunnelTimeout', `no SSH channel to ${host}:${port} within ${timeoutMs} ms`)); }, timeoutMs);
      timer.unref();
      conn.client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => {
        clearTimeout(timer);
        if (done) { channel?.destroy(); return; }
        if (err) {
          // A refused channel on a live session usually means the session is half dead: open a new one next time.
          this.#session = undefined;
          cb(marked(new RetryableError('TunnelRefused', `the server refused a channel to ${host}:${port}: ${err.message}`, { cause: err })));
          return;
        }
        cb(null, socketLike(channel));
      });
    }, (err: Error) => cb(marked(err)));
    return undefined;
  }

  /** destroy closes the pooled channels and the SSH session. */
  override destroy(): void {
    super.destroy();
    const s = this.#session;
    this.#session = undefined;
    void s?.then((c) => c.close(), () => {});
  }
}
