// Structured logging on pino: redacted fields, every output line scrubbed of registered secrets, optional pretty output.
import { pino, stdSerializers, stdTimeFunctions, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { REDACTED, SecretRegistry } from './redact.js';

/** Logger is a pino logger; use `log.child({ controller, key })` for per-controller and per-object context. */
export type Logger = PinoLogger;

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** pino level name (trace, debug, info, warn, error, fatal, silent); default `info`. */
  level?: string;
  /** Default: `pretty` when the destination is a TTY, else `json`. */
  format?: LogFormat;
  /** Default: process.stdout. */
  destination?: NodeJS.WritableStream;
  /** Default: the process-wide registry. */
  secrets?: SecretRegistry;
}

/** Structured fields always censored, whatever their value. */
export const REDACT_PATHS: readonly string[] = [
  'token', 'apiToken', 'password', 'secret', 'privateKey', 'authorization', 'headers.authorization',
  '*.token', '*.password', '*.privateKey', '*.apiToken', 'value',
];

/** createLogger builds a synchronous logger: each line is formatted, scrubbed and written before the call returns. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? process.stdout;
  const isTty = (destination as { isTTY?: boolean }).isTTY === true;
  const format = opts.format ?? (isTty ? 'pretty' : 'json');
  const stream = new ScrubbingStream(destination, opts.secrets ?? new SecretRegistry(), format === 'pretty', isTty);
  return pino(
    {
      level: opts.level ?? 'info',
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      serializers: { err: stdSerializers.err, error: stdSerializers.err },
      timestamp: stdTimeFunctions.isoTime,
    },
    stream,
  );
}

/** flushLogger resolves once everything logged so far has been handed to the destination (call it at shutdown). */
export function flushLogger(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    log.flush(() => resolve());
  });
}

// pino writes one serialized line per call; scrubbing here covers messages, nested objects and error stacks alike.
class ScrubbingStream implements DestinationStream {
  private readonly prettify: ((line: string) => string) | null;

  constructor(
    private readonly destination: NodeJS.WritableStream,
    private readonly registry: SecretRegistry,
    pretty: boolean,
    colorize: boolean,
  ) {
    // prettyFactory is the synchronous formatter behind pino-pretty: no transform stream, no worker thread, nothing lost.
    this.prettify = pretty ? prettyFactory({ colorize, ignore: 'pid,hostname' }) : null;
  }

  write(line: string): void {
    // Scrub the JSON first (it holds JSON-escaped forms), then the pretty text (it holds raw, unescaped forms).
    let out = this.registry.scrub(line);
    if (this.prettify !== null) out = this.registry.scrub(this.prettify(out));
    this.destination.write(out);
  }

  flush(cb: (err?: Error) => void): void {
    const dest = this.destination as NodeJS.WritableStream & {
      flush?: (cb: (err?: Error) => void) => void;
      writableNeedDrain?: boolean;
      destroyed?: boolean;
    };
    if (typeof dest.flush === 'function') {
      dest.flush(cb);
    } else if (dest.writableNeedDrain === true && dest.destroyed !== true) {
      // A reader that closed the pipe (EPIPE) never drains: close and error end the wait as well.
      let done = false;
      const finish = (): void => { if (!done) { done = true; cb(); } };
      dest.once('drain', finish);
      dest.once('close', finish);
      dest.once('error', finish);
    } else {
      cb();
    }
  }
}
