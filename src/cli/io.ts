// The CLI's view of the outside world, injected so commands run in tests without touching the process.
import type { Readable, Writable } from 'node:stream';
import type { SecretRegistry } from '../obs/redact.js';

/** CliIO carries streams, environment, working directory and the signal source of one CLI run. */
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Every secret value this run knows, for scrubbing all output (one registry per CLI run, injected). */
  secrets: SecretRegistry;
  /** Process signals (SIGTERM, SIGINT, SIGHUP) for the daemon; tests pass their own emitter. */
  signals?: { on(sig: string, fn: () => void): unknown; off(sig: string, fn: () => void): unknown };
}

/** CliError is a failure with an exit code; only the entrypoint turns it into process.exit. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, error: 1, changes: 2, notConverged: 3, usage: 64 } as const;

/**
 * quietOnEpipe swallows EPIPE on the given streams (the reader closed the pipe): later writes become no-ops and the
 * command finishes with its own exit code (a daemon keeps running). Any other stream error still surfaces.
 */
export function quietOnEpipe(streams: Writable[]): { readonly gone: boolean; guard<S extends Writable>(s: S): S } {
  let gone = false;
  for (const s of streams) {
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && !gone) throw err;
      gone = true;
    });
  }
  return {
    get gone() { return gone; },
    // A write after the reader left would raise ERR_STREAM_DESTROYED; nobody is listening anyway.
    guard: <S extends Writable>(s: S): S => new Proxy(s, {
      get(target, prop, receiver) {
        if (prop === 'write') return (chunk: unknown, ...rest: unknown[]) => (gone || target.destroyed ? true : (target.write as (...a: unknown[]) => boolean)(chunk, ...rest));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }),
  };
}
